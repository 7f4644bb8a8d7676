"""fal.ai queue plumbing shared by the fal adapters (providers.md sections 0 and 1).

Uploads go through the official `fal-client` (it knows fal's storage protocol). Submits,
status and result reads use our own `httpx.Client`: fal-client resends a submit whose
answer was lost (a second paid request) and retries 429s inside the call for up to about
a minute, while the job engine must decide itself when, and whether, to try again.

A request id we hand to the engine is `"<endpoint>|<fal id>[,<fal id>...]"`, so a poll in
another process needs nothing else. Every adapter now submits one id per request; several ids
are a lip-sync from before each chunk was its own pipeline step, still polled to its end.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fal_client
import fal_client.client as fal_module
import httpx

from core.adapters.providers.http.common import (
    Probe,
    error_for_status,
    fetch_media,
    guess_mime,
    json_body,
    mask_secrets,
    ref_of,
    retry_after_s,
    retry_idempotent,
    send,
    transport_error,
)
from core.adapters.providers.http.download import GuardedDownloader
from core.domain.media import MediaInfo
from core.errors import AnswerLost, ProviderError, TransientError
from core.ports import PollResult, PredictionState

logger = logging.getLogger(__name__)

PROVIDER = "fal.ai"
DEFAULT_QUEUE_URL = "https://queue.fal.run"
DEFAULT_REST_URL = "https://rest.fal.ai"
DEFAULT_CDN_URL = "https://v3.fal.media"
_NAMESPACES = ("workflows", "comfy")
_HOSTS_LOCK = threading.Lock()


def point_fal_client_at(queue_url: str, rest_url: str, cdn_url: str) -> None:
    """Aim fal-client's hosts. They are module globals read at call time (providers.md 1.7),
    so this is process-wide: one fal account and one set of hosts per process."""
    wanted = {
        "QUEUE_URL_FORMAT": queue_url.rstrip("/") + "/",
        "REST_URL": rest_url.rstrip("/"),
        "CDN_URL": cdn_url.rstrip("/"),
    }
    with _HOSTS_LOCK:
        for name, value in wanted.items():
            if getattr(fal_module, name) != value:
                logger.info("fal-client %s -> %s", name, value)
                setattr(fal_module, name, value)


@dataclass(frozen=True, slots=True)
class FalHandle:
    endpoint: str
    ids: tuple[str, ...]

    def encode(self) -> str:
        return f"{self.endpoint}|{','.join(self.ids)}"

    @classmethod
    def decode(cls, request_id: str) -> FalHandle:
        endpoint, sep, ids = request_id.partition("|")
        parts = tuple(i for i in ids.split(",") if i)
        if not sep or "/" not in endpoint or not parts:
            raise ProviderError(f"Not a fal request id: {request_id!r}", provider=PROVIDER)
        return cls(endpoint, parts)


@dataclass(frozen=True, slots=True)
class FalStatus:
    status: str
    queue_position: int | None = None
    error: str | None = None


class _Failed(Exception):
    """A prediction that fal finished without a usable result."""


def app_path(endpoint: str) -> str:
    """Status/result URLs use owner/alias only; subpaths such as `/edit` drop (providers.md 1.3)."""
    parts = endpoint.strip("/").split("/")
    if parts[0] in _NAMESPACES:
        return "/".join(parts[:3])
    return "/".join(parts[:2])


def detail_text(detail: Any) -> str:
    """fal's `detail`: a string, or a 422 list of {loc, msg} that we turn into field messages."""
    if isinstance(detail, list):
        items = []
        for item in detail:
            if isinstance(item, Mapping):
                loc = [str(p) for p in item.get("loc", []) if p not in ("body",)]
                field = ".".join(loc) or "input"
                items.append(f"{field}: {item.get('msg', 'invalid')}")
            else:
                items.append(str(item))
        return "; ".join(items)
    return str(detail or "")


