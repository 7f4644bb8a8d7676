"""Offline face swap (Provider[FaceSwapRequest, VideoFile]): OpenCV cascades, colour match
and seamless blending (`core.adapters.media.face_swap`), labelled offline; free."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.adapters.media.files import file_sha256
from core.adapters.media.images import load_image_safely
from core.adapters.media.probe import probe_media
from core.adapters.providers.local.base import FinishedOnSubmit
from core.domain.media import VideoFile
from core.errors import ValidationError
from core.ports import FaceSwapRequest, PollResult, Submission

LABEL = "offline face swap (OpenCV cascades)"
# ffmpeg may only open the local file itself: no network, no playlists pulling other files.
SAFE_INPUT = ["-protocol_whitelist", "file"]


class LocalFaceSwapper(FinishedOnSubmit):
    name = "local:face-swap"

    def __init__(self, *, max_seconds: float = 60.0) -> None:
        self._max_seconds = max_seconds

    def submit(self, request: FaceSwapRequest) -> Submission:
        self._check(request)
        digest = file_sha256(Path(request.video))[:16] + file_sha256(Path(request.face))[:16]
        return Submission(request_id=f"local-swap-{digest}", poll_after_s=0.0)

    def _check(self, request: FaceSwapRequest) -> float:
        info = probe_media(Path(request.video))  # refuses playlists and anything not a plain video file
        if not info.has_video:
            raise ValidationError("That file has no video to swap a face in.")
        if info.duration_s > self._max_seconds:
            raise ValidationError(
                f"The video is {info.duration_s:.0f} s; face swap takes up to {self._max_seconds:.0f} s."
            )
        return info.duration_s

    def collect(self, request: FaceSwapRequest, result: PollResult, dest_dir: Path) -> VideoFile:
        from core.adapters.media.face_swap import swap_video  # OpenCV loads only when a swap runs

        duration = self._check(request)
        dest_dir.mkdir(parents=True, exist_ok=True)
        face = np.asarray(load_image_safely(Path(request.face)).convert("RGB"))
        dest = dest_dir / "face-swapped.mp4"
        stats = swap_video(Path(request.video), face, dest, ffmpeg_safe_input=SAFE_INPUT)
        if stats.swapped == 0:
            dest.unlink(missing_ok=True)
            raise ValidationError("No face was found in the video to swap.")
        return VideoFile(path=dest, duration_s=duration, width=stats.width, height=stats.height)
