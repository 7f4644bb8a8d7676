"""Google stand-in: Gemini API (generateContent, Imagen predict, Veo predictLongRunning +
operations, file download) under /v1 and /v1beta, and Cloud TTS `/v1/text:synthesize`.

The key may come as `x-goog-api-key` or `?key=`. google-genai mixes camelCase and
snake_case in one body (providers.md section 0), so both are read.
Endpoint labels: generate, predict, submit, status, download, blob, tts.
Fault `fail` on generate/predict/tts makes that call refuse for safety; on submit the
operation ends with `raiMediaFilteredReasons`. Knob: `redirect_downloads`.

Streaming (`models/{m}:streamGenerateContent?alt=sse`, label `stream`): `stream_text` is sent
one word per SSE event, `stream_delay_s` apart. Fault `cut` on `stream` drops the connection
after `cut_after_chunks` events. `streams_aborted` counts streams the client closed early;
`stream_chunks_sent` counts events written. `json_answers`: JSON answers to hand out in
order for structured calls (else a minimal value of the schema).
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

from tests.stubs.base import VendorStub
from tests.stubs.media import mp3_bytes, mp4_bytes, pcm_bytes, png_bytes, wav_bytes
from tests.stubs.server import DropConnection, StubRequest, StubResponse

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
EXTENSION_S = 7.0
_VERSION = r"/(?P<version>v1|v1beta)"


def example_of(schema: dict[str, Any]) -> Any:
    """A minimal value that satisfies a JSON schema (objects, arrays, enums, scalars)."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        return {name: example_of(sub) for name, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [example_of(schema.get("items") or {"type": "string"}) for _ in range(schema.get("minItems", 1))]
    if kind == "number" and "minimum" in schema and "maximum" in schema:
        return schema["minimum"] + 0.8 * (schema["maximum"] - schema["minimum"])  # a model keeps to the bounds
    if kind == "string" and "#RRGGBB" in schema.get("description", ""):
        return "#C8A040"  # a model follows the field's description
    return {"integer": 1, "number": 0.5, "boolean": True}.get(str(kind), "text")


def pick(obj: Any, *names: str) -> Any:
    """The first present key among spellings, e.g. pick(cfg, "responseModalities", "response_modalities")."""
    if isinstance(obj, dict):
        for name in names:
            if name in obj:
                return obj[name]
    return None


