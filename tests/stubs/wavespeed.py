"""WaveSpeed REST v3 stand-in (providers.md sections 0 and 3). Base URL: `f"{stub.url}/api/v3"`.

Endpoint labels: submit, result, upload_ticket, upload_put, upload_binary, file.
Extra knobs: `ticket_uploads` (False: the ticket endpoint 404s) and `binary_uploads` (False: the
documented binary endpoint 404s, to exercise the fallback).
Fault `terminal_status` on "result" with `status="cancelled"|"timeout"|"deleted"`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from tests.stubs.base import Prediction, VendorStub
from tests.stubs.media import mp4_bytes, wav_duration
from tests.stubs.server import StubRequest, StubResponse

MODELS = ("wavespeed-ai/infinitetalk", "wavespeed-ai/infinitetalk-fast")


class WaveSpeedStub(VendorStub):
    def __init__(
        self,
        *,
        ticket_uploads: bool = True,
        binary_uploads: bool = True,
        video_size: tuple[int, int] = (96, 160),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.ticket_uploads = ticket_uploads
        self.binary_uploads = binary_uploads
        self.video_size = video_size
        self._tickets: dict[str, tuple[int, str]] = {}
        self.webhook_secret = "whsec_stub-webhook-secret"
        self.route("POST", r"/api/v3/media/uploads", "upload_ticket", self._ticket)
        self.route("PUT", r"/put/(?P<name>[A-Za-z0-9._-]+)", "upload_put", self._put, auth=False)
        self.route("POST", r"/api/v3/media/upload/binary", "upload_binary", self._binary)
        self.route("GET", r"/api/v3/predictions/(?P<pid>[A-Za-z0-9-]+)/result", "result", self._result)
        self.route("POST", r"/api/v3/(?P<model>[a-z0-9-]+/[a-z0-9._/-]+)", "submit", self._submit)

    @property
    def base_url(self) -> str:
        return f"{self.url}/api/v3"

    def authorized(self, request: StubRequest) -> bool:
        return request.header("Authorization") == f"Bearer {self.api_key}"

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> StubResponse:
        return StubResponse.of_json({"code": status, "message": message, "data": None}, status, headers)

    def _ok(self, data: dict[str, Any]) -> StubResponse:
        return StubResponse.of_json({"code": 200, "message": "success", "data": data})

    # ------------------------------------------------------------------ uploads

    def _ticket(self, request: StubRequest) -> StubResponse:
        if not self.ticket_uploads:
            return self.error(404, "Not Found")
        body = request.json() or {}
        if not isinstance(body.get("filename"), str) or not isinstance(body.get("size"), int):
            return self.error(400, "filename and size are required")
        name = f"{uuid.uuid4().hex[:12]}-{body['filename']}"
        ctype = str(body.get("content_type") or "application/octet-stream")
        self._tickets[name] = (body["size"], ctype)
        return self._ok(
            {
                "type": ctype.split("/")[0],
                "download_url": f"{self.url}/files/{name}",
                "filename": body["filename"],
                "size": body["size"],
                "upload": {"method": "PUT", "url": f"{self.url}/put/{name}", "headers": {"Content-Type": ctype}},
            }
        )

    def _put(self, request: StubRequest, name: str) -> StubResponse:
        ticket = self._tickets.pop(name, None)
        if ticket is None or ticket[0] != len(request.body):
            return StubResponse(403, b"<Error>SignatureDoesNotMatch</Error>")
        self.put_file(request.body, ticket[1], name)
        return StubResponse(200)

    def _binary(self, request: StubRequest) -> StubResponse:
        if not self.binary_uploads:
            return self.error(404, "Not Found")
        ctype = request.header("Content-Type")
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + request.body)
        for part in message.iter_parts() if message.is_multipart() else []:
            if part.get_param("name", header="content-disposition") == "file":
                name = f"{uuid.uuid4().hex[:12]}-{part.get_filename() or 'upload.bin'}"
                url = self.put_file(part.get_payload(decode=True) or b"", part.get_content_type(), name)
                return self._ok({"download_url": url})
        return self.error(400, "multipart field 'file' is required")

    # ------------------------------------------------------------------ predictions

    def _submit(self, request: StubRequest, model: str) -> StubResponse:
        if model not in MODELS:
            return self.error(400, f"Unknown model {model}")
        body = request.json()
        problem = self._problem(body)
        if problem:
            return self.error(400, problem)
        prediction = self.create(model, body)
        if request.arg("webhook"):
            self.call_back(str(request.arg("webhook")), prediction, self._webhook)
        return self._ok(self._view(prediction, "created"))

    def _webhook(self, prediction: Prediction) -> tuple[bytes, dict[str, str]]:
        """WaveSpeed's callback (providers.md 3): the prediction view, HMAC-signed."""
        if not prediction.fail:
            self._render(prediction)
        body = json.dumps(self._view(prediction, "failed" if prediction.fail else "completed")).encode()
        event, ts = uuid.uuid4().hex, str(int(time.time()))
        key = self.webhook_secret[len("whsec_") :].encode()
        signature = hmac.new(key, f"{event}.{ts}.".encode() + body, hashlib.sha256).hexdigest()
        return body, {"webhook-id": event, "webhook-timestamp": ts, "webhook-signature": f"v3,{signature}"}

    def _problem(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return "body must be a JSON object"
        for field in ("image", "audio"):
            if self.file_of(body.get(field)) is None:
                return f"{field} must be the URL of an uploaded file"
        if body.get("resolution", "480p") not in ("480p", "720p"):
            return "resolution must be 480p or 720p"
        if "seed" in body and not isinstance(body["seed"], int):
            return "seed must be an integer"
        return None

    def _view(self, prediction: Prediction, status: str) -> dict[str, Any]:
        outputs = prediction.output.get("outputs", []) if status == "completed" else []
        return {
            "id": prediction.id,
            "model": prediction.model,
            "status": status,
            "outputs": outputs,
            "urls": {"get": f"{self.base_url}/predictions/{prediction.id}/result"},
            "has_nsfw_contents": [False] * len(outputs),
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "error": (prediction.fail or "") if status == "failed" else "",
            "timings": {"inference": 100},
        }

    def _result(self, request: StubRequest, pid: str) -> StubResponse:
        prediction = self.predictions.get(pid)
        if prediction is None:
            return self.error(404, "Prediction not found")
        fault = self.status_fault("result")
        if fault is not None:
            if fault.kind == "terminal_status":
                prediction.terminal = fault.status or "cancelled"
            else:
                return self._ok(self._view(prediction, fault.status or "paused"))
        if prediction.terminal:
            return self._ok(self._view(prediction, prediction.terminal))
        stage = self.stage(prediction)
        if stage < 2:
            return self._ok(self._view(prediction, "created" if stage == 0 else "processing"))
        if prediction.fail:
            return self._ok(self._view(prediction, "failed"))
        self._render(prediction)
        return self._ok(self._view(prediction, "completed"))

    def _render(self, prediction: Prediction) -> None:
        with self._lock:
            if prediction.output:
                return
            audio = self.file_of(prediction.inputs["audio"])
            seconds = min(10.0, max(0.5, (wav_duration(audio[0]) if audio else None) or 1.0))
            data = mp4_bytes(round(seconds, 2), *self.video_size)
            prediction.output = {"outputs": [self.put_file(data, "video/mp4", f"{prediction.id}.mp4")]}
