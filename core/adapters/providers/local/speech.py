"""Offline text-to-speech with eSpeak NG: WAV from the library, MP3 through the toolkit."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
import wave
from pathlib import Path

from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.providers.local import espeak
from core.adapters.providers.local.base import FinishedOnSubmit
from core.domain.media import AudioClip
from core.errors import ValidationError
from core.ports import PollResult, SpeechRequest, Submission

logger = logging.getLogger(__name__)

MAX_SCRIPT_CHARS = 5000
FALLBACK_VOICE = "en-us"


def speech_request_id(request: SpeechRequest) -> str:
    """Deterministic: same text, voice and seed give the same id (and the same audio)."""
    voice = request.voice
    payload = {
        "text": request.text,
        "voice_id": voice.voice_id,
        "language": voice.language,
        "rate_wpm": voice.rate_wpm,
        "pitch": voice.pitch,
        "seed": request.seed,
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()
    return f"local-tts-{digest[:32]}"


class LocalSpeechSynthesizer(FinishedOnSubmit):
    """Provider[SpeechRequest, AudioClip]. Finishes on submit; renders in collect."""

    def __init__(self, toolkit: FfmpegToolkit | None = None, *, max_chars: int = MAX_SCRIPT_CHARS) -> None:
        self._toolkit = toolkit or FfmpegToolkit()
        self._max_chars = max_chars

    def submit(self, request: SpeechRequest) -> Submission:
        self._check(request)
        return Submission(request_id=speech_request_id(request), poll_after_s=0.0)

    def collect(self, request: SpeechRequest, result: PollResult, dest_dir: Path) -> AudioClip:
        self._check(request)
        dest_dir = Path(dest_dir)
        dest_dir.mkdir(parents=True, exist_ok=True)
        request_id = speech_request_id(request)
        voices = [request.voice.voice_id, request.voice.language, FALLBACK_VOICE]
        speech, used = espeak.synthesize(
            request.text.strip(),
            voices,
            rate_wpm=request.voice.rate_wpm,
            pitch=request.voice.pitch,
            seed=request.seed,
        )
        if used != request.voice.voice_id:
            logger.warning("voice %r not installed; spoke with %r", request.voice.voice_id, used)
        if speech.duration_s <= 0:
            raise ValidationError("The offline voice produced no sound for this script.")
        wav_path = dest_dir / f".{request_id}-{uuid.uuid4().hex[:8]}.wav"
        try:
            _write_wav(wav_path, speech)
            return self._toolkit.transcode_audio_mp3(wav_path, dest_dir / f"{request_id}.mp3")
        finally:
            wav_path.unlink(missing_ok=True)

    def _check(self, request: SpeechRequest) -> None:
        text = request.text.strip()
        if not text:
            raise ValidationError("Please write a script for the actor to read.")
        if len(text) > self._max_chars:
            raise ValidationError(f"The script is {len(text)} characters; the limit is {self._max_chars}.")


def _write_wav(path: Path, speech: espeak.Speech) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(speech.sample_rate)
        out.writeframes(speech.pcm)
