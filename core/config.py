"""Typed settings, read from the environment, `.env` and `.streamlit/secrets.toml`.

Every default is the embedded one: SQLite under `data/`, media on local disk, the
in-process job runner and the offline providers. A team switches a subsystem by
setting one value (DATABASE_URL, REDIS_URL, SUPABASE_URL + key, a provider key).

`st.secrets` is the same `secrets.toml` file, read here without importing streamlit
(core stays free of it); root-level secrets on Streamlit Cloud also arrive as env vars.
"""

from __future__ import annotations

import base64
import functools
import os
from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"


def secrets_files() -> tuple[Path, ...]:
    """Secrets files in order of precedence: the project's, then the global one that Streamlit
    also reads (`~/.streamlit/secrets.toml`). STUDIO_SECRETS_FILE (tests, other deployments)
    replaces both."""
    if override := os.environ.get("STUDIO_SECRETS_FILE"):
        return (Path(override),)
    return (SECRETS_FILE, Path.home() / ".streamlit" / "secrets.toml")


ProviderChoice = Literal["auto", "local", "fal", "wavespeed", "google", "gcloud", "kie"]  # gcloud: Cloud TTS
KieVideoModel = Literal[
    "kling-2.6/image-to-video", "kling/v2-5-turbo-image-to-video-pro", "wan/2-2-a14b-image-to-video-turbo"
]
KIE_VIDEO_MODELS: tuple[str, ...] = get_args(KieVideoModel)


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
    google_cloud_tts_per_second: float = 0.00024  # Neural2, about 15 characters a second
    google_veo_per_second: float = 0.4
    kie_video_per_second: float = 0.05
    google_llm_per_call: float = 0.002
    google_copilot_per_call: float = 0.002
    local_per_unit: float = 0.0
    # Digital twins (issue 17). Estimates: providers.md §2.5-2.6 document no price for the trainer,
    # the LoRA text-to-image model or pixverse/swap; every estimate and the Settings page say "estimated".
    fal_wan_trainer_per_1000_steps: float = 4.0
    fal_wan_lora_image_per_image: float = 0.04
    fal_pixverse_swap_per_second: float = 0.1


