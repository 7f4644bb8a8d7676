"""FfmpegToolkit: the MediaToolkit port over the bundled FFmpeg binary and PyAV.

Rules kept by every command here: argv lists (no shell); `-nostdin -hide_banner
-loglevel error`; each input gets `-protocol_whitelist file`, a forced demuxer from
content sniffing and an explicit `file:` URL (so names like `-i.mp3` or
`concat:x.mp3` mean nothing); outputs go to a temp name and are renamed into place.

Filter graphs are built with ffmpeg-python's stream graph (`source()`, `.filter()`,
`ffmpeg.output()`) and only turned into an argument list (`graph_args`): ffmpeg-python
never runs anything; `run_graph` checks every input is a whitelisted `file:` URL and runs
the list with our own runner and the bundled binary.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ffmpeg
import imageio_ffmpeg
from PIL import Image

from core.adapters.media.files import atomic_output
from core.adapters.media.images import load_image_safely, make_thumbnail, validate_image_upload
from core.adapters.media.probe import probe_media, require_sniff, validate_audio_upload
from core.domain.media import AudioClip, ImageFile, MediaInfo, VideoFile
from core.errors import MediaRejected, ProviderError, ProviderTimeout

logger = logging.getLogger(__name__)

__all__ = [
    "FfmpegToolkit",
    "file_url",
    "graph_args",
    "load_image_safely",
    "validate_audio_upload",
    "validate_image_upload",
]

GLOBAL_ARGS = ("-nostdin", "-hide_banner", "-loglevel", "error", "-y")
# Reproducible outputs: no encoder/version strings or copied metadata in the files.
BITEXACT_ARGS = ("-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact")
_STDERR_TAIL = 2000
# Fixed output options (never user data).
_MP3_OUT = ["-map", "0:a:0", "-vn", "-ac", "1", "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "128k"]
_POSTER_OUT = ["-map", "0:v:0", "-frames:v", "1", "-an", "-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj420p"]
_MUX_OUT = ["-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac", "-b:a", "128k", "-shortest"]
_CONCAT_OUT = ["-map", "0", "-c", "copy", "-movflags", "+faststart"]
FASTSTART = ("-movflags", "+faststart")
# The same as output options of an ffmpeg-python graph.
BITEXACT_OPTIONS = {"map_metadata": "-1", "fflags": "+bitexact", "flags:v": "+bitexact", "flags:a": "+bitexact"}
FASTSTART_OPTIONS = {"movflags": "+faststart"}


def file_url(path: Path) -> str:
    return "file:" + str(Path(path).resolve())


def graph_args(graph: Any) -> list[str]:
    """The argument list of an ffmpeg-python output graph, refused unless every input is a
    `file:` URL read under `-protocol_whitelist file` (what `FfmpegToolkit.source` makes)."""
    args = [str(arg) for arg in ffmpeg.get_args(graph)]
    start = 0
    for index, arg in enumerate(args):
        if arg != "-i":
            continue
        options, url = args[start:index], args[index + 1]
        pairs = zip(options, options[1:], strict=False)
        whitelisted = any(a == "-protocol_whitelist" and b == "file" for a, b in pairs)
        if not (whitelisted and url.startswith("file:")):
            raise ValueError(f"FFmpeg input {url!r} is not a whitelisted local file")
        start = index + 2
    return args


class FfmpegToolkit:
    """Probe, transcode, poster, thumbnail, mux and concat. Thread-safe (no shared state)."""

    def __init__(self, ffmpeg_exe: str | None = None, *, timeout_s: float = 900.0, threads: int = 2) -> None:
        self.exe = ffmpeg_exe or imageio_ffmpeg.get_ffmpeg_exe()
        self.timeout_s = timeout_s
        self.threads = threads

    # ------------------------------------------------------------------ checks

    def probe(self, path: Path) -> MediaInfo:
        return probe_media(Path(path))

    def validate_audio_upload(self, path: Path, *, max_bytes: int, max_duration_s: float) -> MediaInfo:
        return validate_audio_upload(Path(path), max_bytes=max_bytes, max_duration_s=max_duration_s)

    def validate_image_upload(
        self, path: Path, *, max_bytes: int, max_pixels: int = 40_000_000, dest: Path | None = None
    ) -> ImageFile:
        return validate_image_upload(Path(path), max_bytes=max_bytes, max_pixels=max_pixels, dest=dest)

    def load_image_safely(self, path: Path, *, max_pixels: int = 40_000_000) -> Image.Image:
        return load_image_safely(Path(path), max_pixels=max_pixels)

    # ------------------------------------------------------------------ argv building

    def command(self, *args: str) -> list[str]:
        return [self.exe, *GLOBAL_ARGS, *args]

    def input_args(self, path: Path) -> list[str]:
        """`-f <demuxer> -protocol_whitelist file -i file:<abs path>`, demuxer chosen by content."""
        sniffed = require_sniff(Path(path))
        return ["-f", sniffed.demuxer, "-protocol_whitelist", "file", "-i", file_url(path)]

    def source(self, path: Path, **options: Any) -> Any:
        """An ffmpeg-python input with the demuxer chosen by content, the whitelist and a `file:` URL;
        `options` are input options (`ss=`, `threads=`)."""
        sniffed = require_sniff(Path(path))
        return ffmpeg.input(file_url(path), format=sniffed.demuxer, protocol_whitelist="file", **options)

    def run_graph(self, graph: Any, *, what: str, timeout_s: float | None = None) -> None:
        """Run an ffmpeg-python output graph with our runner (never ffmpeg-python's `.run()`)."""
        self.run(graph_args(graph), what=what, timeout_s=timeout_s)

    def run(self, args: Sequence[str], *, what: str, timeout_s: float | None = None) -> None:
        cmd = self.command(*args)
        logger.debug("ffmpeg %s: %s", what, cmd)
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s or self.timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ProviderTimeout(f"Media processing took too long ({what}).", provider="ffmpeg") from exc
        if proc.returncode != 0:
            raise self.failure(what, proc.stderr.decode("utf-8", "replace"))

    @staticmethod
    def failure(what: str, stderr: str) -> ProviderError:
        logger.warning("ffmpeg %s failed: %s", what, stderr[-_STDERR_TAIL:])
        return ProviderError(
            f"Media processing failed ({what}).", provider="ffmpeg", details={"stderr": stderr[-_STDERR_TAIL:]}
        )

    # ------------------------------------------------------------------ operations

    def transcode_audio_mp3(self, src: Path, dest: Path) -> AudioClip:
        """44.1 kHz mono MP3 (LAME, 128 kbit/s); duration probed from the result."""
        if not self.probe(src).has_audio:
            raise MediaRejected("This file has no sound in it.")
        with atomic_output(Path(dest)) as tmp:
            args = [*self.input_args(src), *_MP3_OUT, *BITEXACT_ARGS, "-f", "mp3", file_url(tmp)]
            self.run(args, what="audio transcode")
            info = self.probe(tmp)
        return AudioClip(path=Path(dest), duration_s=info.duration_s, content_type="audio/mpeg")

    def cut_audio(self, src: Path, dest: Path, *, start_s: float, length_s: float) -> Path:
        """`length_s` seconds of `src` from `start_s`, as 16-bit PCM WAV."""
        with atomic_output(Path(dest)) as tmp:
            seek = ["-ss", f"{start_s:.3f}", "-t", f"{length_s:.3f}"]
            args = [*seek, *self.input_args(src), "-vn", "-c:a", "pcm_s16le", *BITEXACT_ARGS, "-f", "wav"]
            self.run([*args, file_url(tmp)], what="audio cut")
        return Path(dest)

    def poster_frame(self, video: Path, dest: Path, *, at_s: float = 0.5) -> ImageFile:
        info = self.probe(video)
        if not info.has_video:
            raise MediaRejected("This file has no picture to take a poster from.")
        at = at_s if info.duration_s <= 0 or at_s < info.duration_s else info.duration_s / 2
        with atomic_output(Path(dest)) as tmp:
            for seek in (at, 0.0):
                self._grab_frame(video, tmp, seek)
                if tmp.exists() and tmp.stat().st_size > 0:
                    break
            with Image.open(tmp, formats=["JPEG"]) as img:
                width, height = img.size
        return ImageFile(path=Path(dest), width=width, height=height, content_type="image/jpeg")

    def _grab_frame(self, video: Path, out: Path, at_s: float) -> None:
        seek = ["-ss", f"{at_s:.3f}"]
        args = [*seek, *self.input_args(video), *_POSTER_OUT, *BITEXACT_ARGS, "-f", "image2", "-update", "1"]
        self.run([*args, file_url(out)], what="poster frame")

    def thumbnail(self, image: Path, dest: Path, *, max_side: int = 360) -> ImageFile:
        return make_thumbnail(Path(image), Path(dest), max_side=max_side)

    def mux(self, video: Path, audio: Path, dest: Path) -> VideoFile:
        """Video stream-copied, audio to AAC, cut to the shorter, moov atom up front."""
        if not self.probe(video).has_video or not self.probe(audio).has_audio:
            raise MediaRejected("Mixing needs a video with a picture and a file with sound.")
        with atomic_output(Path(dest)) as tmp:
            inputs = [*self.input_args(video), *self.input_args(audio)]
            self.run([*inputs, *_MUX_OUT, *FASTSTART, *BITEXACT_ARGS, "-f", "mp4", file_url(tmp)], what="mux")
            result = self.video_file(tmp)
        return VideoFile(Path(dest), result.duration_s, result.width, result.height)

    def concat(self, clips: Sequence[Path], dest: Path, *, outpoints: Sequence[float] | None = None) -> VideoFile:
        """Join clips with identical codec settings without re-encoding (concat demuxer, safe=1);
        `outpoints` trims each clip to that many seconds."""
        if not clips:
            raise ValueError("concat needs at least one clip")
        if outpoints is not None and len(outpoints) != len(clips):
            raise ValueError("concat needs one outpoint per clip")
        for clip in clips:
            if not self.probe(clip).has_video:
                raise MediaRejected("Every clip to join must be a video.")
        with atomic_output(Path(dest)) as tmp, tempfile.TemporaryDirectory(dir=Path(dest).parent) as work:
            listing = self._concat_list(clips, Path(work), outpoints)
            concat_in = ["-f", "concat", "-safe", "1", "-protocol_whitelist", "file", "-i", file_url(listing)]
            self.run([*concat_in, *_CONCAT_OUT, *BITEXACT_ARGS, "-f", "mp4", file_url(tmp)], what="concat")
            result = self.video_file(tmp)
        return VideoFile(Path(dest), result.duration_s, result.width, result.height)

    @staticmethod
    def _concat_list(clips: Sequence[Path], work: Path, outpoints: Sequence[float] | None = None) -> Path:
        """Generated relative names only, as the concat demuxer's safe mode wants."""
        lines = []
        for i, clip in enumerate(clips):
            link = work / f"clip{i:04d}.mp4"
            link.symlink_to(Path(clip).resolve())
            lines.append(f"file '{link.name}'\n")
            if outpoints is not None:
                lines.append(f"outpoint {outpoints[i]:.3f}\n")
        listing = work / "list.txt"
        listing.write_text("".join(lines), encoding="ascii")
        return listing

    def video_file(self, path: Path) -> VideoFile:
        info = self.probe(path)
        if not info.has_video or info.width is None or info.height is None:
            raise MediaRejected("This file has no picture in it.")
        return VideoFile(path=Path(path), duration_s=info.duration_s, width=info.width, height=info.height)
