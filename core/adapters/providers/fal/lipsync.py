"""Lip-sync on fal: `fal-ai/infinitalk` (providers.md 2.4 and section 0).

InfiniTalk renders only as many frames as `num_frames` says (41-721, about 28.8 s at 25
fps), so longer audio is cut into even chunks, each its own submission; the request id
lists every chunk (`"fal-ai/infinitalk|id1,id2"`) and poll reports DONE once all are.
collect joins the clips by stream copy, trimming each to its audio length.
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.providers.fal.queue import PROVIDER, FalHandle, FalQueue, fetch_result, file_url, result_urls
from core.adapters.providers.http.common import Probe, fetch_media, probe_as, video_file
from core.adapters.providers.http.download import GuardedDownloader
from core.domain.media import VideoFile
from core.errors import ProviderError
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


def plan_chunks(duration_s: float, max_chunk_s: float) -> list[tuple[float, float]]:
    """Even (start, length) pieces, none longer than max_chunk_s."""
    count = max(1, math.ceil(duration_s / max_chunk_s - 1e-9))
    length = duration_s / count
    return [(round(i * length, 3), round(length, 3)) for i in range(count)]


class FalLipSyncer:
    """LipSyncer on fal InfiniTalk, chunking audio longer than one render allows."""

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
        toolkit: FfmpegToolkit | None = None,
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
        self._toolkit = toolkit or FfmpegToolkit()

    webhook_route = "fal"

    def adopt(self, vendor_id: str) -> str | None:
        """None: one request may be several chunks, and one orphaned chunk is not the video."""
        return None

    def cancel(self, vendor_id: str) -> None:
        self._queue.cancel(self._model, vendor_id)

    def submit(self, request: LipSyncRequest, *, webhook_url: str | None = None) -> Submission:
        chunks = plan_chunks(request.audio_duration_s, self._max_chunk_s)
        image_url = self._queue.upload(request.image)
        audio_urls = self._upload_audio(request.audio, chunks)
        ids: list[str] = []
        try:
            for (_start, length), audio_url in zip(chunks, audio_urls, strict=True):
                arguments = self._arguments(request, image_url, audio_url, length)
                ids.append(self._queue.submit(self._model, arguments, webhook_url=webhook_url))
        except Exception:
            for fal_id in ids:  # half a video is worthless: stop paying for the chunks already queued
                self._queue.cancel(self._model, fal_id)
            raise
        logger.info("lip-sync of %.1fs submitted as %d chunk(s)", request.audio_duration_s, len(ids))
        return Submission(FalHandle(self._model, tuple(ids)).encode(), poll_after_s=self._poll_after_s)

    def _upload_audio(self, audio: Path, chunks: list[tuple[float, float]]) -> list[str]:
        if len(chunks) == 1:
            return [self._queue.upload(audio)]
        with tempfile.TemporaryDirectory(prefix="lipsync-") as tmp:
            return [
                self._queue.upload(
                    self._toolkit.cut_audio(audio, Path(tmp) / f"chunk_{i:03d}.wav", start_s=start, length_s=length)
                )
                for i, (start, length) in enumerate(chunks)
            ]

    def _arguments(self, request: LipSyncRequest, image_url: str, audio_url: str, length: float) -> dict[str, Any]:
        return {
            "image_url": image_url,
            "audio_url": audio_url,
            "prompt": self._prompt,
            "num_frames": frames_for(length),
            "resolution": "720p" if min(request.width, request.height) >= 720 else "480p",
            "seed": request.seed,
        }

    def poll(self, request_id: str) -> PollResult:
        return self._queue.poll(request_id, lambda body: file_url(body, "video"), poll_after_s=self._poll_after_s)

    def collect(self, request: LipSyncRequest, result: PollResult, dest_dir: Path) -> VideoFile:
        urls = result_urls(result)
        ref = result.output.get("ref", "video")
        if len(urls) == 1:
            return video_file(*fetch_result(result, self._downloader, self._probe, dest_dir, "lipsync", "video"))
        chunks = plan_chunks(request.audio_duration_s, self._max_chunk_s)
        if len(chunks) != len(urls):
            raise ProviderError("The lip-sync chunks do not match the audio; run the step again.", provider=PROVIDER)
        parts_dir = dest_dir / f"lipsync-{ref}-parts"
        try:
            parts = [
                fetch_media(self._downloader, self._probe, url, parts_dir, f"part_{i:03d}", "video")[0]
                for i, url in enumerate(urls)
            ]
            lengths = [length for _start, length in chunks]
            joined = self._toolkit.concat(parts, dest_dir / f"lipsync-{ref}.mp4", outpoints=lengths).path
            return video_file(*probe_as(joined, "video", self._probe))
        finally:
            shutil.rmtree(parts_dir, ignore_errors=True)

    def cost_usd(self, request: LipSyncRequest, output: VideoFile) -> float:
        return round(self._price * output.duration_s, 6)
