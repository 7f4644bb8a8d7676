"""The exact last frame of a clip (issue 18, first/last-frame chaining): scene N+1 is to start
from the pixels scene N ends on.

The clip is decoded to its end and the final decoded frame written as a lossless PNG, with
frames passed through as decoded (no rate conversion that could repeat or drop one). No
lossy re-encode happens, so the PNG is the clip's final frame, pixel for pixel, in RGB.

Only the clip's tail is decoded (`-sseof`): FFmpeg seeks to the keyframe before the last
TAIL_S seconds and decodes on from it, which gives the same pixels as decoding from the start
(frames after a keyframe never need frames before it; leading pictures are dropped by the
accurate seek), while PNG-encoding every frame of an 8 s clip cost as much CPU as re-encoding
it (docs/benchmarks.md). If the tail holds no video (a track that ends long before the file
does), the whole clip is decoded instead.
"""

from __future__ import annotations

from pathlib import Path

from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.media.files import atomic_output
from core.adapters.media.images import load_image_safely
from core.domain.media import ImageFile
from core.errors import MediaRejected, ProviderError

TAIL_S = 2.0


def _write_last(toolkit: FfmpegToolkit, video: Path, out: Path, seek: list[str]) -> None:
    toolkit.run(
        [
            *seek,
            *toolkit.input_args(video),
            "-map",
            "0:v:0",
            "-an",
            "-fps_mode",
            "passthrough",
            "-pix_fmt",
            "rgb24",
            "-c:v",
            "png",
            "-f",
            "image2",
            "-update",
            "1",
            str(out),
        ],
        what="the clip's last frame",
    )


def _written(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


def extract_last_frame(toolkit: FfmpegToolkit, video: Path, dest: Path) -> ImageFile:
    info = toolkit.probe(video)
    if not info.has_video or not info.width or not info.height:
        raise MediaRejected("The clip has no video to take its last frame from.")
    with atomic_output(dest.with_suffix(".png")) as tmp:
        if info.duration_s > TAIL_S + 0.5:
            try:
                _write_last(toolkit, video, tmp, ["-sseof", f"-{TAIL_S:g}"])
            except ProviderError:
                tmp.unlink(missing_ok=True)  # the tail would not decode: the whole clip below
        if not _written(tmp):
            _write_last(toolkit, video, tmp, [])
    final = dest.with_suffix(".png")
    image = load_image_safely(final)
    return ImageFile(path=final, width=image.width, height=image.height, content_type="image/png")
