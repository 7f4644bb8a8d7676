"""Lip-sync on WaveSpeed: `wavespeed-ai/infinitetalk`, REST v3 (providers.md sections 0 and 3).

Every answer is wrapped as `{code, message, data}`. Inputs are uploaded first, to the
documented `POST /media/upload/binary`; only where that endpoint is missing does it fall
back to the ticket flow (`POST /media/uploads`, then PUT the bytes). The request id is
WaveSpeed's prediction id.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx

from core.adapters.providers.http.common import (
    Probe,
    error_for_status,
    fetch_media,
    guess_mime,
    json_body,
    ref_of,
    retry_idempotent,
    send,
    video_file,
)
from core.adapters.providers.http.download import GuardedDownloader
from core.domain.media import VideoFile
from core.errors import ProviderError, TransientError
from core.ports import LipSyncRequest, PollResult, PredictionState, Submission

logger = logging.getLogger(__name__)

PROVIDER = "WaveSpeed"
DEFAULT_BASE_URL = "https://api.wavespeed.ai/api/v3"
_PENDING = frozenset({"created", "processing"})
# The SDK also ends on these three (providers.md section 0).
_ENDED = {
    "cancelled": "WaveSpeed cancelled the lip-sync.",
    "timeout": "WaveSpeed gave up on the lip-sync (timeout).",
    "deleted": "WaveSpeed deleted the prediction (results are kept 7 days).",
}


class WaveSpeedLipSyncer:
    """LipSyncer on WaveSpeed InfiniteTalk (10 minutes per job, so no chunking)."""

    def __init__(
        self,
        api_key: str,
        *,
        http: httpx.Client,
        base_url: str = DEFAULT_BASE_URL,
        model: str,
        price_per_second: float,
        min_billed_s: float = 5.0,
        downloader: GuardedDownloader,
        probe: Probe,
        prompt: str = "",
        poll_after_s: float = 5.0,
    ) -> None:
        self.name = f"wavespeed:{model}"
        self._http = http
        self._base = base_url.rstrip("/")
        self._auth = {"Authorization": f"Bearer {api_key}"}
        self._model = model
        self._price = price_per_second
        self._min_billed_s = min_billed_s
        self._downloader = downloader
        self._probe = probe
        self._prompt = prompt
        self._poll_after_s = poll_after_s

    # ------------------------------------------------------------------ protocol

    webhook_route = "wavespeed"

    def adopt(self, vendor_id: str) -> str | None:
        return vendor_id

    def cancel(self, vendor_id: str) -> None:
        logger.warning("WaveSpeed has no cancel; orphaned prediction %s runs to its end", vendor_id)

    def submit(self, request: LipSyncRequest, *, webhook_url: str | None = None) -> Submission:
        arguments: dict[str, Any] = {
            "image": self._upload(request.image),
            "audio": self._upload(request.audio),
            "resolution": "720p" if min(request.width, request.height) >= 720 else "480p",
            "seed": request.seed,
        }
        if self._prompt:
            arguments["prompt"] = self._prompt
        params = {"webhook": webhook_url} if webhook_url else None  # providers.md 3: a query parameter
        data = self._call("POST", f"{self._base}/{self._model}", "the lip-sync request", json=arguments, params=params)
        prediction_id = data.get("id")
        if not isinstance(prediction_id, str) or not prediction_id:
            raise TransientError("WaveSpeed accepted the request but sent no prediction id.", provider=PROVIDER)
        logger.info("wavespeed submitted %s as %s", self._model, prediction_id)
        return Submission(prediction_id, poll_after_s=self._poll_after_s)

    def poll(self, request_id: str) -> PollResult:
        data = self._call("GET", f"{self._base}/predictions/{request_id}/result", "the lip-sync status")
        status = str(data.get("status", ""))
        if status == "completed":
            outputs = data.get("outputs") or []
            if not outputs or not isinstance(outputs[0], str):
                return self._result(PredictionState.FAILED, "WaveSpeed finished without a video.")
            output = {"urls": [outputs[0]], "ref": ref_of(request_id)}
            return PollResult(PredictionState.DONE, output=output, progress=1.0, poll_after_s=self._poll_after_s)
        if status == "failed":
            reason = data.get("error") or "no reason given"
            return self._result(PredictionState.FAILED, f"WaveSpeed could not make the lip-sync: {reason}")
        if status in _ENDED:
            return self._result(PredictionState.FAILED, _ENDED[status])
        if status not in _PENDING:
            logger.warning("wavespeed sent an unknown status %r; treating it as pending", status)
        progress = 0.5 if status == "processing" else 0.05
        return PollResult(
            PredictionState.PENDING,
            message=f"WaveSpeed: {status or 'waiting'}",
            progress=progress,
            poll_after_s=self._poll_after_s,
        )

    def collect(self, request: LipSyncRequest, result: PollResult, dest_dir: Path) -> VideoFile:
        urls = result.output.get("urls") if result.state is PredictionState.DONE else None
        if not urls:
            raise ProviderError(result.message or "WaveSpeed did not finish this request.", provider=PROVIDER)
        stem = f"lipsync-{result.output.get('ref', 'video')}"
        return video_file(*fetch_media(self._downloader, self._probe, urls[0], dest_dir, stem, "video"))

    def cost_usd(self, request: LipSyncRequest, output: VideoFile) -> float:
        return round(self._price * max(output.duration_s, self._min_billed_s), 6)

    def billed_s(self, speech_s: float) -> float:
        """What one render is billed on, as `cost_usd` charges it, for the estimate (`core.ports.billed_render_s`)."""
        return max(speech_s, self._min_billed_s)

    # ------------------------------------------------------------------ plumbing

    def _result(self, state: PredictionState, message: str) -> PollResult:
        return PollResult(state, message=message, poll_after_s=self._poll_after_s)

    def _call(self, method: str, url: str, what: str, **kwargs: Any) -> dict[str, Any]:
        response = send(self._http, method, url, headers=self._auth, provider=PROVIDER, what=what, **kwargs)
        return self._data(response, what)

    def _data(self, response: httpx.Response, what: str) -> dict[str, Any]:
        body = json_body(response, provider=PROVIDER, what=what) if response.content else {}
        body = body if isinstance(body, dict) else {}
        code = body.get("code", response.status_code)
        status = response.status_code if not response.is_success else (code if isinstance(code, int) else 200)
        if not 200 <= status < 300:
            reason = str(body.get("message") or response.text[:300])
            raise error_for_status(status, response.headers, reason, provider=PROVIDER, what=what)
        data = body.get("data")
        if not isinstance(data, dict):
            raise TransientError(f"WaveSpeed sent an unexpected answer on {what}.", provider=PROVIDER)
        return data

    def _upload(self, path: Path) -> str:
        """Upload an input file and return its download URL (uploads are free and safe to repeat)."""
        return retry_idempotent(lambda: self._upload_once(path))

    def _upload_once(self, path: Path) -> str:
        mime = guess_mime(path)
        what = "the file upload"
        with path.open("rb") as fh:
            response = send(
                self._http,
                "POST",
                f"{self._base}/media/upload/binary",
                headers=self._auth,
                files={"file": (path.name, fh, mime)},
                provider=PROVIDER,
                what=what,
            )
        if response.status_code in (404, 405):
            return self._upload_ticket(path, mime)
        url = self._data(response, what).get("download_url")
        if not isinstance(url, str):
            raise TransientError("WaveSpeed's upload answer had no download URL.", provider=PROVIDER)
        return url

    def _upload_ticket(self, path: Path, mime: str) -> str:
        what = "the file upload"
        ticket = {"filename": path.name, "size": path.stat().st_size, "content_type": mime}
        response = send(
            self._http,
            "POST",
            f"{self._base}/media/uploads",
            headers=self._auth,
            json=ticket,
            provider=PROVIDER,
            what=what,
        )
        data = self._data(response, what)
        upload = found if isinstance(found := data.get("upload"), dict) else {}
        target, url = upload.get("url"), data.get("download_url")
        if not isinstance(target, str) or not isinstance(url, str):
            raise TransientError("WaveSpeed's upload ticket had no target.", provider=PROVIDER)
        put = send(
            self._http,
            str(upload.get("method") or "PUT"),
            target,
            content=path.read_bytes(),
            headers={str(k): str(v) for k, v in (upload.get("headers") or {"Content-Type": mime}).items()},
            provider=PROVIDER,
            what=what,
        )
        if not put.is_success:
            raise error_for_status(put.status_code, put.headers, put.text[:300], provider=PROVIDER, what=what)
        return url