class FalQueue:
    """fal-client for submit/upload, httpx for status/result/cancel."""

    def __init__(
        self,
        api_key: str,
        *,
        http: httpx.Client,
        queue_url: str = DEFAULT_QUEUE_URL,
        rest_url: str = DEFAULT_REST_URL,
        cdn_url: str = DEFAULT_CDN_URL,
        sdk: fal_client.SyncClient | None = None,
        submit_timeout_s: float = 60.0,
        upload_attempts: int = 3,
        upload_backoff_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        point_fal_client_at(queue_url, rest_url, cdn_url)
        self._queue_url = queue_url.rstrip("/")
        self._http = http
        self._auth = {"Authorization": f"Key {api_key}"}
        self._sdk = sdk or fal_client.SyncClient(key=api_key, default_timeout=submit_timeout_s)
        self._submit_timeout_s = submit_timeout_s
        self._upload_attempts = max(1, upload_attempts)
        self._upload_backoff_s = upload_backoff_s
        self._sleep = sleep

    # ------------------------------------------------------------------ fal-client calls

    def upload(self, path: Path) -> str:
        """Upload a local file to fal storage; retried here because fal-client's token call is not."""
        data = path.read_bytes()

        def once() -> str:
            try:
                return str(self._sdk.upload(data, guess_mime(path), file_name=path.name))
            except Exception as exc:  # fal-client raises httpx, its own, and KeyError types
                raise _translate(exc, "the file upload") from exc

        return retry_idempotent(once, attempts=self._upload_attempts, base_s=self._upload_backoff_s, sleep=self._sleep)

    def submit(self, endpoint: str, arguments: dict[str, Any], *, webhook_url: str | None = None) -> str:
        """One queue submission (`POST {queue}/{endpoint}[?fal_webhook=...]`, providers.md 1.3);
        returns fal's request id. Sent exactly once: fal-client would resend it when the
        answer is lost, creating a second paid request, so it goes through our httpx client."""
        what = f"the {endpoint} request"
        params = {"fal_webhook": webhook_url} if webhook_url else None
        response = send(
            self._http,
            "POST",
            f"{self._queue_url}/{endpoint}",
            json=arguments,
            params=params,
            headers=self._auth,
            timeout=self._submit_timeout_s,
            provider=PROVIDER,
            what=what,
        )
        if not response.is_success:
            raise _submit_refusal(response, what)
        body = json_body(response, provider=PROVIDER, what=what)
        request_id = body.get("request_id") if isinstance(body, dict) else None
        if not isinstance(request_id, str) or not request_id:
            # fal answered 2xx, so the request exists, but we cannot name it: ambiguous.
            raise AnswerLost(f"fal accepted {what} but sent no request id.", provider=PROVIDER)
        logger.info("fal submitted %s as %s", endpoint, request_id)
        return request_id

    def adopt(self, endpoint: str, fal_id: str) -> str:
        """The engine's request id for a fal request learnt from a webhook."""
        return FalHandle(endpoint, (fal_id,)).encode()

    # ------------------------------------------------------------------ queue reads

    def status(self, endpoint: str, request_id: str) -> FalStatus:
        url = f"{self._queue_url}/{app_path(endpoint)}/requests/{request_id}/status"
        what = "the request status"
        response = send(self._http, "GET", url, params={"logs": "1"}, headers=self._auth, provider=PROVIDER, what=what)
        body = self._checked(response, what)
        position = body.get("queue_position")
        return FalStatus(
            status=str(body.get("status", "")),
            queue_position=int(position) if isinstance(position, int) else None,
            error=body.get("error") or None,
        )

    def result(self, endpoint: str, request_id: str, status: FalStatus) -> dict[str, Any]:
        """The output JSON; raises _Failed when fal finished the work without a result."""
        url = f"{self._queue_url}/{app_path(endpoint)}/requests/{request_id}"
        what = "the request result"
        response = send(self._http, "GET", url, headers=self._auth, provider=PROVIDER, what=what)
        code = response.status_code
        if code == 422 or (400 <= code < 500 and code not in (401, 403, 404, 408, 429)):
            # Input errors surface here, not at submit (providers.md section 0).
            raise _Failed(f"fal rejected the input: {_body_detail(response)}")
        if code >= 500 and status.error:
            raise _Failed(f"fal could not finish the work: {status.error}")
        return self._checked(response, what)

    def cancel(self, endpoint: str, request_id: str) -> None:
        url = f"{self._queue_url}/{app_path(endpoint)}/requests/{request_id}/cancel"
        try:
            send(self._http, "PUT", url, headers=self._auth, provider=PROVIDER, what="a cancel")
        except TransientError as exc:
            logger.warning("could not cancel fal request %s: %s", request_id, exc.message)

    def _checked(self, response: httpx.Response, what: str) -> dict[str, Any]:
        if not response.is_success:
            raise error_for_status(
                response.status_code, response.headers, _body_detail(response), provider=PROVIDER, what=what
            )
        body = json_body(response, provider=PROVIDER, what=what)
        if not isinstance(body, dict):
            raise TransientError(f"fal sent an unexpected answer on {what}.", provider=PROVIDER)
        return body

    # ------------------------------------------------------------------ the engine's poll

    def poll(self, request_id: str, extract: Callable[[dict[str, Any]], str], *, poll_after_s: float) -> PollResult:
        """DONE when every id of the handle completed; output {"urls": [...], "ref": ...}."""
        handle = FalHandle.decode(request_id)
        statuses = [self.status(handle.endpoint, rid) for rid in handle.ids]
        for rid, status in zip(handle.ids, statuses, strict=True):
            if status.status == "COMPLETED" and status.error:
                return self._fail(handle, statuses, self._failure_text(handle.endpoint, rid, status), poll_after_s)
        done = sum(1 for s in statuses if s.status == "COMPLETED")
        if done < len(statuses):
            return PollResult(
                PredictionState.PENDING,
                message=_pending_text(statuses),
                progress=round(done / len(statuses) + _running_share(statuses), 3),
                poll_after_s=poll_after_s,
            )
        try:
            pairs = zip(handle.ids, statuses, strict=True)
            urls = [extract(self.result(handle.endpoint, rid, status)) for rid, status in pairs]
        except _Failed as exc:
            return PollResult(PredictionState.FAILED, message=str(exc), poll_after_s=poll_after_s)
        except ProviderError as exc:
            if isinstance(exc, TransientError):
                raise
            return PollResult(PredictionState.FAILED, message=exc.message, poll_after_s=poll_after_s)
        output = {"urls": urls, "ref": ref_of(request_id)}
        return PollResult(PredictionState.DONE, output=output, progress=1.0, poll_after_s=poll_after_s)

    def _failure_text(self, endpoint: str, request_id: str, status: FalStatus) -> str:
        try:
            self.result(endpoint, request_id, status)
        except _Failed as exc:
            return str(exc)
        except ProviderError:
            pass
        return f"fal could not finish the work: {status.error}"

    def _fail(self, handle: FalHandle, statuses: list[FalStatus], text: str, poll_after_s: float) -> PollResult:
        for rid, status in zip(handle.ids, statuses, strict=True):
            if status.status in ("IN_QUEUE", "IN_PROGRESS"):
                self.cancel(handle.endpoint, rid)  # a failed chunk makes the rest worthless
        return PollResult(PredictionState.FAILED, message=text, poll_after_s=poll_after_s)


def _pending_text(statuses: list[FalStatus]) -> str:
    for status in statuses:
        if status.status not in ("IN_QUEUE", "IN_PROGRESS", "COMPLETED"):
            logger.warning("fal sent an unknown status %r; treating it as pending", status.status)
    queued = [s.queue_position for s in statuses if s.status == "IN_QUEUE"]
    if queued:
        position = min((p for p in queued if p is not None), default=None)
        return "Waiting in fal's queue" + (f" (position {position + 1})" if position is not None else "")
    return "Rendering on fal"


def _running_share(statuses: list[FalStatus]) -> float:
    return 0.5 * sum(1 for s in statuses if s.status == "IN_PROGRESS") / len(statuses)


def _body_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict) and "detail" in body:
        return detail_text(body["detail"])
    return str(body)[:300]