# Words refused in scripts and prompts before any provider call (whole words, any case).
DEFAULT_BLOCKED_TERMS = (
    "porn",
    "pornographic",
    "nude",
    "nudity",
    "naked",
    "sexually explicit",
    "beheading",
    "gore",
    "self-harm",
    "suicide",
)


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
    # A paid submit whose answer was lost waits this long for a webhook to name it.
    orphan_wait_s: float = Field(default=600.0, ge=0)
    provider_watch_threads: int = Field(default=32, ge=1, le=256)

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
    llm_provider: ProviderChoice = "auto"
    vision_provider: ProviderChoice = "auto"
    copilot_provider: ProviderChoice = "auto"

    lora_train_provider: ProviderChoice = "auto"  # fal only; offline there is no training
    lora_image_provider: ProviderChoice = "auto"  # storyboard frames with a LoRA: fal only
    face_swap_provider: ProviderChoice = "auto"  # local (OpenCV) | fal (pixverse swap)

    # --- resilience (issue 18; core.adapters.providers.fallback_chains): per capability, the
    # entries tried after the provider chosen above, as "vendor", "vendor:model" or
    # "vendor:model@price per unit" (the real price the ledger then records), for example
    # {"image_to_video": ["google:veo-3.1-fast-generate-preview@0.15", "google:veo-2.0-generate-001"],
    #  "lipsync": ["fal"], "speech": ["gcloud"], "llm": ["google:gemini-2.5-flash"]}.
    fallback_chains: dict[str, list[str]] = Field(default_factory=dict)
    # Refused submits (outage, 503, 429 on every key) in a row before a step moves on.
    fallback_after_attempts: int = Field(default=2, ge=1)
    # A provider that failed past that budget is skipped by new steps for this long.
    provider_cooldown_s: float = Field(default=300.0, ge=0)

    fal_key: SecretStr = SecretStr("")
    fal_queue_url: str = "https://queue.fal.run"
    fal_rest_url: str = "https://rest.fal.ai"
    fal_cdn_url: str = "https://v3.fal.media"
    fal_jwks_url: str = "https://rest.alpha.fal.ai/.well-known/jwks.json"
    fal_image_edit_model: str = "fal-ai/nano-banana/edit"
    fal_tts_model: str = "fal-ai/elevenlabs/tts/multilingual-v2"
    fal_lipsync_model: str = "fal-ai/infinitalk"
    fal_image_gen_model: str = "fal-ai/flux/dev"
    fal_lora_trainer_model: str = "fal-ai/wan-22-image-trainer"
    fal_lora_image_model: str = "fal-ai/wan/v2.2-a14b/text-to-image/lora"
    fal_face_swap_model: str = "fal-ai/pixverse/swap"
    lora_train_poll_s: float = 30.0  # a training takes about an hour: no need to ask more often
    lora_max_bytes: int = 1536 * 1024 * 1024  # an uploaded .safetensors (Wan 2.2 LoRAs run to hundreds of MB)
    lora_train_steps_max: int = 4000
    face_swap_max_seconds: float = 60.0

    wavespeed_api_key: SecretStr = SecretStr("")
    wavespeed_base_url: str = "https://api.wavespeed.ai/api/v3"
    wavespeed_lipsync_model: str = "wavespeed-ai/infinitetalk"
    wavespeed_webhook_secret: SecretStr = SecretStr("")
    # Public base URL of `python -m jobs.webhooks` (e.g. https://hooks.example.com); when set,
    # every submit that supports it asks the provider to call back there.
    webhook_base_url: str = ""
    fal_webhook_user_id: str = ""  # the fal account's user id; webhooks for another are refused

    gemini_api_key: SecretStr = SecretStr("")
    google_base_url: str = "https://generativelanguage.googleapis.com"
    google_image_model: str = "gemini-2.5-flash-image"
    google_tts_model: str = "gemini-2.5-flash-preview-tts"
    google_veo_model: str = "veo-3.1-generate-preview"
    google_imagen_model: str = "imagen-4.0-generate-001"  # or a Gemini image model (gemini-...-image)
    # Reference images a Gemini image model gets per storyboard frame (Google's image docs:
    # best with up to 3 on gemini-2.5-flash-image, more on later models; not in providers.md).
    google_image_max_references: int = Field(default=3, ge=1, le=14)
    # Google Cloud Text-to-Speech (`speech_provider = "gcloud"`): its own key, else the Gemini key.
    google_cloud_tts_api_key: SecretStr = SecretStr("")
    google_cloud_tts_base_url: str = "https://texttospeech.googleapis.com"

    kie_api_key: SecretStr = SecretStr("")
    kie_base_url: str = "https://api.kie.ai"
    # The Market models KIE documents for image-to-video (providers.md section 4); one is chosen here.
    kie_video_model: KieVideoModel = "kling-2.6/image-to-video"
    provider_timeout_s: float = 60.0  # one HTTP request to a provider

    prices: Prices = Field(default_factory=Prices)

    # --- downloads of provider results
    download_max_bytes: int = 200 * 1024 * 1024
    download_allow_http: bool = False
    download_allow_private_hosts: list[str] = Field(default_factory=list)

    # --- mass generator (UGC ads): sizes, review, consistency thresholds, realism layer
    ugc_long_side: int = Field(default=1920, ge=240, le=3840)  # 1080x1920 for 9:16
    ugc_fps: int = Field(default=30, ge=12, le=60)
    ugc_x264_preset: str = "veryfast"
    ugc_crf: int = Field(default=21, ge=12, le=35)
    ugc_storyboard_variants: int = Field(default=2, ge=1, le=4)
    ugc_product_images_max: int = Field(default=6, ge=1, le=6)
    ugc_avatar_photos_max: int = Field(default=10, ge=1, le=10)
    ugc_scene_max_words_per_8s: int = 20
    ugc_storyboard_similarity_min: float = Field(default=0.75, ge=0, le=1)
    ugc_video_similarity_min: float = Field(default=0.65, ge=0, le=1)
    ugc_cross_scene_std_max: float = Field(default=0.10, ge=0, le=1)
    ugc_max_regen_attempts: int = Field(default=3, ge=0, le=10)
    # A scene longer than one generation is extended this many times at most (issue 18; the
    # clip job has MAX_EXTENSIONS steps for them, so the bound is capped there too).
    ugc_max_extensions: int = Field(default=3, ge=0, le=4)
    ugc_duration_tolerance_s: float = Field(default=0.5, gt=0)
    ugc_loudness_target_lufs: float = -14.0
    ugc_loudness_tolerance_lu: float = Field(default=2.0, gt=0)
    ugc_music_volume: float = Field(default=0.35, ge=0, le=1)
    ugc_grain: float = Field(default=4.0, ge=0, le=20)
    ugc_vignette: float = Field(default=0.25, ge=0, le=1)
    ugc_shake_px: float = Field(default=1.5, ge=0, le=8)
    ugc_saturation: float = Field(default=0.93, ge=0.5, le=1.5)
    ugc_chromatic_aberration: float = Field(default=0.0, ge=0, le=6)  # colour fringes in px at 1080 wide (0: off)
    ugc_lens_distortion: float = Field(default=0.0, ge=0, le=0.3)  # phone-lens barrel (0: off)
    ugc_lut_max_bytes: int = Field(default=16 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)  # an uploaded .cube
    ugc_recheck_s: float = Field(default=3.0, gt=0)  # how often a waiting ad job re-checks its scenes
    google_llm_model: str = "gemini-2.5-flash"
    # --- copilot (chat): intent detection falls back to CHAT after this many seconds (spec 12.2)
    google_copilot_model: str = "gemini-2.5-flash"
    copilot_intent_timeout_s: float = Field(default=5.0, gt=0)
    copilot_history_turns: int = Field(default=12, ge=0)
    # The offline Copilot types its answer word by word at this pace (it has nothing to wait for).
    copilot_offline_word_delay_s: float = Field(default=0.02, ge=0, le=1)

    # --- variant factory: libraries of videos, audio and hooks; batches of ad variants
    factory_video_max_bytes: int = Field(default=300 * 1024 * 1024, gt=0)
    factory_video_max_seconds: float = Field(default=180.0, gt=0)
    factory_audio_max_bytes: int = Field(default=30 * 1024 * 1024, gt=0)
    factory_audio_max_seconds: float = Field(default=300.0, gt=0)
    factory_hook_max_chars: int = Field(default=120, ge=10, le=500)
    factory_batch_max_variants: int = Field(default=100, ge=1, le=1000)
    factory_batch_expiry_h: float = Field(default=24.0, gt=0)
    factory_zip_max_bytes: int = Field(default=2 * 1024 * 1024 * 1024, gt=0)
    factory_seconds_per_variant: float = Field(default=6.0, gt=0)  # time estimate before history exists

    # --- app
    # Where `python3 dev.py run` listens: loopback unless opened (0.0.0.0 or a LAN address).
    studio_host: str = "127.0.0.1"
    port: int = Field(default=8501, ge=1, le=65535)
    public_mode: bool = False
    local_user_email: str = "creator@localhost"

    # --- sign-in (neither set: the embedded single-user mode, refused when public_mode is set)
    auth_local: bool = False  # email + password accounts (Argon2 hashes)
    auth_oidc: bool = False  # OpenID Connect through st.login; needs [auth] in secrets.toml
    auth_oidc_provider: str = ""  # the [auth.<name>] provider; "" uses the plain [auth] section
    auth_allow_signup: bool = True  # False: only invited emails may create an account
    password_min_chars: int = Field(default=8, ge=6, le=100)
    session_idle_s: int = Field(default=12 * 3600, gt=0)
    login_window_s: int = Field(default=3600, gt=0)  # failures older than this are forgotten
    login_max_failures: int = Field(default=5, ge=1)  # per account, then locked
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_lockout_s: int = Field(default=900, ge=0)
    login_backoff_base_s: float = Field(default=1.0, ge=0)  # wait after the n-th failure: base * 2^(n-1)
    login_backoff_cap_s: float = Field(default=60.0, ge=0)
    client_address_header: str = ""  # e.g. "X-Forwarded-For" behind a trusted proxy

    # --- secrets of users and links
    master_key: SecretStr = SecretStr("")  # base64 of 32 random bytes; encrypts users' provider keys
    link_signing_secret: SecretStr = SecretStr("")  # signs expiring links to local files
    media_base_url: str = ""  # where `python -m jobs.webhooks` serves /media/<token>; "" = no local links

    # --- spend guardrails (0 turns a ceiling off)
    daily_cost_ceiling_usd: float = Field(default=25.0, ge=0)  # per user per UTC day
    team_daily_cost_ceiling_usd: float = Field(default=100.0, ge=0)  # per project per UTC day
    blocked_terms: list[str] = Field(default_factory=lambda: list(DEFAULT_BLOCKED_TERMS))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_files = tuple(TomlConfigSettingsSource(settings_cls, toml_file=path) for path in secrets_files())
        return (init_settings, env_settings, dotenv_settings, *toml_files, file_secret_settings)

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres_driver(cls, url: str) -> str:
        # Supabase and Heroku hand out postgres:// URLs; SQLAlchemy wants a driver name.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @field_validator("master_key")
    @classmethod
    def _check_master_key(cls, key: SecretStr) -> SecretStr:
        # Fail at start, not at the first key a user saves.
        value = key.get_secret_value()
        if value:
            try:
                raw = base64.b64decode(value, validate=True)
            except ValueError as exc:
                raise ValueError("master_key must be base64 (of 32 random bytes)") from exc
            if len(raw) != 32:
                raise ValueError(f"master_key must decode to 32 bytes, not {len(raw)}")
        return key

    @property
    def sign_in_configured(self) -> bool:
        return self.auth_local or self.auth_oidc

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

    @property
    def cloud_tts_key(self) -> SecretStr:
        own = self.google_cloud_tts_api_key
        return own if own.get_secret_value() else self.gemini_api_key

    def has_key(self, vendor: str) -> bool:
        secret = {
            "fal": self.fal_key,
            "wavespeed": self.wavespeed_api_key,
            "google": self.gemini_api_key,
            "gcloud": self.cloud_tts_key,
            "kie": self.kie_api_key,
        }.get(vendor)
        return bool(secret and secret.get_secret_value())


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
