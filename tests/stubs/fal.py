"""fal.ai stand-in: queue (providers.md 1.3), storage upload (1.5), the models of section 2.

Point fal-client at it with `FalQueue(..., queue_url=stub.url, rest_url=stub.url, cdn_url=stub.url)`.
Endpoint labels: submit, status, result, cancel, token, upload, upload_initiate,
upload_put, file, jwks. Extra knob: `validate_at_submit` (422 at submit instead of at result).
A submit with `?fal_webhook=<url>` gets a signed callback there when the prediction is done
(keys at `/.well-known/jwks.json`, user id `webhook_user_id`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.stubs.base import Prediction, VendorStub
from tests.stubs.media import mp3_bytes, mp4_bytes, png_bytes, wav_bytes, wav_duration
from tests.stubs.server import StubRequest, StubResponse

FPS = 25
TRAINER = "fal-ai/wan-22-image-trainer"
LORA_IMAGE = "fal-ai/wan/v2.2-a14b/text-to-image/lora"
SWAP = "fal-ai/pixverse/swap"


def safetensors_bytes(values: int = 16, *, metadata: dict[str, str] | None = None) -> bytes:
    """A real, minimal `.safetensors`: one F32 tensor of `values` numbers."""
    import json
    import struct

    header = {"lora_A.weight": {"dtype": "F32", "shape": [values], "data_offsets": [0, 4 * values]}}
    if metadata:
        header["__metadata__"] = metadata  # type: ignore[assignment]
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + struct.pack(f"<{values}f", *range(values))


def _detail(field: str, msg: str) -> dict[str, Any]:
    return {"loc": ["body", field], "msg": msg, "type": "value_error"}


def _required_text(body: dict[str, Any], field: str) -> list[dict[str, Any]]:
    value = body.get(field)
    return [] if isinstance(value, str) and value else [_detail(field, "field required")]


class FalStub(VendorStub):
    def __init__(
        self, *, validate_at_submit: bool = False, video_size: tuple[int, int] = (96, 160), **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.validate_at_submit = validate_at_submit
        self.video_size = video_size
        self.cancelled: list[str] = []
        self._token = uuid.uuid4().hex
        self.webhook_key = Ed25519PrivateKey.generate()
        self.webhook_user_id = "stub-user"
        self.route("GET", r"/\.well-known/jwks\.json", "jwks", self._jwks, auth=False)
        self.route("POST", r"/storage/auth/token", "token", self._cdn_token)
        self.route("POST", r"/files/upload", "upload", self._cdn_upload, auth=False)
        self.route("POST", r"/storage/upload/initiate", "upload_initiate", self._initiate)
        self.route("PUT", r"/gcs/(?P<name>[A-Za-z0-9._-]+)", "upload_put", self._gcs_put, auth=False)
        app = r"(?P<app>[^/]+/[^/]+)/requests/(?P<rid>[A-Za-z0-9-]+)"
        self.route("GET", rf"/{app}/status", "status", self._status)
        self.route("PUT", rf"/{app}/cancel", "cancel", self._cancel)
        self.route("GET", rf"/{app}", "result", self._result)
        self.route("POST", r"/(?P<model>[a-z0-9-]+/[A-Za-z0-9._/-]+)", "submit", self._submit)
        self._models: dict[str, Callable[[dict[str, Any]], list[dict[str, Any]]]] = {
            "fal-ai/nano-banana/edit": self._check_edit,
            "fal-ai/flux/dev": self._check_flux,
            "fal-ai/flux/schnell": self._check_flux,
            "fal-ai/infinitalk": self._check_infinitalk,
            TRAINER: self._check_trainer,
            LORA_IMAGE: self._check_lora_image,
            SWAP: self._check_swap,
        }
        # model -> polls answered IN_PROGRESS before the walk may finish (a training takes an hour)
        self.min_polls: dict[str, int] = {}

    def authorized(self, request: StubRequest) -> bool:
        return request.header("Authorization") == f"Key {self.api_key}"

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> StubResponse:
        return StubResponse.of_json({"detail": message}, status, {"x-fal-request-id": "stub", **(headers or {})})

    # ------------------------------------------------------------------ storage

    def _cdn_token(self, request: StubRequest) -> StubResponse:
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        return StubResponse.of_json(
            {"token": self._token, "token_type": "Bearer", "base_url": self.url, "expires_at": expires.isoformat()}
        )

    def _cdn_upload(self, request: StubRequest) -> StubResponse:
        if request.header("Authorization") != f"Bearer {self._token}":
            return self.error(401, "Invalid CDN token")
        name = f"{uuid.uuid4().hex[:12]}-{request.header('X-Fal-File-Name') or 'upload.bin'}"
        return StubResponse.of_json({"access_url": self.put_file(request.body, request.header("Content-Type"), name)})

    def _initiate(self, request: StubRequest) -> StubResponse:
        body = request.json() or {}
        name = f"{uuid.uuid4().hex[:12]}-{body.get('file_name', 'upload.bin')}"
        return StubResponse.of_json({"upload_url": f"{self.url}/gcs/{name}", "file_url": f"{self.url}/files/{name}"})

    def _gcs_put(self, request: StubRequest, name: str) -> StubResponse:
        self.put_file(request.body, request.header("Content-Type"), name)
        return StubResponse(200)

    # ------------------------------------------------------------------ queue

    def _submit(self, request: StubRequest, model: str) -> StubResponse:
        body = request.json()
        problems = self._check(model, body)
        if problems and self.validate_at_submit:
            return StubResponse.of_json({"detail": problems}, 422)
        prediction = self.create(model, body if isinstance(body, dict) else {})
        prediction.fail_detail = problems or None
        if request.arg("fal_webhook"):
            self.call_back(str(request.arg("fal_webhook")), prediction, self._webhook)
        app = "/".join(model.split("/")[:2])
        base = f"{self.url}/{app}/requests/{prediction.id}"
        return StubResponse.of_json(
            {
                "request_id": prediction.id,
                "gateway_request_id": prediction.id,
                "response_url": base,
                "status_url": f"{base}/status",
                "cancel_url": f"{base}/cancel",
            }
        )

    def _check(self, model: str, body: Any) -> list[dict[str, Any]]:
        if not isinstance(body, dict):
            return [_detail("body", "must be a JSON object")]
        if model.startswith(("fal-ai/elevenlabs/", "fal-ai/minimax/", "fal-ai/kokoro/")):
            return self._check_speech(model, body)
        check = self._models.get(model)
        return check(body) if check else [_detail("model", f"unknown endpoint {model}")]

    def _prediction(self, app: str, rid: str) -> Prediction | None:
        prediction = self.predictions.get(rid)
        return prediction if prediction and prediction.model.startswith(app) else None

    def _status(self, request: StubRequest, app: str, rid: str) -> StubResponse:
        prediction = self._prediction(app, rid)
        if prediction is None:
            return self.error(404, "Request not found")
        base = f"{self.url}/{app}/requests/{rid}"
        fault = self.status_fault("status")
        if fault is not None:
            return StubResponse.of_json({"status": fault.status or "SOMETHING_NEW", "logs": None, "response_url": base})
        if prediction.polls < self.min_polls.get(prediction.model, 0) and prediction.id not in self.cancelled:
            prediction.polls += 1
            return StubResponse.of_json({"status": "IN_PROGRESS", "logs": [], "response_url": base})
        stage = 2 if prediction.id in self.cancelled else self.stage(prediction)
        if stage == 0:
            return StubResponse.of_json({"status": "IN_QUEUE", "queue_position": 0, "logs": None, "response_url": base})
        logs = [
            {"timestamp": dt.datetime.now(dt.UTC).isoformat(), "level": "INFO", "source": "user", "message": "step"}
        ]
        if stage == 1:
            return StubResponse.of_json({"status": "IN_PROGRESS", "logs": logs, "response_url": base})
        body: dict[str, Any] = {
            "status": "COMPLETED",
            "logs": logs,
            "metrics": {"inference_time": 0.1},
            "response_url": base,
        }
        if prediction.fail or prediction.fail_detail:
            body.update(error=prediction.fail or "Invalid status code: 422", error_type="runner_error")
        return StubResponse.of_json(body)

    def _jwks(self, request: StubRequest) -> StubResponse:
        raw = self.webhook_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return StubResponse.of_json(
            {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": base64.urlsafe_b64encode(raw).decode()}]}
        )

    def _webhook(self, prediction: Prediction) -> tuple[bytes, dict[str, str]]:
        """fal's callback (providers.md 1.4): `{request_id, status, payload}`, Ed25519-signed."""
        failed = prediction.fail or prediction.fail_detail
        if not failed and not prediction.output:
            prediction.output = self._output(prediction)
        body = json.dumps(
            {
                "request_id": prediction.id,
                "gateway_request_id": prediction.id,
                "status": "ERROR" if failed else "OK",
                "payload": prediction.fail_detail if failed else prediction.output,
            }
        ).encode()
        ts = str(int(time.time()))
        message = "\n".join((prediction.id, self.webhook_user_id, ts, hashlib.sha256(body).hexdigest())).encode()
        return body, {
            "X-Fal-Webhook-Request-Id": prediction.id,
            "X-Fal-Webhook-User-Id": self.webhook_user_id,
            "X-Fal-Webhook-Timestamp": ts,
            "X-Fal-Webhook-Signature": self.webhook_key.sign(message).hex(),
        }

    def _cancel(self, request: StubRequest, app: str, rid: str) -> StubResponse:
        prediction = self._prediction(app, rid)
        if prediction is None:
            return StubResponse.of_json({"status": "NOT_FOUND"}, 404)
        self.cancelled.append(rid)
        prediction.fail = "Request was cancelled"
        return StubResponse.of_json({"status": "CANCELLATION_REQUESTED"}, 202)

    def _result(self, request: StubRequest, app: str, rid: str) -> StubResponse:
        prediction = self._prediction(app, rid)
        if prediction is None:
            return self.error(404, "Request not found")
        if not self.finished(prediction):
            return self.error(400, "Request is still in progress")
        if prediction.fail_detail:
            return StubResponse.of_json({"detail": prediction.fail_detail}, 422, {"x-fal-request-id": rid})
        if prediction.fail:
            return self.error(500, prediction.fail)
        if not prediction.output:
            prediction.output = self._output(prediction)
        return StubResponse.of_json(prediction.output, headers={"x-fal-request-id": rid})

    # ------------------------------------------------------------------ models

    def _needs_file(self, body: dict[str, Any], field: str) -> list[dict[str, Any]]:
        if self.file_of(body.get(field)) is None:
            return [_detail(field, "must be a URL of an uploaded file")]
        return []

    def _check_edit(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        problems = _required_text(body, "prompt")
        urls = body.get("image_urls")
        if not isinstance(urls, list) or not urls or any(self.file_of(u) is None for u in urls):
            problems.append(_detail("image_urls", "must be a list of uploaded image URLs"))
        if "strength" in body:
            problems.append(_detail("strength", "extra fields not permitted"))
        return problems

    def _check_flux(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        problems = _required_text(body, "prompt")
        size = body.get("image_size", "landscape_4_3")
        if isinstance(size, dict) and not all(
            isinstance(size.get(k), int) and 0 < size[k] <= 4096 for k in ("width", "height")
        ):
            problems.append(_detail("image_size", "width and height must be integers up to 4096"))
        return problems

    def _check_speech(self, model: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        text_field = "prompt" if model.startswith("fal-ai/kokoro/") else "text"
        problems = _required_text(body, text_field)
        if model.startswith("fal-ai/minimax/"):
            if body.get("output_format") != "url":
                problems.append(_detail("output_format", "this stub only serves url output"))
            if not isinstance((body.get("voice_setting") or {}).get("voice_id"), str):
                problems.append(_detail("voice_setting.voice_id", "field required"))
        return problems

    def _check_infinitalk(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        problems = self._needs_file(body, "image_url") + self._needs_file(body, "audio_url")
        if not isinstance(body.get("prompt"), str):
            problems.append(_detail("prompt", "field required"))
        frames = body.get("num_frames", 145)
        if not isinstance(frames, int) or not 41 <= frames <= 721:
            problems.append(_detail("num_frames", "must be between 41 and 721"))
        if body.get("resolution", "480p") not in ("480p", "720p"):
            problems.append(_detail("resolution", "must be 480p or 720p"))
        return problems

    def _check_trainer(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        problems = self._needs_file(body, "training_data_url") + _required_text(body, "trigger_phrase")
        data = self.file_of(body.get("training_data_url"))
        if data is not None and not data[0].startswith(b"PK"):
            problems.append(_detail("training_data_url", "must be a zip archive"))
        if not isinstance(body.get("steps", 1000), int):
            problems.append(_detail("steps", "must be an integer"))
        return problems

    def _check_lora_image(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        problems = _required_text(body, "prompt")
        loras = body.get("loras")
        if not isinstance(loras, list) or not loras or any(self.file_of(lo.get("path")) is None for lo in loras):
            problems.append(_detail("loras", "must list uploaded LoRA files as {path, scale}"))
        return problems

    def _check_swap(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        problems = self._needs_file(body, "video_url") + self._needs_file(body, "image_url")
        if body.get("mode", "person") not in ("person", "object", "background"):
            problems.append(_detail("mode", "must be person, object or background"))
        if body.get("resolution", "720p") not in ("360p", "540p", "720p"):
            problems.append(_detail("resolution", "must be 360p, 540p or 720p"))
        return problems

    def _twin_output(self, prediction: Prediction) -> dict[str, Any]:
        model, rid = prediction.model, prediction.id
        if model == TRAINER:

            def file(data: bytes, ctype: str, name: str) -> dict[str, Any]:
                return {"url": self.put_file(data, ctype, f"{rid}-{name}"), "content_type": ctype}

            return {
                "diffusers_lora_file": file(safetensors_bytes(), "application/octet-stream", "lora.safetensors"),
                "high_noise_lora": file(safetensors_bytes(8), "application/octet-stream", "high.safetensors"),
                "config_file": file(b'{"trigger_phrase": "stub"}', "application/json", "config.json"),
            }
        if model == LORA_IMAGE:
            size = prediction.inputs.get("image_size")
            w, h = (size["width"], size["height"]) if isinstance(size, dict) else (64, 96)
            return {"image": {"url": self.put_file(png_bytes(w, h), "image/png", f"{rid}.png")}, "seed": 1}
        data = mp4_bytes(1.0, *self.video_size)
        return {"video": {"url": self.put_file(data, "video/mp4", f"{rid}.mp4"), "content_type": "video/mp4"}}

    def _output(self, prediction: Prediction) -> dict[str, Any]:
        model, inputs = prediction.model, prediction.inputs
        if model in (TRAINER, LORA_IMAGE, SWAP):
            return self._twin_output(prediction)
        if model.startswith("fal-ai/flux/") or model == "fal-ai/nano-banana/edit":
            size = inputs.get("image_size")
            w, h = (size["width"], size["height"]) if isinstance(size, dict) else (64, 96)
            url = self.put_file(png_bytes(w, h), "image/png", f"{prediction.id}.png")
            image = {"url": url, "content_type": "image/png", "width": w, "height": h}
            return {"images": [image], "seed": inputs.get("seed", 0), "description": "", "has_nsfw_concepts": [False]}
        if model == "fal-ai/infinitalk":
            seconds = inputs.get("num_frames", 145) / FPS
            data = mp4_bytes(round(seconds, 2), *self.video_size)
            return {
                "video": {"url": self.put_file(data, "video/mp4", f"{prediction.id}.mp4"), "content_type": "video/mp4"},
                "seed": inputs.get("seed", 42),
            }
        text = str(inputs.get("text") or inputs.get("prompt") or "")
        seconds = round(min(5.0, max(0.5, 0.4 * len(text.split()))), 1)
        if model.startswith("fal-ai/elevenlabs/"):
            data, ctype, name = mp3_bytes(seconds), "audio/mpeg", f"{prediction.id}.mp3"
        else:
            data, ctype, name = wav_bytes(seconds), "audio/wav", f"{prediction.id}.wav"
        out: dict[str, Any] = {"audio": {"url": self.put_file(data, ctype, name), "content_type": ctype}}
        if model.startswith("fal-ai/minimax/"):
            out["duration_ms"] = int((wav_duration(data) or seconds) * 1000)
        return out
