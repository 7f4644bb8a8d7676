"""Text-to-speech on fal (providers.md 2.3). The model id decides the input shape; every
model answers `{audio: File}`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from core.adapters.providers.fal.queue import FalHandle, FalQueue, fetch_result, file_url
from core.adapters.providers.http.common import Probe, audio_clip
from core.adapters.providers.http.download import GuardedDownloader
from core.domain.media import AudioClip
from core.domain.voices import family_of, resolve
from core.errors import ConfigurationError
from core.ports import PollResult, SpeechRequest, Submission

logger = logging.getLogger(__name__)

_FAMILIES = ("fal-ai/elevenlabs/", "fal-ai/minimax/", "fal-ai/kokoro/")


def speech_arguments(model: str, request: SpeechRequest) -> dict[str, Any]:
    """The model's input; an actor's voice for this model's family, checked before anything is sent."""
    voice = resolve(family_of("fal", model), request.voice.voice_id, request.voice.voices)
    if model.startswith("fal-ai/elevenlabs/"):
        return {"text": request.text, "voice": voice}
    if model.startswith("fal-ai/minimax/"):
        # MiniMax answers hex-encoded audio unless told otherwise.
        return {"text": request.text, "voice_setting": {"voice_id": voice}, "output_format": "url"}
    return {"prompt": request.text, "voice": voice}  # kokoro names the text `prompt`


class FalSpeechSynthesizer:
    """SpeechSynthesizer for ElevenLabs, MiniMax and Kokoro models hosted on fal."""

    def __init__(
        self,
        queue: FalQueue,
        *,
        model: str,
        price_per_second: float,
        downloader: GuardedDownloader,
        probe: Probe,
        poll_after_s: float = 1.0,
    ) -> None:
        if not model.startswith(_FAMILIES):
            raise ConfigurationError(f"No fal speech payload is known for the model {model!r}.")
        self.name = f"fal:{model}"
        self._queue = queue
        self._model = model
        self._price = price_per_second
        self._downloader = downloader
        self._probe = probe
        self._poll_after_s = poll_after_s

    webhook_route = "fal"

    def submit(self, request: SpeechRequest, *, webhook_url: str | None = None) -> Submission:
        fal_id = self._queue.submit(self._model, speech_arguments(self._model, request), webhook_url=webhook_url)
        return Submission(FalHandle(self._model, (fal_id,)).encode(), poll_after_s=self._poll_after_s)

    def adopt(self, vendor_id: str) -> str | None:
        return self._queue.adopt(self._model, vendor_id)

    def cancel(self, vendor_id: str) -> None:
        self._queue.cancel(self._model, vendor_id)

    def poll(self, request_id: str) -> PollResult:
        return self._queue.poll(request_id, lambda body: file_url(body, "audio"), poll_after_s=self._poll_after_s)

    def collect(self, request: SpeechRequest, result: PollResult, dest_dir: Path) -> AudioClip:
        return audio_clip(*fetch_result(result, self._downloader, self._probe, dest_dir, "speech", "audio"))

    def cost_usd(self, request: SpeechRequest, output: AudioClip) -> float:
        return round(self._price * output.duration_s, 6)
