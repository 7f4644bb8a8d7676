"""Media on local disk under `data/media/`, written atomically."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from core.adapters.storage.keys import make_key, parse_key
from core.domain.types import MediaKind
from core.errors import NotFound, ValidationError

logger = logging.getLogger(__name__)


class LocalDiskStorage:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path_of(self, key: str) -> Path:
        """The file behind a key, refusing anything that would escape the media root."""
        parse_key(key)
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValidationError("That storage key points outside the media folder.")
        return path

    def _write_atomically(self, dest: Path, write: Callable[[Path], object]) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            write(tmp)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)

    def put_file(self, kind: MediaKind, src: Path, *, name: str, content_type: str) -> str:
        key = make_key(kind, name, content_type)
        self._write_atomically(self.path_of(key), lambda tmp: shutil.copyfile(src, tmp))
        return key

    def put_bytes(self, kind: MediaKind, data: bytes, *, name: str, content_type: str) -> str:
        key = make_key(kind, name, content_type)
        self._write_atomically(self.path_of(key), lambda tmp: tmp.write_bytes(data))
        return key

    def read_bytes(self, key: str) -> bytes:
        path = self.path_of(key)
        if not path.is_file():
            raise NotFound("That file is no longer in storage.", details={"key": key})
        return path.read_bytes()

    def download_to(self, key: str, dest: Path) -> Path:
        path = self.path_of(key)
        if not path.is_file():
            raise NotFound("That file is no longer in storage.", details={"key": key})
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        return dest

    def exists(self, key: str) -> bool:
        return self.path_of(key).is_file()

    def delete(self, key: str) -> None:
        self.path_of(key).unlink(missing_ok=True)

    def size_of(self, key: str) -> int | None:
        """Bytes stored under `key` (None if absent); the storage stats read this."""
        path = self.path_of(key)
        return path.stat().st_size if path.is_file() else None

    def signed_url(self, key: str, expires_s: int) -> str | None:
        return None  # local files are served as bytes after a rights check

    def check(self) -> str:
        probe = self.root / ".health"
        probe.write_text("ok")
        probe.unlink()
        free_gb = shutil.disk_usage(self.root).free / 1e9
        return f"local disk {self.root} ({free_gb:.1f} GB free)"
