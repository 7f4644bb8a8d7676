"""Render an editor document from its sources in one FFmpeg run: one lossy encode, always.

Each clip is an input trimmed by `-ss`/`-t`, cropped by its percentages, scaled to cover the
output and cropped to it; clips join by `concat` (cuts) or `xfade` (transitions). Voice lines
are delayed to their places and mixed, the music bed is trimmed, faded and (when ducking is on)
compressed under the voice by `sidechaincompress`. Captions are `drawtext` filters reading
generated text files with `expansion=none`: no user text is ever part of the filter graph or
of a file name. Progress comes from `-progress pipe:1`.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.adapters.media.captions import FONT, _cjk_font, between, filter_value, font_for, safe_file_stem
from core.adapters.media.ffmpeg import BITEXACT_ARGS, FfmpegToolkit, file_url
from core.adapters.media.files import atomic_output
from core.domain.edit import TRANSITIONS, AudioTrack, CaptionItem, EditDoc, VideoClip, clip_starts, total_s
from core.domain.media import VideoFile
from core.errors import ProviderTimeout, ValidationError

logger = logging.getLogger(__name__)

RESOLUTIONS = {"720p": 720, "1080p": 1080, "4k": 2160}  # the short side
FORMATS = ("mp4", "webm")
QUALITIES = ("draft", "standard", "high")
# quality -> (x264 preset, x264 CRF, VP9 CRF, VP9 cpu-used, audio kbit/s)
_QUALITY = {
    "draft": ("ultrafast", 28, 40, 8, 96),
    "standard": ("veryfast", 21, 33, 5, 128),
    "high": ("medium", 18, 28, 2, 192),
}
PROXY_SHORT_SIDE = 360
DUCK = "sidechaincompress=threshold=0.03:ratio=8:attack=20:release=350"
AUDIO_FORMAT = "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo"

Progress = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class RenderSettings:
    width: int
    height: int
    container: str = "mp4"  # mp4 (H.264/AAC) | webm (VP9/Opus)
    quality: str = "standard"
    fps: int = 30
    proxy: bool = False

    @property
    def content_type(self) -> str:
        return "video/webm" if self.container == "webm" else "video/mp4"


def output_size(resolution: str, aspect: str) -> tuple[int, int]:
    if resolution not in RESOLUTIONS:
        raise ValidationError(f"Pick a resolution among {', '.join(RESOLUTIONS)}.")
    short = RESOLUTIONS[resolution]
    long_side = short * 16 // 9 // 2 * 2
    sizes = {"9:16": (short, long_side), "1:1": (short, short), "16:9": (long_side, short)}
    if aspect not in sizes:
        raise ValidationError("Pick an aspect among 9:16, 1:1 and 16:9.")
    return sizes[aspect]


def export_settings(resolution: str, container: str, quality: str, aspect: str) -> RenderSettings:
    if container not in FORMATS:
        raise ValidationError("Pick MP4 or WebM.")
    if quality not in QUALITIES:
        raise ValidationError(f"Pick a quality among {', '.join(QUALITIES)}.")
    width, height = output_size(resolution, aspect)
    return RenderSettings(width, height, container, quality)


def proxy_settings(aspect: str) -> RenderSettings:
    short, long_side = PROXY_SHORT_SIDE, PROXY_SHORT_SIDE * 16 // 9 // 2 * 2
    sizes = {"9:16": (short, long_side), "1:1": (short, short), "16:9": (long_side, short)}
    width, height = sizes.get(aspect, sizes["9:16"])
    return RenderSettings(width, height, "mp4", "draft", fps=24, proxy=True)


# --------------------------------------------------------------------------- the graph


def _clip_filter(index: int, clip: VideoClip, s: RenderSettings) -> str:
    c = clip.crop
    keep_w, keep_h = (100 - c.left - c.right) / 100, (100 - c.top - c.bottom) / 100
    crop = f"crop=iw*{keep_w:.4f}:ih*{keep_h:.4f}:iw*{c.left / 100:.4f}:ih*{c.top / 100:.4f}"
    cover = f"scale={s.width}:{s.height}:force_original_aspect_ratio=increase,crop={s.width}:{s.height}"
    return f"[{index}:v]{crop},{cover},setsar=1,fps={s.fps},format=yuv420p,settb=AVTB,setpts=PTS-STARTPTS[v{index}]"


def _join_clips(doc: EditDoc) -> list[str]:
    """Cuts by concat, transitions by xfade at the running length minus the transition."""
    parts, current, length = [], "[v0]", doc.clips[0].length_s
    for index, clip in enumerate(doc.clips[1:], start=1):
        label = f"[j{index}]"
        xfade = TRANSITIONS[clip.transition]
        if xfade:
            offset = length - clip.transition_s
            parts.append(
                f"{current}[v{index}]xfade=transition={xfade}:duration={clip.transition_s:.3f}:offset={offset:.3f}{label}"
            )
            length += clip.length_s - clip.transition_s
        else:
            parts.append(f"{current}[v{index}]concat=n=2:v=1:a=0{label}")
            length += clip.length_s
        current = label
    return [*parts, f"{current}null[vjoined]"]


def _wrap(text: str, style_size: int, width: int) -> str:
    per_line = max(8, int(width * 0.86 / (style_size * 0.58)))
    return "\n".join(textwrap.wrap(text, per_line)[:4])


def _caption_font(doc: EditDoc, text: str) -> Path:
    if doc.caption_style.font == "noto sans cjk":
        return _cjk_font() or FONT
    return font_for(text)


def _caption_filter(doc: EditDoc, index: int, cap: CaptionItem, s: RenderSettings, folder: Path) -> str:
    style = doc.caption_style
    size = max(8, round(style.size * s.width / 1080))
    text_file = folder / f"{safe_file_stem(index)}.txt"
    text_file.write_text(_wrap(cap.text, size, s.width), encoding="utf-8")
    y = {"top": "h*0.12", "middle": "(h-text_h)/2", "bottom": "h*0.80-text_h"}[style.position]
    start = f"{cap.start_s:.3f}"
    if style.animation == "pop":
        y = f"{y}+max(0\\,{start}+0.2-t)*{size}"
    options = [
        f"fontfile={filter_value(str(_caption_font(doc, cap.text)))}",
        f"textfile={filter_value(str(text_file))}",
        "expansion=none",
        f"fontsize={size}",
        f"fontcolor=0x{style.colour[1:]}",
        f"borderw={round(style.outline * s.width / 1080)}",
        f"bordercolor=0x{style.outline_colour[1:]}",
        "x=(w-text_w)/2",
        f"y={y}",
        f"line_spacing={size // 5}",
        f"enable='{between(cap.start_s, cap.end_s)}'",
    ]
    if style.box:
        options += ["box=1", "boxcolor=0x000000@0.55", f"boxborderw={size // 3}"]
    if style.animation in ("fade in", "pop"):
        options.append(f"alpha='min(1\\,(t-{start})/0.25)'")
    return "drawtext=" + ":".join(options)


def _track_bus(track: AudioTrack, first_input: int, name: str, total: float) -> list[str]:
    parts, labels = [], []
    for k, item in enumerate(track.items):
        delay = round(item.start_s * 1000)
        parts.append(f"[{first_input + k}:a]{AUDIO_FORMAT},adelay=delays={delay}:all=1[{name}{k}]")
        labels.append(f"[{name}{k}]")
    mixed = f"{''.join(labels)}amix=inputs={len(labels)}:normalize=0:duration=longest" if len(labels) > 1 else labels[0]
    chain = [f"apad=whole_dur={total:.3f}", f"atrim=0:{total:.3f}", f"volume={track.volume:.3f}"]
    if track.fade_in_s > 0:
        chain.append(f"afade=t=in:st=0:d={track.fade_in_s:.3f}")
    if track.fade_out_s > 0:
        chain.append(f"afade=t=out:st={max(0.0, total - track.fade_out_s):.3f}:d={track.fade_out_s:.3f}")
    joined = ",".join(chain)
    parts.append(f"{mixed},{joined}[{name}]" if len(labels) > 1 else f"{mixed}{joined}[{name}]")
    return parts


def _audio_graph(doc: EditDoc, first_input: int, silence_input: int, total: float) -> list[str]:
    parts, buses = [f"[{silence_input}:a]{AUDIO_FORMAT},atrim=0:{total:.3f}[silence]"], ["[silence]"]
    voice_at, music_at = first_input, first_input + len(doc.voice.items)
    if doc.voice.items:
        parts += _track_bus(doc.voice, voice_at, "voice", total)
    if doc.music.items:
        parts += _track_bus(doc.music, music_at, "music", total)
    if doc.voice.items and doc.music.items and doc.ducking:
        parts += ["[voice]asplit=2[voicemix][voicekey]", f"[music][voicekey]{DUCK}[ducked]"]
        buses += ["[voicemix]", "[ducked]"]
    else:
        buses += ["[voice]"] if doc.voice.items else []
        buses += ["[music]"] if doc.music.items else []
    mix = f"amix=inputs={len(buses)}:normalize=0:duration=first" if len(buses) > 1 else "anull"
    parts.append(f"{''.join(buses)}{mix},volume={doc.master_volume:.3f},atrim=0:{total:.3f}[aout]")
    return parts


def _encoder_args(s: RenderSettings, threads: int) -> list[str]:
    preset, crf, vp9_crf, cpu_used, kbits = _QUALITY[s.quality]
    if s.proxy:
        preset, crf, kbits = "ultrafast", 32, 64
    if s.container == "webm":
        deadline = "realtime" if s.quality == "draft" else "good"
        video = [
            "-c:v",
            "libvpx-vp9",
            "-b:v",
            "0",
            "-crf",
            str(vp9_crf),
            "-deadline",
            deadline,
            "-cpu-used",
            str(cpu_used),
            "-row-mt",
            "1",
            "-pix_fmt",
            "yuv420p",
        ]
        return [*video, "-c:a", "libopus", "-b:a", f"{kbits}k", "-threads", str(threads), "-f", "webm"]
    video = ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p"]
    audio = ["-c:a", "aac", "-b:a", f"{kbits}k", "-movflags", "+faststart"]
    return [*video, *audio, "-threads", str(threads), "-f", "mp4"]


def build_command(
    toolkit: FfmpegToolkit, doc: EditDoc, sources: dict[str, Path], s: RenderSettings, folder: Path
) -> list[str]:
    """The whole argv (after the executable's global options). `sources`: storage key -> local file."""
    total = total_s(doc)
    args: list[str] = []
    for clip in doc.clips:
        args += ["-ss", f"{clip.in_s:.3f}", "-t", f"{clip.length_s:.3f}", *toolkit.input_args(sources[clip.source_key])]
    for item in doc.voice.items + doc.music.items:
        args += ["-ss", f"{item.in_s:.3f}", "-t", f"{item.length_s:.3f}", *toolkit.input_args(sources[item.source_key])]
    silence = len(doc.clips) + len(doc.voice.items) + len(doc.music.items)
    args += ["-f", "lavfi", "-t", f"{total:.3f}", "-i", "anullsrc=r=48000:cl=stereo"]
    graph = [_clip_filter(i, clip, s) for i, clip in enumerate(doc.clips)]
    graph += _join_clips(doc)
    drawn = [_caption_filter(doc, i, cap, s, folder) for i, cap in enumerate(doc.captions) if cap.start_s < total]
    graph.append("[vjoined]" + ",".join(drawn or ["null"]) + "[vout]")
    graph += _audio_graph(doc, len(doc.clips), silence, total)
    maps = ["-map", "[vout]", "-map", "[aout]", "-t", f"{total:.3f}"]
    return [*args, "-filter_complex", ";".join(graph), *maps, *_encoder_args(s, toolkit.threads), *BITEXACT_ARGS]


def _starts_ok(doc: EditDoc) -> None:
    if any(start < -1e-6 for start in clip_starts(doc)):
        raise ValidationError("A transition is longer than the clip before it.")


class EditRenderer:
    def __init__(self, toolkit: FfmpegToolkit) -> None:
        self.toolkit = toolkit

    def render(
        self,
        doc: EditDoc,
        sources: dict[str, Path],
        dest: Path,
        settings: RenderSettings,
        *,
        on_progress: Progress | None = None,
    ) -> VideoFile:
        _starts_ok(doc)
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest.parent) as work, atomic_output(dest) as tmp:
            args = build_command(self.toolkit, doc, sources, settings, Path(work))
            self._run([*args, "-progress", "pipe:1", "-nostats", file_url(tmp)], total_s(doc), on_progress)
            result = self.toolkit.video_file(tmp)
        return VideoFile(dest, result.duration_s, result.width, result.height, settings.content_type)

    def _run(self, args: list[str], total: float, on_progress: Progress | None) -> None:
        """Like FfmpegToolkit.run, reading FFmpeg's progress lines as it encodes."""
        cmd = self.toolkit.command(*args)
        with tempfile.TemporaryFile() as stderr:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL)
            timer = threading.Timer(self.toolkit.timeout_s, proc.kill)
            timer.start()
            try:
                assert proc.stdout is not None
                for raw in proc.stdout:
                    line = raw.decode("ascii", "replace").strip()
                    if on_progress and line.startswith("out_time_us=") and line[12:].isdigit() and total > 0:
                        on_progress(min(1.0, int(line[12:]) / 1e6 / total))
                code = proc.wait()
            finally:
                timed_out = not timer.is_alive() and proc.returncode not in (0, None)
                timer.cancel()
            if timed_out and code < 0:
                raise ProviderTimeout("The export took too long.", provider="ffmpeg")
            if code != 0:
                stderr.seek(0)
                raise self.toolkit.failure("edit render", stderr.read().decode("utf-8", "replace"))
