"""Supabase Storage: one private bucket per media kind, content types always set, signed URLs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from core.adapters.storage.keys import make_key, parse_key
from core.domain.types import MediaKind
from core.errors import NotFound, StudioError, TransientError

logger = logging.getLogger(__name__)


class SupabaseStorage:
    name = "supabase"

    def __init__(self, client: Any, *, bucket_prefix: str = "ugc-") -> None:
        """`client` is a `supabase.Client` built in bootstrap (or a stand-in with `.storage`)."""
        self._client = client
        self._prefix = bucket_prefix

    def _bucket(self, kind: MediaKind) -> Any:
        return self._client.storage.from_(f"{self._prefix}{kind.value}")

    def _split(self, key: str) -> tuple[Any, str]:
        kind, path = parse_key(key)
        return self._bucket(kind), path

    def put_bytes(self, kind: MediaKind, data: bytes, *, name: str, content_type: str) -> str:
        key = make_key(kind, name, content_type)
        bucket, path = self._split(key)
        # upsert: a step re-run after a crash rewrites the same key instead of failing.
        options = {"content-type": content_type, "upsert": "true", "cache-control": "3600"}
        try:
            bucket.upload(path, data, file_options=options)
        except Exception as exc:  # storage3 raises its own StorageException and httpx errors
            raise TransientError(f"Could not upload to storage: {exc}", provider="supabase") from exc
        return key

    def put_file(self, kind: MediaKind, src: Path, *, name: str, content_type: str) -> str:
        return self.put_bytes(kind, src.read_bytes(), name=name, content_type=content_type)

    def read_bytes(self, key: str) -> bytes:
        bucket, path = self._split(key)
        try:
            return bytes(bucket.download(path))
        except Exception as exc:
            raise NotFound("That file is no longer in storage.", details={"key": key}) from exc

    def download_to(self, key: str, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(self.read_bytes(key))
        return dest

    def exists(self, key: str) -> bool:
        bucket, path = self._split(key)
        return bool(bucket.exists(path))

    def delete(self, key: str) -> None:
        bucket, path = self._split(key)
        bucket.remove([path])

    def signed_url(self, key: str, expires_s: int) -> str | None:
        bucket, path = self._split(key)
        result = bucket.create_signed_url(path, expires_s)
        url = result.get("signedURL") or result.get("signedUrl")
        if not url:
            raise StudioError("Storage did not return a signed link.")
        return str(url)

    def check(self) -> str:
        names = {b.name for b in self._client.storage.list_buckets()}
        missing = [f"{self._prefix}{k.value}" for k in MediaKind if f"{self._prefix}{k.value}" not in names]
        if missing:
            raise StudioError(f"Supabase buckets missing: {', '.join(missing)}")
        return "supabase storage (buckets " + ", ".join(sorted(names)) + ")"
