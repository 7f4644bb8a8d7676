"""Typed settings, read from the environment, `.env` and `.streamlit/secrets.toml`.

Every default is the embedded one: SQLite under `data/`, media on local disk, the
in-process job runner and the offline providers. A team switches a subsystem by
setting one value (DATABASE_URL, REDIS_URL, SUPABASE_URL + key, a provider key).

`st.secrets` is the same `secrets.toml` file, read here without importing streamlit
(core stays free of it); root-level secrets on Streamlit Cloud also arrive as env vars.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"

ProviderChoice = Literal["auto", "local", "fal", "wavespeed", "google", "kie"]


class Prices(BaseSettings):
    """USD per unit, per provider and model. The cost ledger and estimates read only this."""

    model_config = SettingsConfigDict(extra="ignore")

    fal_nano_banana_edit_per_image: float = 0.039
    fal_flux_dev_per_image: float = 0.025
    fal_flux_schnell_per_image: float = 0.003
    fal_tts_per_second: float = 0.0017
    fal_infinitalk_per_second: float = 0.2
    wavespeed_infinitetalk_per_second: float = 0.15
    google_image_per_image: float = 0.039
    google_tts_per_second: float = 0.0006
    google_veo_per_second: float = 0.4
    kie_video_per_second: float = 0.05
    local_per_unit: float = 0.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
    )

    # --- where things live
    data_dir: Path = ROOT / "data"
    database_url: str = ""  # empty: sqlite:///<data_dir>/studio.db
    storage_backend: Literal["local", "supabase"] = "local"
    supabase_url: str = ""
    supabase_service_key: SecretStr = SecretStr("")
    supabase_bucket_prefix: str = "ugc-"
    redis_url: str = ""  # empty: the embedded runner
    rq_queue: str = "studio"

    # --- runner
    embedded_workers: int = Field(default=2, ge=1, le=16)
    heartbeat_interval_s: float = Field(default=5.0, gt=0)
    stale_after_s: float = Field(default=30.0, gt=0)
    sweep_interval_s: float = Field(default=15.0, gt=0)
    max_resumes: int = Field(default=3, ge=0)
    step_max_attempts: int = Field(default=4, ge=1)
    retry_base_s: float = Field(default=2.0, ge=0)
    retry_cap_s: float = Field(default=60.0, ge=0)
    provider_wait_timeout_s: float = Field(default=600.0, gt=0)

    # --- product rules
    max_active_generations: int = Field(default=2, ge=1)
    daily_generation_quota: int = Field(default=30, ge=0)
    script_max_chars: int = 1500
    speech_max_seconds: float = 60.0
    words_per_minute: int = 150
    audio_max_bytes: int = 10 * 1024 * 1024
    image_max_bytes: int = 15 * 1024 * 1024
    image_max_pixels: int = 40_000_000
    variant_prompt_max_chars: int = 200
    link_expiry_s: int = 3600
    video_width: int = 720
    video_height: int = 1280

    # --- providers: "auto" picks the cloud provider whose key is set, else local
    image_edit_provider: ProviderChoice = "auto"
    speech_provider: ProviderChoice = "auto"
    lipsync_provider: ProviderChoice = "auto"
    image_gen_provider: ProviderChoice = "auto"
    image_to_video_provider: ProviderChoice = "auto"

    fal_key: SecretStr = SecretStr("")
    fal_queue_url: str = "https://queue.fal.run"
    fal_rest_url: str = "https://rest.fal.ai"
    fal_cdn_url: str = "https://v3.fal.media"
    fal_jwks_url: str = "https://rest.alpha.fal.ai/.well-known/jwks.json"
    fal_image_edit_model: str = "fal-ai/nano-banana/edit"
    fal_tts_model: str = "fal-ai/elevenlabs/tts/multilingual-v2"
    fal_lipsync_model: str = "fal-ai/infinitalk"
    fal_image_gen_model: str = "fal-ai/flux/dev"

    wavespeed_api_key: SecretStr = SecretStr("")
    wavespeed_base_url: str = "https://api.wavespeed.ai"
    wavespeed_lipsync_model: str = "wavespeed-ai/infinitetalk"
    wavespeed_webhook_secret: SecretStr = SecretStr("")

    gemini_api_key: SecretStr = SecretStr("")
    google_base_url: str = "https://generativelanguage.googleapis.com"
    google_image_model: str = "gemini-2.5-flash-image"
    google_tts_model: str = "gemini-2.5-flash-preview-tts"
    google_veo_model: str = "veo-3.0-generate-001"
    google_imagen_model: str = "imagen-4.0-generate-001"

    kie_api_key: SecretStr = SecretStr("")
    kie_base_url: str = "https://api.kie.ai"
    kie_video_model: str = "kling/v2-1-standard"
    provider_timeout_s: float = 60.0  # one HTTP request to a provider

    prices: Prices = Field(default_factory=Prices)

    # --- downloads of provider results
    download_max_bytes: int = 200 * 1024 * 1024
    download_allow_http: bool = False
    download_allow_private_hosts: list[str] = Field(default_factory=list)

    # --- app
    public_mode: bool = False
    local_user_email: str = "creator@localhost"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            # STUDIO_SECRETS_FILE lets tests and other deployments point elsewhere.
            TomlConfigSettingsSource(settings_cls, toml_file=os.environ.get("STUDIO_SECRETS_FILE", SECRETS_FILE)),
            file_secret_settings,
        )

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres_driver(cls, url: str) -> str:
        # Supabase and Heroku hand out postgres:// URLs; SQLAlchemy wants a driver name.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'studio.db'}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)

    def has_key(self, vendor: str) -> bool:
        secret = {
            "fal": self.fal_key,
            "wavespeed": self.wavespeed_api_key,
            "google": self.gemini_api_key,
            "kie": self.kie_api_key,
        }.get(vendor)
        return bool(secret and secret.get_secret_value())


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
