"""Supabase Storage's REST API (`/storage/v1`) as the supabase-py client speaks it (providers.md 7.1).

Checks the `apikey` and bearer headers, keeps objects per bucket with their content type,
honours `x-upsert`, signs URLs with an expiry and serves them, lists buckets, removes.
"""

from __future__ import annotations

import email
import hashlib
import hmac
import re
import threading
import time
from typing import Any
from urllib.parse import unquote

from tests.stubs.server import StubRequest, StubResponse, StubServer

_OBJECT = re.compile(r"^/storage/v1/object/(?P<bucket>[^/]+)/(?P<path>.+)$")
_SIGN = re.compile(r"^/storage/v1/object/sign/(?P<bucket>[^/]+)/(?P<path>.+)$")
_INFO = re.compile(r"^/storage/v1/object/info/(?P<bucket>[^/]+)/(?P<path>.+)$")
_REMOVE = re.compile(r"^/storage/v1/object/(?P<bucket>[^/]+)$")


class SupabaseStorageStub:
    def __init__(self, *, key: str, buckets: tuple[str, ...] = ("ugc-images", "ugc-audio", "ugc-video")) -> None:
        self.key = key
        self.buckets = set(buckets)
        self.objects: dict[tuple[str, str], tuple[bytes, str]] = {}
        self._failing: dict[str, int] = {}  # path fragment -> uploads still to answer 503
        self._lock = threading.Lock()
        self._server = StubServer(self._handle)

    @property
    def url(self) -> str:
        return self._server.url

    def __enter__(self) -> SupabaseStorageStub:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    def _handle(self, request: StubRequest) -> StubResponse:
        if request.path.startswith("/storage/v1/object/sign/") and request.method == "GET":
            return self._serve_signed(request)
        if request.header("apikey") != self.key or request.header("Authorization") != f"Bearer {self.key}":
            return StubResponse.of_json({"statusCode": "403", "error": "Unauthorized", "message": "bad key"}, 403)
        if request.method == "GET" and request.path == "/storage/v1/bucket":
            return StubResponse.of_json([_bucket(b) for b in sorted(self.buckets)])
        for method, pattern, handler in (
            ("POST", _SIGN, self._sign),
            ("GET", _INFO, self._info),
            ("POST", _OBJECT, self._upload),
            ("GET", _OBJECT, self._download),
            ("DELETE", _REMOVE, self._remove),
        ):
            match = pattern.match(request.path)
            if match and request.method == method:
                return handler(request, **{k: unquote(v) for k, v in match.groupdict().items()})
        return StubResponse.of_json({"statusCode": "404", "error": "not_found", "message": request.path}, 404)

    def _missing(self) -> StubResponse:
        return StubResponse.of_json({"statusCode": "404", "error": "not_found", "message": "Object not found"}, 400)

    def fail_uploads(self, fragment: str, times: int = 1) -> None:
        """Answer the next `times` uploads whose path holds `fragment` with a 503, as a gateway does."""
        with self._lock:
            self._failing[fragment] = times

    def _upload(self, request: StubRequest, bucket: str, path: str) -> StubResponse:
        with self._lock:
            fragment = next((f for f, left in self._failing.items() if left > 0 and f in path), None)
            if fragment is not None:
                self._failing[fragment] -= 1
                return StubResponse.of_json({"statusCode": "503", "error": "Unavailable", "message": "busy"}, 503)
        if bucket not in self.buckets:
            return StubResponse.of_json({"statusCode": "404", "error": "Bucket not found", "message": bucket}, 400)
        part = _file_part(request)
        with self._lock:
            if (bucket, path) in self.objects and request.header("x-upsert") != "true":
                return StubResponse.of_json({"statusCode": "409", "error": "Duplicate", "message": "exists"}, 400)
            self.objects[(bucket, path)] = part
        return StubResponse.of_json({"Key": f"{bucket}/{path}", "Id": hashlib.md5(path.encode()).hexdigest()})

    def _download(self, request: StubRequest, bucket: str, path: str) -> StubResponse:
        found = self.objects.get((bucket, path))
        return StubResponse(200, found[0], {"Content-Type": found[1]}) if found else self._missing()

    def _info(self, request: StubRequest, bucket: str, path: str) -> StubResponse:
        found = self.objects.get((bucket, path))
        return StubResponse.of_json({"name": path, "size": len(found[0])}) if found else self._missing()

    def _remove(self, request: StubRequest, bucket: str) -> StubResponse:
        with self._lock:
            removed = [p for p in request.json().get("prefixes", []) if self.objects.pop((bucket, p), None)]
        return StubResponse.of_json([{"name": p} for p in removed])

    def _sign(self, request: StubRequest, bucket: str, path: str) -> StubResponse:
        expires = int(time.time()) + int(request.json()["expiresIn"])
        token = f"{expires}.{self._mac(bucket, path, expires)}"
        return StubResponse.of_json({"signedURL": f"/object/sign/{bucket}/{path}?token={token}"})

    def _serve_signed(self, request: StubRequest) -> StubResponse:
        match = _SIGN.match(request.path)
        expires, _, mac = (request.arg("token") or "").partition(".")
        if not match or not expires.isdigit():
            return self._missing()
        bucket, path = unquote(match["bucket"]), unquote(match["path"])
        if int(expires) < time.time() or not hmac.compare_digest(mac, self._mac(bucket, path, int(expires))):
            return StubResponse.of_json({"statusCode": "400", "error": "InvalidJWT", "message": "expired"}, 400)
        return self._download(request, bucket, path)

    def _mac(self, bucket: str, path: str, expires: int) -> str:
        return hmac.new(self.key.encode(), f"{bucket}/{path}:{expires}".encode(), hashlib.sha256).hexdigest()


def _bucket(name: str) -> dict[str, Any]:
    return {
        "id": name,
        "name": name,
        "owner": "",
        "public": False,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "file_size_limit": None,
        "allowed_mime_types": None,
    }


def _file_part(request: StubRequest) -> tuple[bytes, str]:
    """The `file` part of the multipart upload: its bytes and declared content type."""
    raw = f"Content-Type: {request.header('Content-Type')}\r\n\r\n".encode() + request.body
    message: Any = email.message_from_bytes(raw)
    for part in message.walk():
        if part.get_param("name", header="content-disposition") == "file":
            return part.get_payload(decode=True), part.get_content_type()
    raise ValueError("no file part in the upload")
