"""The exact last frame of a clip (issue 18, first/last-frame chaining): scene N+1 is to start
from the pixels scene N ends on.

The clip is decoded to its end and the final decoded frame written as a lossless PNG, with
frames passed through as decoded (no rate conversion that could repeat or drop one). No
lossy re-encode happens, so the PNG is the clip's final frame, pixel for pixel, in RGB.
"""

from __future__ import annotations

from pathlib import Path

from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.media.files import atomic_output
from core.adapters.media.images import load_image_safely
from core.domain.media import ImageFile
from core.errors import MediaRejected


def extract_last_frame(toolkit: FfmpegToolkit, video: Path, dest: Path) -> ImageFile:
    info = toolkit.probe(video)
    if not info.has_video or not info.width or not info.height:
        raise MediaRejected("The clip has no video to take its last frame from.")
    with atomic_output(dest.with_suffix(".png")) as tmp:
        toolkit.run(
            [
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
                str(tmp),
            ],
            what="the clip's last frame",
        )
    final = dest.with_suffix(".png")
    image = load_image_safely(final)
    return ImageFile(path=final, width=image.width, height=image.height, content_type="image/png")
