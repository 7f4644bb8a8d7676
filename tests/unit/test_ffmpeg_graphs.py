"""Filter graphs built with ffmpeg-python: only argument lists (our runner runs them), every
input a whitelisted `file:` URL, values escaped at both levels exactly as `filter_value`
does, and the hook's words still only in a text file, whatever the folder is called."""

from __future__ import annotations

from pathlib import Path

import ffmpeg
import pytest

from core.adapters.media.captions import filter_value
from core.adapters.media.ffmpeg import FfmpegToolkit, graph_args
from core.adapters.media.variants import HookStyle, VariantRenderer, VariantSpec, hook_options
from tests.unit.test_variant_factory import make_clip

HOSTILE = ["a:b", "it's", "x[1],y;z", "between(t,1.000,2.000)", "back\\slash", "50% off@0.7"]


@pytest.mark.parametrize("value", HOSTILE)
def test_ffmpeg_python_escapes_an_option_value_as_filter_value_does(value: str) -> None:
    source = ffmpeg.input("file:/in.mp4", format="mp4", protocol_whitelist="file")
    args = graph_args(ffmpeg.output(source["v:0"].filter("drawtext", textfile=value), "file:/out.mp4"))
    graph = args[args.index("-filter_complex") + 1]
    assert graph == f"[0:v:0]drawtext=textfile={filter_value(value)}[s0]"


def test_ffmpeg_python_also_escapes_an_equals_sign_which_ffmpeg_reads_back_as_one() -> None:
    source = ffmpeg.input("file:/in.mp4", format="mp4", protocol_whitelist="file")
    args = graph_args(ffmpeg.output(source["v:0"].filter("drawtext", textfile="a=b"), "file:/out.mp4"))
    assert "textfile=a\\\\=b[s0]" in args[args.index("-filter_complex") + 1]


def test_inputs_that_are_not_whitelisted_local_files_are_refused() -> None:
    def out(source: object) -> object:
        return ffmpeg.output(source, "file:/out.mp4")

    with pytest.raises(ValueError, match="whitelisted"):
        graph_args(out(ffmpeg.input("file:/in.mp4")))  # no protocol whitelist
    with pytest.raises(ValueError, match="whitelisted"):
        graph_args(out(ffmpeg.input("concat:a.mp4|b.mp4", protocol_whitelist="file")))
    with pytest.raises(ValueError, match="whitelisted"):
        graph_args(out(ffmpeg.input("http://127.0.0.1/x.mp4", protocol_whitelist="file")))
    two = ffmpeg.output(ffmpeg.input("file:/a.mp4", protocol_whitelist="file"), ffmpeg.input("/b.mp4"), "file:/out.mp4")
    with pytest.raises(ValueError, match="b.mp4"):  # every input, not just the first
        graph_args(two)


def test_the_toolkit_source_sniffs_whitelists_and_names_the_file(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "-i.mp4", seconds=0.5)
    args = graph_args(ffmpeg.output(FfmpegToolkit().source(clip, ss="0.1")["v:0"], "file:/out.mp4"))
    assert args[: args.index("-i") + 2] == [
        "-f", "mov", "-protocol_whitelist", "file", "-ss", "0.1", "-i", f"file:{clip.resolve()}"
    ]  # fmt: skip


def test_hook_options_hold_no_words_and_a_hostile_folder_name_still_renders(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "src.mp4", seconds=1.0)
    work = tmp_path / "it's: [a],b;c=d\\e"
    work.mkdir()
    options = hook_options("Buy now: 50% off, {today}", HookStyle(), 180, 320, work / "hook.txt")
    assert options["expansion"] == "none" and options["textfile"] == str(work / "hook.txt")
    assert all("today" not in value and "50%" not in value for value in options.values())
    result = VariantRenderer(FfmpegToolkit()).render(
        VariantSpec(clip, None, "Buy now: 50% off, {today}"), tmp_path / "out.mp4", work, force_full=True
    )
    assert result.mode == "full" and result.video.path.stat().st_size > 0
