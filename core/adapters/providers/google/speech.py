"""Google speech: Gemini TTS (google-genai; raw PCM, providers.md 5.5) and Cloud Text-to-Speech
(REST `text:synthesize`, providers.md 5.6). Both answer in one call, made in collect."""

from __future__ import annotations

import base64
import io
import logging
import re
import wave
from pathlib import Path
from typing import Any

import httpx
from google import genai
from google.genai import types

from core.adapters.providers.google.common import (
    PROVIDER,
    GoogleRest,
    SyncProvider,
    inline_payload,
    translating_genai,
    write_bytes,
)
from core.adapters.providers.http.common import Probe, audio_clip, probe_as
from core.domain.media import AudioClip
from core.domain.voices import GCLOUD, GEMINI, resolve
from core.errors import ProviderError, ValidationError
from core.ports import PollResult, SpeechRequest, Submission

logger = logging.getLogger(__name__)

DEFAULT_CLOUD_TTS_URL = "https://texttospeech.googleapis.com"
CLOUD_TTS_MAX_BYTES = 5000


def pcm_to_wav(pcm: bytes, mime_type: str) -> bytes:
    """Gemini sends headerless 16-bit mono PCM (`audio/L16;codec=pcm;rate=24000`): wrap it."""
    match = re.search(r"rate=(\d+)", mime_type)
    rate = int(match.group(1)) if match else 24000
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm[: len(pcm) - len(pcm) % 2])
    return buffer.getvalue()


def language_code(language: str) -> str:
    """ "en-us" -> "en-US"."""
    lang, _, region = language.partition("-")
    return f"{lang.lower()}-{region.upper()}" if region else lang.lower()


class GeminiSpeechSynthesizer(SyncProvider):
    """SpeechSynthesizer on a Gemini TTS model; `Voice.voice_id` is a prebuilt voice (e.g. "Kore")."""

    def __init__(
        self,
        client: genai.Client,
        *,
        model: str,
        price_per_second: float,
        probe: Probe,
    ) -> None:
        self.name = f"google:{model}"
        self._client = client
        self._model = model
        self._price = price_per_second
        self._probe = probe

    def submit(self, request: SpeechRequest) -> Submission:
        resolve(GEMINI, request.voice.voice_id, request.voice.voices)  # a wrong voice fails before any paid call
        return super().submit(request)

    def collect(self, request: SpeechRequest, result: PollResult, dest_dir: Path) -> AudioClip:
        name = resolve(GEMINI, request.voice.voice_id, request.voice.voices)
        voice = types.VoiceConfig(prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name=name))
        config = types.GenerateContentConfig(
            response_modalities=["AUDIO"], speech_config=types.SpeechConfig(voice_config=voice)
        )
        with translating_genai("the speech"):
            response = self._client.models.generate_content(model=self._model, contents=request.text, config=config)
        data, mime = inline_payload(response, "the speech")
        if "wav" not in mime.lower():
            data = pcm_to_wav(data, mime)
        raw = write_bytes(data, dest_dir, f"speech-{result.output.get('ref', 'audio')}")
        return audio_clip(*probe_as(raw, "audio", self._probe))

    def cost_usd(self, request: SpeechRequest, output: AudioClip) -> float:
        return round(self._price * output.duration_s, 6)


class GoogleCloudSpeechSynthesizer(SyncProvider):
    """SpeechSynthesizer on Cloud Text-to-Speech; `Voice.voice_id` is a voice name (e.g. "en-US-Neural2-F").

    API-key access to this API is unconfirmed (providers.md 5.6); the key goes in `x-goog-api-key`.
    """

    def __init__(
        self,
        api_key: str,
        *,
        http: httpx.Client,
        base_url: str = DEFAULT_CLOUD_TTS_URL,
        price_per_second: float,
        probe: Probe,
        audio_encoding: str = "MP3",
    ) -> None:
        self.name = "google:cloud-tts"
        self._rest = GoogleRest(api_key, http, base_url, "v1")
        self._price = price_per_second
        self._probe = probe
        self._encoding = audio_encoding

    def submit(self, request: SpeechRequest) -> Submission:
        resolve(GCLOUD, request.voice.voice_id, request.voice.voices)  # a wrong voice fails before any paid call
        return super().submit(request)

    def collect(self, request: SpeechRequest, result: PollResult, dest_dir: Path) -> AudioClip:
        if len(request.text.encode()) > CLOUD_TTS_MAX_BYTES:
            raise ValidationError(f"Cloud Text-to-Speech takes at most {CLOUD_TTS_MAX_BYTES} bytes of text.")
        name = resolve(GCLOUD, request.voice.voice_id, request.voice.voices)
        voice: dict[str, Any] = {"languageCode": language_code(name[:5]), "name": name}
        body = {"input": {"text": request.text}, "voice": voice, "audioConfig": {"audioEncoding": self._encoding}}
        answer = self._rest.call("POST", "text:synthesize", "the speech", json=body)
        encoded = answer.get("audioContent")
        if not isinstance(encoded, str) or not encoded:
            raise ProviderError("Google's Text-to-Speech returned no audio.", provider=PROVIDER)
        raw = write_bytes(base64.b64decode(encoded), dest_dir, f"speech-{result.output.get('ref', 'audio')}")
        return audio_clip(*probe_as(raw, "audio", self._probe))

    def cost_usd(self, request: SpeechRequest, output: AudioClip) -> float:
        return round(self._price * output.duration_s, 6)
