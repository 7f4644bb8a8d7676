"""KIE stand-in (providers.md section 4): Market createTask/recordInfo and Veo generate/record-info.

Endpoint labels: submit, status, veo_submit, veo_status, file. Inputs are URLs: register
test images with `stub.put_file(...)`. Extra knob: `errors_in_body` (answer errors with
HTTP 200 and the code in the JSON, as KIE sometimes does).
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.stubs.base import Prediction, VendorStub
from tests.stubs.media import mp4_bytes
from tests.stubs.server import StubRequest, StubResponse

MARKET_MODELS = ("kling-2.6/image-to-video", "kling/v2-5-turbo-image-to-video-pro", "wan/2-2-a14b-image-to-video-turbo")


class KieStub(VendorStub):
    def __init__(self, *, errors_in_body: bool = False, video_size: tuple[int, int] = (96, 160), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.errors_in_body = errors_in_body
        self.video_size = video_size
        self.route("POST", r"/api/v1/jobs/createTask", "submit", self._create)
        self.route("GET", r"/api/v1/jobs/recordInfo", "status", self._record)
        self.route("POST", r"/api/v1/veo/generate", "veo_submit", self._veo_create)
        self.route("GET", r"/api/v1/veo/record-info", "veo_status", self._veo_record)

    def authorized(self, request: StubRequest) -> bool:
        return request.header("Authorization") == f"Bearer {self.api_key}"

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> StubResponse:
        http_status = 200 if self.errors_in_body and status != 429 else status
        return StubResponse.of_json({"code": status, "msg": message, "data": None}, http_status, headers)

    def _ok(self, data: dict[str, Any]) -> StubResponse:
        return StubResponse.of_json({"code": 200, "msg": "success", "data": data})

    def _video_url(self, prediction: Prediction, seconds: float) -> str:
        if not prediction.output:
            data = mp4_bytes(seconds, *self.video_size)
            prediction.output = {"url": self.put_file(data, "video/mp4", f"{prediction.id}.mp4")}
        return str(prediction.output["url"])

    # ------------------------------------------------------------------ market

    def _create(self, request: StubRequest) -> StubResponse:
        body = request.json()
        if not isinstance(body, dict) or body.get("model") not in MARKET_MODELS:
            return self.error(422, "model is not supported")
        problem = self._market_problem(body["model"], body.get("input"))
        if problem:
            return self.error(422, problem)
        prediction = self.create(body["model"], body)
        return self._ok({"taskId": prediction.id})

    def _market_problem(self, model: str, inputs: Any) -> str | None:
        if not isinstance(inputs, dict) or not isinstance(inputs.get("prompt"), str):
            return "input.prompt is required"
        if model.startswith("kling-2.6/"):
            urls = inputs.get("image_urls")
            if not isinstance(urls, list) or not urls or any(self.file_of(u) is None for u in urls):
                return "input.image_urls must list reachable image URLs"
            if inputs.get("duration") not in ("5", "10"):
                return "input.duration must be the string 5 or 10"
            return None
        return None if self.file_of(inputs.get("image_url")) else "input.image_url must be a reachable image URL"

    def _record(self, request: StubRequest) -> StubResponse:
        prediction = self.predictions.get(request.arg("taskId") or "")
        if prediction is None:
            return self.error(404, "task not found")
        fault = self.status_fault("status")
        stage = self.stage(prediction)
        state = (fault.status or "paused") if fault else ("waiting", "generating", "success")[stage]
        if state == "success" and prediction.fail:
            state = "fail"
        seconds = 1.0 if prediction.inputs["input"].get("duration", "5") == "5" else 2.0  # short stand-ins
        result = json.dumps({"resultUrls": [self._video_url(prediction, seconds)]}) if state == "success" else ""
        now_ms = int(time.time() * 1000)
        return self._ok(
            {
                "taskId": prediction.id,
                "model": prediction.model,
                "state": state,
                "param": json.dumps(prediction.inputs),
                "resultJson": result,
                "failCode": "500" if state == "fail" else "",
                "failMsg": prediction.fail or "",
                "costTime": 1000,
                "createTime": now_ms,
                "updateTime": now_ms,
            }
        )

    # ------------------------------------------------------------------ veo

    def _veo_create(self, request: StubRequest) -> StubResponse:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
            return self.error(422, "prompt is required")
        if body.get("model", "veo3_fast") not in ("veo3", "veo3_fast"):
            return self.error(422, "model must be veo3 or veo3_fast")
        if body.get("aspectRatio", "16:9") not in ("16:9", "9:16", "Auto"):
            return self.error(422, "aspectRatio must be 16:9, 9:16 or Auto")
        urls = body.get("imageUrls", [])
        if not isinstance(urls, list) or any(self.file_of(u) is None for u in urls):
            return self.error(422, "imageUrls must be reachable image URLs")
        prediction = self.create(str(body.get("model", "veo3_fast")), body, label="veo_submit")
        return self._ok({"taskId": prediction.id})

    def _veo_record(self, request: StubRequest) -> StubResponse:
        prediction = self.predictions.get(request.arg("taskId") or "")
        if prediction is None:
            return self.error(404, "task not found")
        fault = self.status_fault("veo_status")
        stage = self.stage(prediction)
        flag: Any = 7 if fault else (0 if stage < 2 else (2 if prediction.fail else 1))
        response = None
        if flag == 1:
            response = {
                "taskId": prediction.id,
                "resultUrls": [self._video_url(prediction, 1.6)],
                "originUrls": None,
                "resolution": "720p",
            }
        return self._ok(
            {
                "taskId": prediction.id,
                "successFlag": flag,
                "response": response,
                "errorCode": 400 if flag == 2 else None,
                "errorMessage": prediction.fail if flag == 2 else None,
                "fallbackFlag": False,
            }
        )
