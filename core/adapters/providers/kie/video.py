"""Image-to-video on KIE (providers.md section 4): Market models and KIE's Veo 3.1.

Answers are `{code, msg|message, data}`; KIE may report an error in `code` with HTTP 200,
so both are read. Inputs are URLs: KIE's upload API is unconfirmed, so the caller passes
`publish`, which makes a local file reachable (e.g. storage + signed URL).

Continuity (issue 18): KIE's Veo takes a first and a last frame as `imageUrls: [first, last]`
in its `FIRST_AND_LAST_FRAMES_2_VIDEO` mode; of the Market models only
`kling/v2-5-turbo-image-to-video-pro` names a last frame (`tail_image_url`). Reference images
(`REFERENCE_2_VIDEO`) are another mode, not combined with frames, so they are not sent; nor
can KIE extend a video: a long scene is chained from its last frame instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from core.adapters.providers.http.common import (
    Probe,
    error_for_status,
    fetch_media,
    json_body,
    ref_of,
    send,
    video_file,
)
from core.adapters.providers.http.download import GuardedDownloader
from core.domain.media import VideoFile
from core.errors import ProviderError, TransientError
from core.ports import AnimatorContinuity, ImageToVideoRequest, PollResult, PredictionState, Submission

logger = logging.getLogger(__name__)

PROVIDER = "KIE"
DEFAULT_BASE_URL = "https://api.kie.ai"
Publish = Callable[[Path], str]
_MARKET_PENDING = frozenset({"waiting", "queuing", "generating"})
TAIL_FRAME_MODELS = ("kling/v2-5-turbo-image-to-video-pro",)  # providers.md 4: `tail_image_url`


def market_continuity(model: str) -> AnimatorContinuity:
    longest = 5.0 if model.startswith("wan/") else 10.0
    lengths = (5.0,) if model.startswith("wan/") else (5.0, 10.0)  # market_input's `duration`: "5" or "10"
    if model.startswith(TAIL_FRAME_MODELS):
        return AnimatorContinuity(last_frame=True, max_clip_s=longest, clip_lengths_s=lengths)
    return AnimatorContinuity(
        max_clip_s=longest, reason=f"KIE's {model} takes only a first frame", clip_lengths_s=lengths
    )


def _prompt(request: ImageToVideoRequest) -> str:
    return f"{request.prompt} Camera: {request.camera}." if request.camera else request.prompt


def market_input(
    model: str, request: ImageToVideoRequest, image_url: str, tail_url: str | None = None
) -> dict[str, Any]:
    """Each Market model names its fields differently; `duration` is a string."""
    duration = "5" if request.duration_s <= 5 else "10"
    if model.startswith(TAIL_FRAME_MODELS) and tail_url:
        return {"prompt": _prompt(request), "image_url": image_url, "tail_image_url": tail_url, "duration": duration}
    if model.startswith("kling-2.6/"):
        return {"prompt": _prompt(request), "image_urls": [image_url], "sound": False, "duration": duration}
    if model.startswith("wan/"):
        return {
            "prompt": _prompt(request),
            "image_url": image_url,
            "resolution": "720p",
            "aspect_ratio": "auto",
            "seed": request.seed,
        }
    return {"prompt": _prompt(request), "image_url": image_url, "duration": duration}


class _KieClient:
    """Auth, the `{code, data}` envelope and error translation."""

    def __init__(self, api_key: str, http: httpx.Client, base_url: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._auth = {"Authorization": f"Bearer {api_key}"}

    def call(self, method: str, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
        response = send(
            self._http, method, f"{self._base}{path}", headers=self._auth, provider=PROVIDER, what=what, **kwargs
        )
        body = json_body(response, provider=PROVIDER, what=what) if response.content else {}
        body = body if isinstance(body, dict) else {}
        code = body.get("code", 200)
        status = response.status_code if not response.is_success else (code if isinstance(code, int) else 200)
        if status == 455:  # KIE's "service unavailable"
            status = 503
        if not 200 <= status < 300:
            reason = str(body.get("msg") or body.get("message") or response.text[:300])
            raise error_for_status(status, response.headers, reason, provider=PROVIDER, what=what)
        data = body.get("data")
        if not isinstance(data, dict):
            raise TransientError(f"KIE sent an unexpected answer on {what}.", provider=PROVIDER)
        return data


class _KieAnimator:
    """What both KIE animators share; subclasses say how to submit and read a task."""

    def __init__(
        self,
        api_key: str,
        *,
        http: httpx.Client,
        base_url: str,
        model: str,
        price_per_second: float,
        downloader: GuardedDownloader,
        probe: Probe,
        publish: Publish,
        poll_after_s: float,
    ) -> None:
        self.name = f"kie:{model}"
        self._kie = _KieClient(api_key, http, base_url)
        self._model = model
        self._price = price_per_second
        self._downloader = downloader
        self._probe = probe
        self._publish = publish
        self._poll_after_s = poll_after_s

    webhook_route = "kie"

    def adopt(self, vendor_id: str) -> str | None:
        return vendor_id

    def cancel(self, vendor_id: str) -> None:
        logger.warning("KIE has no cancel; orphaned task %s runs to its end", vendor_id)

    def _task_id(self, data: dict[str, Any]) -> str:
        task_id = data.get("taskId")
        if not isinstance(task_id, str) or not task_id:
            raise TransientError("KIE accepted the task but sent no task id.", provider=PROVIDER)
        logger.info("kie submitted %s as %s", self._model, task_id)
        return task_id

    def _pending(self, message: str, progress: float) -> PollResult:
        return PollResult(PredictionState.PENDING, message=message, progress=progress, poll_after_s=self._poll_after_s)

    def _failed(self, message: str) -> PollResult:
        return PollResult(PredictionState.FAILED, message=message, poll_after_s=self._poll_after_s)

    def _done(self, request_id: str, urls: Any) -> PollResult:
        if not isinstance(urls, list) or not urls or not isinstance(urls[0], str):
            return self._failed("KIE finished without a video.")
        output = {"urls": [urls[0]], "ref": ref_of(request_id)}
        return PollResult(PredictionState.DONE, output=output, progress=1.0, poll_after_s=self._poll_after_s)

    def collect(self, request: ImageToVideoRequest, result: PollResult, dest_dir: Path) -> VideoFile:
        urls = result.output.get("urls") if result.state is PredictionState.DONE else None
        if not urls:
            raise ProviderError(result.message or "KIE did not finish this task.", provider=PROVIDER)
        stem = f"animate-{result.output.get('ref', 'video')}"
        return video_file(*fetch_media(self._downloader, self._probe, urls[0], dest_dir, stem, "video"))

    def cost_usd(self, request: ImageToVideoRequest, output: VideoFile) -> float:
        return round(self._price * output.duration_s, 6)


class KieMarketAnimator(_KieAnimator):
    """ImageAnimator on a KIE Market model (`/api/v1/jobs/createTask` + `recordInfo`)."""

    def __init__(
        self,
        api_key: str,
        *,
        http: httpx.Client,
        base_url: str = DEFAULT_BASE_URL,
        model: str,
        price_per_second: float,
        downloader: GuardedDownloader,
        probe: Probe,
        publish: Publish,
        poll_after_s: float = 3.0,
    ) -> None:
        super().__init__(
            api_key,
            http=http,
            base_url=base_url,
            model=model,
            price_per_second=price_per_second,
            downloader=downloader,
            probe=probe,
            publish=publish,
            poll_after_s=poll_after_s,
        )
        self.continuity = market_continuity(model)

    def submit(self, request: ImageToVideoRequest, *, webhook_url: str | None = None) -> Submission:
        tail = self._publish(request.last_frame) if request.last_frame and self.continuity.last_frame else None
        body: dict[str, Any] = {
            "model": self._model,
            "input": market_input(self._model, request, self._publish(request.image), tail),
        }
        if webhook_url:
            body["callBackUrl"] = webhook_url
        data = self._kie.call("POST", "/api/v1/jobs/createTask", "the video task", json=body)
        return Submission(self._task_id(data), poll_after_s=self._poll_after_s)

    def poll(self, request_id: str) -> PollResult:
        data = self._kie.call("GET", "/api/v1/jobs/recordInfo", "the video task status", params={"taskId": request_id})
        state = str(data.get("state", ""))
        if state == "success":
            return self._done(request_id, _result_urls(data.get("resultJson")))
        if state == "fail":
            reason = data.get("failMsg") or data.get("failCode") or "no reason given"
            return self._failed(f"KIE could not make the video: {reason}")
        if state not in _MARKET_PENDING:
            logger.warning("kie sent an unknown state %r; treating it as pending", state)
        return self._pending(f"KIE: {state or 'waiting'}", 0.5 if state == "generating" else 0.05)


def _result_urls(result_json: Any) -> Any:
    """`resultJson` is a JSON string inside the JSON answer: parse it again."""
    if isinstance(result_json, str):
        try:
            result_json = json.loads(result_json)
        except ValueError:
            return None
    return result_json.get("resultUrls") if isinstance(result_json, dict) else None


class KieVeoAnimator(_KieAnimator):
    """ImageAnimator on Veo 3.1 through KIE (`/api/v1/veo/generate` + `record-info`)."""

    def __init__(
        self,
        api_key: str,
        *,
        http: httpx.Client,
        base_url: str = DEFAULT_BASE_URL,
        model: str,
        price_per_second: float,
        downloader: GuardedDownloader,
        probe: Probe,
        publish: Publish,
        poll_after_s: float = 10.0,
    ) -> None:
        super().__init__(
            api_key,
            http=http,
            base_url=base_url,
            model=model,
            price_per_second=price_per_second,
            downloader=downloader,
            probe=probe,
            publish=publish,
            poll_after_s=poll_after_s,
        )
        # KIE's Veo takes no duration: every generation is one 8 s clip
        self.continuity = AnimatorContinuity(last_frame=True, max_clip_s=8.0, clip_lengths_s=(8.0,))

    def submit(self, request: ImageToVideoRequest, *, webhook_url: str | None = None) -> Submission:
        frames = [request.image, *([request.last_frame] if request.last_frame else [])]
        body: dict[str, Any] = {
            "callBackUrl": webhook_url,
            "prompt": _prompt(request),
            "imageUrls": [self._publish(p) for p in frames],  # [first, last] in this mode
            "model": self._model,
            "aspectRatio": "9:16" if request.height > request.width else "16:9",
            "generationType": "FIRST_AND_LAST_FRAMES_2_VIDEO",
        }
        body = {k: v for k, v in body.items() if v is not None}
        data = self._kie.call("POST", "/api/v1/veo/generate", "the Veo task", json=body)
        return Submission(self._task_id(data), poll_after_s=self._poll_after_s)

    def poll(self, request_id: str) -> PollResult:
        data = self._kie.call("GET", "/api/v1/veo/record-info", "the Veo task status", params={"taskId": request_id})
        flag = data.get("successFlag")
        if flag == 1:
            response = found if isinstance(found := data.get("response"), dict) else {}
            return self._done(request_id, response.get("resultUrls"))
        if flag in (2, 3):
            reason = data.get("errorMessage") or data.get("errorCode") or "no reason given"
            return self._failed(f"KIE's Veo could not make the video: {reason}")
        if flag != 0:
            logger.warning("kie veo sent an unknown successFlag %r; treating it as pending", flag)
        return self._pending("KIE Veo: generating", 0.3)