def _submit_refusal(response: httpx.Response, what: str) -> ProviderError:
    """A 502/504 from fal's ingress (no `x-fal-request-id`) never reached the queue: fal-client
    itself resends those (providers.md 1.3), so they count as "not processed"."""
    code = response.status_code
    if code in (502, 504) and not response.headers.get("x-fal-request-id"):
        logger.warning("fal ingress answered %s on %s: %s", code, what, mask_secrets(response.text[:500]))
        return TransientError(
            f"fal.ai is busy or having trouble right now (error {code}) on {what}.",
            retry_after_s=retry_after_s(response.headers),
            provider=PROVIDER,
            status_code=code,
        )
    return error_for_status(code, response.headers, _body_detail(response), provider=PROVIDER, what=what)


def _translate(exc: Exception, what: str) -> ProviderError:
    """fal-client / httpx exceptions to our errors."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, fal_client.FalClientHTTPError):
        return error_for_status(
            exc.status_code, exc.response_headers, detail_text(exc.message), provider=PROVIDER, what=what
        )
    if isinstance(exc, httpx.HTTPStatusError):
        response = exc.response
        return error_for_status(
            response.status_code, response.headers, _body_detail(response), provider=PROVIDER, what=what
        )
    if isinstance(exc, (httpx.TransportError, fal_client.FalClientTimeoutError, TimeoutError)):
        return transport_error(exc, provider=PROVIDER, what=what)
    if isinstance(exc, (KeyError, ValueError, TypeError)):
        return TransientError(f"fal sent an unexpected answer on {what}.", provider=PROVIDER)
    raise exc


def result_urls(result: PollResult) -> list[str]:
    """The URLs a DONE poll stored for collect."""
    urls = result.output.get("urls") if result.state is PredictionState.DONE else None
    if not urls or not all(isinstance(u, str) for u in urls):
        raise ProviderError(result.message or "fal did not finish this request.", provider=PROVIDER)
    return list(urls)


def fetch_result(
    result: PollResult, downloader: GuardedDownloader, probe: Probe, dest_dir: Path, prefix: str, kind: str
) -> tuple[Path, MediaInfo, str]:
    """The first URL of a DONE poll, fetched as `<prefix>-<ref>` and probed as `kind`."""
    url = result_urls(result)[0]
    return fetch_media(downloader, probe, url, dest_dir, f"{prefix}-{result.output.get('ref', kind)}", kind)


def file_url(body: Mapping[str, Any], key: str) -> str:
    """`body[key].url` for fal's File outputs (providers.md section 2)."""
    value = body.get(key)
    url = value.get("url") if isinstance(value, Mapping) else None
    if not isinstance(url, str) or not url:
        raise ProviderError(f"fal's answer had no {key} file.", provider=PROVIDER)
    return url


def first_image_url(body: Mapping[str, Any]) -> str:
    images = body.get("images")
    nsfw = body.get("has_nsfw_concepts")
    if isinstance(nsfw, list) and nsfw and nsfw[0] is True:
        raise ProviderError("fal's safety checker blocked the generated image.", provider=PROVIDER)
    if not isinstance(images, list) or not images or not isinstance(images[0], Mapping):
        raise ProviderError("fal's answer had no image.", provider=PROVIDER)
    return file_url({"image": images[0]}, "image")
