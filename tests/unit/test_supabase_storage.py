"""SupabaseStorage through the real supabase-py client against a local Storage API stub."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from supabase import create_client

from core.adapters.storage.supabase import SupabaseStorage
from core.domain.types import MediaKind
from core.errors import NotFound
from tests.stubs.supabase import SupabaseStorageStub

KEY = "eyJhbGciOiJIUzI1NiJ9.service-role.test"


@pytest.fixture
def stub_and_storage() -> Iterator[tuple[SupabaseStorageStub, SupabaseStorage]]:
    with SupabaseStorageStub(key=KEY) as stub:
        yield stub, SupabaseStorage(create_client(stub.url, KEY))


def test_files_land_in_the_bucket_of_their_kind_with_a_content_type(stub_and_storage) -> None:  # type: ignore[no-untyped-def]
    stub, storage = stub_and_storage
    key = storage.put_bytes(MediaKind.VIDEO, b"mp4-bytes", name="jobs/j1/lip_sync-video", content_type="video/mp4")
    assert key == "video/jobs/j1/lip_sync-video.mp4"
    assert stub.objects[("ugc-video", "jobs/j1/lip_sync-video.mp4")] == (b"mp4-bytes", "video/mp4")
    assert storage.exists(key) and storage.read_bytes(key) == b"mp4-bytes"
    # A re-run of the step overwrites the same key instead of failing or duplicating.
    storage.put_bytes(MediaKind.VIDEO, b"v2", name="jobs/j1/lip_sync-video", content_type="video/mp4")
    assert storage.read_bytes(key) == b"v2" and len(stub.objects) == 1
    assert "ugc-images" in storage.check()


def test_signed_links_work_and_expire(stub_and_storage) -> None:  # type: ignore[no-untyped-def]
    _, storage = stub_and_storage
    key = storage.put_bytes(MediaKind.IMAGE, b"png", name="catalog/ava", content_type="image/png")
    link = storage.signed_url(key, 60)
    assert link and "token=" in link and KEY not in link
    assert httpx.get(link).content == b"png"
    expired = storage.signed_url(key, -1)
    assert httpx.get(expired or "").status_code == 400


def test_deleted_files_are_gone(stub_and_storage) -> None:  # type: ignore[no-untyped-def]
    _, storage = stub_and_storage
    key = storage.put_bytes(MediaKind.AUDIO, b"mp3", name="uploads/u/x", content_type="audio/mpeg")
    storage.delete(key)
    assert not storage.exists(key)
    with pytest.raises(NotFound):
        storage.read_bytes(key)


def test_kie_inputs_are_published_as_signed_links_from_supabase(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from core.adapters.providers.cloud import _publisher
    from core.bootstrap import build_storage
    from core.errors import ConfigurationError
    from tests.conftest import make_settings

    image = tmp_path / "frame.png"
    image.write_bytes(b"\x89PNG frame")
    with SupabaseStorageStub(key=KEY) as stub:
        settings = make_settings(tmp_path, storage_backend="supabase", supabase_url=stub.url, supabase_service_key=KEY)
        link = _publisher(settings, build_storage(settings))(image)
        assert httpx.get(link).content == b"\x89PNG frame"
    with pytest.raises(ConfigurationError, match="STORAGE_BACKEND=supabase"):
        _publisher(make_settings(tmp_path), build_storage(make_settings(tmp_path)))(image)