class GoogleStub(VendorStub):
    def __init__(
        self, *, redirect_downloads: bool = True, video_size: tuple[int, int] = (96, 160), **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.redirect_downloads = redirect_downloads
        self.video_uri_host = ""  # e.g. "https://generativelanguage.googleapis.com": what a real answer names
        self.video_size = video_size
        self.video_time_scale = 0.25  # stand-in videos are shorter than asked (cheap); 1.0: as long
        self.stream_text = "Open on the problem in the first second, then show the serum working up close."
        self.stream_delay_s = 0.0
        self.cut_after_chunks = 2
        self.streams_aborted = 0
        self.stream_chunks_sent = 0
        self.json_answers: list[Any] = []
        model = r"models/(?P<model>[A-Za-z0-9._-]+)"
        self.route("POST", rf"{_VERSION}/{model}:generateContent", "generate", self._generate)
        self.route("POST", rf"{_VERSION}/{model}:streamGenerateContent", "stream", self._stream)
        self.route("POST", rf"{_VERSION}/{model}:predict", "predict", self._predict)
        self.route("POST", rf"{_VERSION}/{model}:predictLongRunning", "submit", self._submit)
        self.route("GET", rf"{_VERSION}/{model}/operations/(?P<op>[A-Za-z0-9-]+)", "status", self._operation)
        self.route("GET", rf"{_VERSION}/files/(?P<fid>[A-Za-z0-9-]+):download", "download", self._download)
        self.route("GET", r"/blob/(?P<fid>[A-Za-z0-9-]+)", "blob", self._blob, auth=False)
        self.route("POST", r"/v1/text:synthesize", "tts", self._synthesize)
        self.route("GET", r"/v1/voices", "voices", self._voices)

    def authorized(self, request: StubRequest) -> bool:
        return self.api_key in (request.header("x-goog-api-key"), request.arg("key"))

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> StubResponse:
        body = {"error": {"code": status, "message": message, "status": _STATUS.get(status, "UNKNOWN")}}
        return StubResponse.of_json(body, status, headers)

    # ------------------------------------------------------------------ generateContent

    def _generate(self, request: StubRequest, version: str, model: str) -> StubResponse:
        body = request.json() or {}
        config = pick(body, "generationConfig", "generation_config") or {}
        modalities = pick(config, "responseModalities", "response_modalities") or ["TEXT"]
        parts = [p for c in body.get("contents", []) for p in (c.get("parts") or [])]
        texts = [p["text"] for p in parts if isinstance(p.get("text"), str)]
        images = [pick(p, "inlineData", "inline_data") for p in parts if pick(p, "inlineData", "inline_data")]
        if not texts:
            return self.error(400, "contents must include text")
        if self.faults.take("generate", {"fail"}) is not None:
            return StubResponse.of_json({"promptFeedback": {"blockReason": "SAFETY"}})
        if pick(config, "responseMimeType", "response_mime_type") == "application/json":
            return self._json_answer(model, body, config)
        if "AUDIO" in modalities:
            speech = pick(config, "speechConfig", "speech_config") or {}
            voice = pick(
                pick(pick(speech, "voiceConfig", "voice_config"), "prebuiltVoiceConfig", "prebuilt_voice_config"),
                "voiceName",
                "voice_name",
            )
            if not isinstance(voice, str):
                return self.error(400, "speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName is required")
            inline = {
                "mimeType": "audio/L16;codec=pcm;rate=24000",
                "data": base64.b64encode(pcm_bytes(0.8, 24000)).decode(),
            }
        elif "IMAGE" in modalities:
            if not images or not pick(images[0], "data"):
                return self.error(400, "an input image part is required for editing")
            inline = {"mimeType": "image/png", "data": base64.b64encode(png_bytes(80, 120)).decode()}
        else:
            return self.error(400, "this stub only answers IMAGE or AUDIO")
        self.create(model, body, label="generate_created")
        candidate = {"content": {"role": "model", "parts": [{"inlineData": inline}]}, "finishReason": "STOP"}
        return StubResponse.of_json({"candidates": [candidate], "modelVersion": model})

    def _json_answer(self, model: str, body: dict[str, Any], config: dict[str, Any]) -> StubResponse:
        """Structured output: an answer shaped by the JSON schema the client sent."""
        schema = pick(config, "responseJsonSchema", "response_json_schema", "responseSchema", "response_schema")
        if not isinstance(schema, dict) or not schema:
            return self.error(400, "a JSON response needs responseJsonSchema")
        self.create(model, body, label="generate_created")
        self.last_schema = schema
        with self._lock:
            answer = self.json_answers.pop(0) if self.json_answers else example_of(schema)
        part = {"text": answer if isinstance(answer, str) else json.dumps(answer)}
        return StubResponse.of_json(
            {
                "candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP"}],
                "modelVersion": model,
            }
        )

    def _stream(self, request: StubRequest, version: str, model: str) -> StubResponse:
        body = request.json() or {}
        parts = [p for c in body.get("contents", []) for p in (c.get("parts") or [])]
        if request.arg("alt") != "sse" or not any(isinstance(p.get("text"), str) for p in parts):
            return self.error(400, "streaming needs ?alt=sse and text contents")
        self.create(model, body, label="stream_created")
        cut = self.faults.take("stream", {"cut"}) is not None
        return StubResponse(200, headers={"Content-Type": "text/event-stream"}, stream=self._events(model, cut))

    def _events(self, model: str, cut: bool) -> Any:
        words = self.stream_text.split(" ")
        finished = False
        try:
            for index, word in enumerate(words):
                if cut and index == self.cut_after_chunks:
                    raise DropConnection
                if index and self.stream_delay_s:
                    time.sleep(self.stream_delay_s)
                last = index == len(words) - 1
                text = (" " if index else "") + word
                candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}}
                if last:
                    candidate["finishReason"] = "STOP"
                event = {"candidates": [candidate], "modelVersion": model}
                with self._lock:
                    self.stream_chunks_sent += 1
                yield f"data: {json.dumps(event)}\r\n\r\n".encode()
            finished = True
        finally:
            if not finished and not cut:
                with self._lock:
                    self.streams_aborted += 1

    def _predict(self, request: StubRequest, version: str, model: str) -> StubResponse:
        body = request.json() or {}
        instances = body.get("instances") or [{}]
        if not isinstance(instances[0].get("prompt"), str):
            return self.error(400, "instances[0].prompt is required")
        if self.faults.take("predict", {"fail"}) is not None:
            return StubResponse.of_json({})  # Imagen's way of saying the image was filtered
        self.create(model, body, label="predict_created")
        encoded = base64.b64encode(png_bytes(72, 128)).decode()
        return StubResponse.of_json({"predictions": [{"bytesBase64Encoded": encoded, "mimeType": "image/png"}]})

    # ------------------------------------------------------------------ Veo

    def _submit(self, request: StubRequest, version: str, model: str) -> StubResponse:
        body = request.json() or {}
        instance = (body.get("instances") or [{}])[0]
        image = instance.get("image") or {}
        data = pick(image, "bytesBase64Encoded", "bytes_base64_encoded") or pick(pick(image, "inlineData"), "data")
        source = self._extended(instance)
        if not isinstance(instance.get("prompt"), str) or not (data or source):
            return self.error(400, "instances[0].prompt and instances[0].image (or video) are required")
        if source == "":
            return self.error(400, "instances[0].video must name a video Veo made")
        params = body.get("parameters") or {}
        duration, aspect = params.get("durationSeconds", 8), params.get("aspectRatio", "16:9")
        if duration not in (4, 6, 8) or aspect not in ("16:9", "9:16"):
            return self.error(400, "durationSeconds must be 4, 6 or 8 and aspectRatio 16:9 or 9:16")
        prediction = self.create(model, body)
        return StubResponse.of_json({"name": f"models/{model}/operations/{prediction.id}"})

    def _operation(self, request: StubRequest, version: str, model: str, op: str) -> StubResponse:
        prediction = self.predictions.get(op)
        if prediction is None or prediction.model != model:
            return self.error(404, "Operation not found")
        name = f"models/{model}/operations/{op}"
        fault = self.status_fault("status")
        if fault is not None or self.stage(prediction) < 2:
            return StubResponse.of_json({"name": name, "done": False} if fault is None else {"name": name})
        if prediction.fail:
            inner = {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": [prediction.fail]}
        else:
            seconds = self._seconds_of(prediction)
            self.put_file(mp4_bytes(seconds, *self.video_size), "video/mp4", op)
            host = self.video_uri_host or self.url  # Google names its own host, not the proxy's
            inner = {"generatedSamples": [{"video": {"uri": f"{host}/{version}/files/{op}:download?alt=media"}}]}
        response = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
            "generateVideoResponse": inner,
        }
        return StubResponse.of_json({"name": name, "done": True, "response": response})

    def _extended(self, instance: dict[str, Any]) -> str | None:
        """The operation id of the video an extension names ("" if none Veo made), None if no video."""
        uri = pick(instance.get("video") or {}, "uri")
        if uri is None:
            return None
        found = re.search(r"/files/([A-Za-z0-9-]+)", str(uri))
        return found.group(1) if found and found.group(1) in self.predictions else ""

    def _seconds_of(self, prediction: Any) -> float:
        """A stand-in's length: the asked duration times `video_time_scale`; an extension adds
        EXTENSION_S to the video it extends (Google's docs: Veo extends by about 7 s)."""
        if prediction.output.get("seconds"):
            return float(prediction.output["seconds"])
        source = self._extended((prediction.inputs.get("instances") or [{}])[0])
        if source:
            seconds = self._seconds_of(self.predictions[source]) + EXTENSION_S * self.video_time_scale
        else:
            seconds = (prediction.inputs.get("parameters") or {}).get("durationSeconds", 8) * self.video_time_scale
        prediction.output["seconds"] = seconds
        return float(seconds)

    def _download(self, request: StubRequest, version: str, fid: str) -> StubResponse:
        if fid not in self.files:
            return self.error(404, "File not found")
        if self.redirect_downloads:
            return StubResponse(302, b"", {"Location": f"/blob/{fid}"})
        return self._blob(request, fid)

    def _blob(self, request: StubRequest, fid: str) -> StubResponse:
        return self._serve_file(request, fid)

    # ------------------------------------------------------------------ Cloud TTS

    def _voices(self, request: StubRequest) -> StubResponse:
        from core.domain.voices import GCLOUD, options

        voices = [
            {"name": o.voice_id, "languageCodes": [o.voice_id[:5]], "ssmlGender": o.gender.upper()}
            for o in options(GCLOUD)
        ]
        return StubResponse.of_json({"voices": voices})

    def _synthesize(self, request: StubRequest) -> StubResponse:
        body = request.json() or {}
        text = pick(body.get("input"), "text", "ssml")
        language = pick(body.get("voice"), "languageCode")
        encoding = pick(body.get("audioConfig"), "audioEncoding")
        if not isinstance(text, str) or not isinstance(language, str) or encoding not in ("MP3", "LINEAR16"):
            return self.error(400, "input.text, voice.languageCode and audioConfig.audioEncoding are required")
        if self.faults.take("tts", {"fail"}) is not None:
            return self.error(400, "The text contains unsupported characters")
        self.create("cloud-tts", body, label="tts_created")
        audio = mp3_bytes(0.8) if encoding == "MP3" else wav_bytes(0.8)
        return StubResponse.of_json({"audioContent": base64.b64encode(audio).decode()})
