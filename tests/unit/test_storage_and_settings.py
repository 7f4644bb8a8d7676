from __future__ import annotations

from pathlib import Path

import pytest

from core.adapters.storage.keys import make_key, parse_key
from core.adapters.storage.local import LocalDiskStorage
from core.config import Settings
from core.domain.types import MediaKind
from core.errors import NotFound, ValidationError


def test_keys_are_generated_and_hostile_names_refused() -> None:
    assert make_key(MediaKind.VIDEO, "jobs/abc/lip_sync-video", "video/mp4") == "video/jobs/abc/lip_sync-video.mp4"
    for name in ["../../etc/passwd", "/abs", "a/../../b", "x\\y", ""]:
        with pytest.raises(ValidationError):
            make_key(MediaKind.AUDIO, name, "audio/mpeg")
    with pytest.raises(ValidationError):
        make_key(MediaKind.AUDIO, "ok", "text/html")
    with pytest.raises(ValidationError):
        parse_key("images/../../secret.png")


def test_local_storage_round_trip_and_containment(tmp_path: Path) -> None:
    storage = LocalDiskStorage(tmp_path / "media")
    key = storage.put_bytes(MediaKind.IMAGE, b"png-bytes", name="catalog/ava", content_type="image/png")
    assert storage.exists(key) and storage.read_bytes(key) == b"png-bytes"
    assert not list((tmp_path / "media").rglob(".tmp-*"))  # written atomically, nothing left behind
    assert storage.signed_url(key, 60) is None
    storage.delete(key)
    assert not storage.exists(key)
    with pytest.raises(NotFound):
        storage.read_bytes(key)
    with pytest.raises(ValidationError):
        storage.path_of("images/../../../etc/passwd")


def test_defaults_are_the_embedded_ones(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'studio.db'}"
    assert settings.storage_backend == "local" and not settings.uses_redis
    assert not any(settings.has_key(v) for v in ("fal", "wavespeed", "google", "kie"))


def test_environment_switches_subsystems(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/studio")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("FAL_KEY", "fal-secret")
    monkeypatch.setenv("PRICES__FAL_TTS_PER_SECOND", "0.5")
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert settings.effective_database_url == "postgresql+psycopg://u:p@db.example:5432/studio"
    assert settings.uses_redis and settings.has_key("fal")
    assert settings.prices.fal_tts_per_second == 0.5
    assert "fal-secret" not in repr(settings)  # keys never printed


def test_secrets_toml_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('daily_generation_quota = 7\nwavespeed_api_key = "ws"\n')
    monkeypatch.setenv("STUDIO_SECRETS_FILE", str(secrets))
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert settings.daily_generation_quota == 7 and settings.has_key("wavespeed")


def test_the_secrets_example_documents_every_setting() -> None:
    import tomllib

    example = Path(__file__).resolve().parents[2] / ".streamlit" / "secrets.example.toml"
    documented = tomllib.loads(example.read_text())
    assert set(Settings.model_fields) <= set(documented)
    assert set(documented["prices"]) == set(Settings.model_fields["prices"].default_factory().model_dump())  # type: ignore[misc]
    Settings(_env_file=None, **{k: v for k, v in documented.items() if k != "data_dir"})  # every value validates


def test_the_global_streamlit_secrets_file_is_read_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Streamlit reads `~/.streamlit/secrets.toml` as well as the project's; so do settings."""
    home = tmp_path / "home"
    (home / ".streamlit").mkdir(parents=True)
    (home / ".streamlit" / "secrets.toml").write_text('daily_generation_quota = 9\nkie_api_key = "kie"\n')
    monkeypatch.delenv("STUDIO_SECRETS_FILE", raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr("core.config.SECRETS_FILE", tmp_path / "no-project-secrets.toml")  # a dev's own file
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert settings.daily_generation_quota == 9 and settings.has_key("kie")


HOSTILE_KEYS = [
    "images/ok\x00.png",  # NUL: os.stat raised ValueError, PostgreSQL refused the query
    "secrets/x.png",  # unknown kind: MediaKind() raised ValueError
    "images/" + "a" * 300 + ".png",  # over-long: the file system raised OSError
    "images/" + "a/" * 130 + "b.png",
    "images/x.png\n",
    "",
    None,
]


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_hostile_keys_are_clean_validation_errors(tmp_path: Path, key: object) -> None:
    storage = LocalDiskStorage(tmp_path / "media")
    for use in (storage.path_of, storage.exists, storage.read_bytes, storage.delete, parse_key):
        with pytest.raises(ValidationError):
            use(key)  # type: ignore[arg-type]


def test_kie_models_are_the_documented_market_models(tmp_path: Path) -> None:
    import pydantic

    from core.config import KIE_VIDEO_MODELS

    assert Settings(_env_file=None, data_dir=tmp_path).kie_video_model == "kling-2.6/image-to-video"
    for model in KIE_VIDEO_MODELS:
        assert Settings(_env_file=None, data_dir=tmp_path, kie_video_model=model).kie_video_model == model
    with pytest.raises(pydantic.ValidationError):
        Settings(_env_file=None, data_dir=tmp_path, kie_video_model="kling/v2-1-standard")  # not on KIE's market
