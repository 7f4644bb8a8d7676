"""Lip-sync on fal: `fal-ai/infinitalk` (providers.md 2.4 and section 0).

InfiniTalk renders only as many frames as `num_frames` says (41-721, about 28.8 s at 25
fps), so one submission takes at most `max_render_s` of speech. Longer speech is cut by the
talking-video pipeline into chunks, each its own durable paid step (`core.ports.lipsync_chunks`),
so every chunk's request id is saved the moment it returns and a lost answer can be adopted.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from core.adapters.providers.fal.queue import FalHandle, FalQueue, fetch_result, file_url
from core.adapters.providers.http.common import Probe, video_file
from core.adapters.providers.http.download import GuardedDownloader
from core.domain.media import VideoFile
from core.errors import ValidationError
from core.ports import LipSyncRequest, PollResult, Submission

logger = logging.getLogger(__name__)

FPS = 25  # an assumption from a third-party tool (providers.md 2.4); unconfirmed for fal
MIN_FRAMES = 41
MAX_FRAMES = 721
DEFAULT_PROMPT = "A person talking naturally to the camera, subtle head movement, natural expressions."


def frames_for(duration_s: float, fps: int = FPS) -> int:
    """Frames covering `duration_s`, one spare, rounded up to 4k+1 like every documented value
    (41, 145, 721) of this Wan-based model, within its limits."""
    frames = math.ceil(duration_s * fps) + 1
    frames = 4 * math.ceil((frames - 1) / 4) + 1
    return max(MIN_FRAMES, min(MAX_FRAMES, frames))


class FalLipSyncer:
    """LipSyncer on fal InfiniTalk: one render of at most `max_render_s` of speech per submission."""

    def __init__(
        self,
        queue: FalQueue,
        *,
        model: str,
        price_per_second: float,
        downloader: GuardedDownloader,
        probe: Probe,
        prompt: str = DEFAULT_PROMPT,
        max_chunk_s: float = 28.0,
        poll_after_s: float = 5.0,
    ) -> None:
        self.name = f"fal:{model}"
        self._queue = queue
        self._model = model
        self._price = price_per_second
        self._downloader = downloader
        self._probe = probe
        self._prompt = prompt
        self._max_chunk_s = min(max_chunk_s, (MAX_FRAMES - 1) / FPS)
        self._poll_after_s = poll_after_s

    webhook_route = "fal"

    @property
    def max_render_s(self) -> float:
        """The longest speech one render takes (`core.ports.render_limit_s`)."""
        return self._max_chunk_s

    def billed_s(self, speech_s: float) -> float:
        """A render is billed on the video it makes: `frames_for` frames (`core.ports.billed_render_s`)."""
        return frames_for(speech_s) / FPS

    def adopt(self, vendor_id: str) -> str | None:
        return self._queue.adopt(self._model, vendor_id)

    def cancel(self, vendor_id: str) -> None:
        self._queue.cancel(self._model, vendor_id)

    def submit(self, request: LipSyncRequest, *, webhook_url: str | None = None) -> Submission:
        if request.audio_duration_s > self._max_chunk_s + 1e-3:  # refused before anything is uploaded or paid
            raise ValidationError(
                f"{request.audio_duration_s:.1f} s of speech is longer than one fal lip-sync render "
                f"({self._max_chunk_s:.1f} s); longer speech is made in chunks."
            )
        image_url, audio_url = self._queue.upload(request.image), self._queue.upload(request.audio)
        arguments = self._arguments(request, image_url, audio_url)
        fal_id = self._queue.submit(self._model, arguments, webhook_url=webhook_url)
        return Submission(FalHandle(self._model, (fal_id,)).encode(), poll_after_s=self._poll_after_s)

    def _arguments(self, request: LipSyncRequest, image_url: str, audio_url: str) -> dict[str, Any]:
        return {
            "image_url": image_url,
            "audio_url": audio_url,
            "prompt": self._prompt,
            "num_frames": frames_for(request.audio_duration_s),
            "resolution": "720p" if min(request.width, request.height) >= 720 else "480p",
            "seed": request.seed,
        }

    def poll(self, request_id: str) -> PollResult:
        return self._queue.poll(request_id, lambda body: file_url(body, "video"), poll_after_s=self._poll_after_s)

    def collect(self, request: LipSyncRequest, result: PollResult, dest_dir: Path) -> VideoFile:
        return video_file(*fetch_result(result, self._downloader, self._probe, dest_dir, "lipsync", "video"))

    def cost_usd(self, request: LipSyncRequest, output: VideoFile) -> float:
        return round(self._price * output.duration_s, 6)
