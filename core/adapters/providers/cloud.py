"""Builders for the cloud adapters, keyed by (capability, vendor).

Each builder takes the settings, the media toolkit and the storage, and returns (provider, model id).
HTTP clients and the guarded downloader are built here, with base URLs, models and
prices from settings, so a proxy or a local stub server can stand in for any vendor.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from core.config import Settings
from core.errors import ConfigurationError
from core.ports import BlobStorage

Builder = Callable[[Settings, Any, Any], tuple[Any, str]]  # (settings, media, storage)
BUILDERS: dict[tuple[str, str], Builder] = {}
MediaBuilder = Callable[[Settings, Any], tuple[Any, str]]  # most adapters need no storage


def _builder(capability: str, vendor: str) -> Callable[[MediaBuilder], MediaBuilder]:
    def register(fn: MediaBuilder) -> MediaBuilder:
        BUILDERS[(capability, vendor)] = lambda settings, media, _storage: fn(settings, media)
        return fn

    return register


def _storage_builder(capability: str, vendor: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        BUILDERS[(capability, vendor)] = fn
        return fn

    return register


def _http(settings: Settings) -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(settings.provider_timeout_s, connect=10.0))


def _downloader(settings: Settings) -> Any:
    from core.adapters.providers.http.download import GuardedDownloader

    return GuardedDownloader(
        _http(settings),
        max_bytes=settings.download_max_bytes,
        allow_http=settings.download_allow_http,
        allow_private_hosts=frozenset(settings.download_allow_private_hosts),
    )


def _image_probe() -> Callable[[Path], Any]:
    from core.adapters.providers.http.common import image_probe

    return image_probe


@functools.lru_cache(maxsize=4)
def _fal_queue_for(key: str, queue_url: str, rest_url: str, cdn_url: str, timeout_s: float) -> Any:
    from core.adapters.providers.fal.queue import FalQueue

    # fal-client keeps its hosts in module globals: one queue object per process and settings.
    http = httpx.Client(timeout=httpx.Timeout(timeout_s, connect=10.0))
    return FalQueue(key, http=http, queue_url=queue_url, rest_url=rest_url, cdn_url=cdn_url)


def _fal_queue(settings: Settings) -> Any:
    return _fal_queue_for(
        settings.fal_key.get_secret_value(),
        settings.fal_queue_url,
        settings.fal_rest_url,
        settings.fal_cdn_url,
        settings.provider_timeout_s,
    )


def _genai(settings: Settings) -> Any:
    return _genai_on(settings, _http(settings))


def _genai_on(settings: Settings, http: httpx.Client) -> Any:
    from core.adapters.providers.google.common import make_genai_client

    return make_genai_client(
        settings.gemini_api_key.get_secret_value(),
        http=http,
        base_url=settings.google_base_url,
        timeout_s=settings.provider_timeout_s,
    )


@_builder("image_edit", "fal")
def _fal_image_edit(settings: Settings, media: Any) -> tuple[Any, str]:
    from core.adapters.providers.fal.image_edit import FalImageEditor

    model = settings.fal_image_edit_model
    price = settings.prices.fal_nano_banana_edit_per_image
    provider = FalImageEditor(
        _fal_queue(settings), model=model, price_per_image=price, downloader=_downloader(settings), probe=_image_probe()
    )
    return provider, model


@_builder("image_gen", "fal")
def _fal_image_gen(settings: Settings, media: Any) -> tuple[Any, str]:
    from core.adapters.providers.fal.image_gen import FalImageGenerator

    model = settings.fal_image_gen_model
    price = settings.prices.fal_flux_schnell_per_image if "schnell" in model else settings.prices.fal_flux_dev_per_image
    provider = FalImageGenerator(
        _fal_queue(settings), model=model, price_per_image=price, downloader=_downloader(settings), probe=_image_probe()
    )
    return provider, model


@_builder("speech", "fal")
def _fal_speech(settings: Settings, media: Any) -> tuple[Any, str]:
    from core.adapters.providers.fal.speech import FalSpeechSynthesizer

    model = settings.fal_tts_model
    provider = FalSpeechSynthesizer(
        _fal_queue(settings),
        model=model,
        price_per_second=settings.prices.fal_tts_per_second,
        downloader=_downloader(settings),
        probe=media.probe,
    )
    return provider, model


@_builder("lipsync", "fal")
def _fal_lipsync(settings: Settings, media: Any) -> tuple[Any, str]:
    from core.adapters.providers.fal.lipsync import FalLipSyncer

    model = settings.fal_lipsync_model
    provider = FalLipSyncer(
        _fal_queue(settings),
        model=model,
        price_per_second=settings.prices.fal_infinitalk_per_second,
        downloader=_downloader(settings),
        probe=media.probe,
    )
    return provider, model


@_builder("lipsync", "wavespeed")
def _wavespeed_lipsync(settings: Settings, media: Any) -> tuple[Any, str]:
    from core.adapters.providers.wavespeed.lipsync import WaveSpeedLipSyncer

    model = settings.wavespeed_lipsync_model
    provider = WaveSpeedLipSyncer(
        settings.wavespeed_api_key.get_secret_value(),
        http=_http(settings),
        base_url=settings.wavespeed_base_url,
        model=model,
        price_per_second=settings.prices.wavespeed_infinitetalk_per_second,
        downloader=_downloader(settings),
        probe=media.probe,
    )
    return provider, model


@_builder("image_edit", "google")
def _google_image_edit(settings: Settings, media: Any) -> tuple[Any, str]:
    from core.adapters.providers.google.image import GoogleImageEditor

    model = settings.google_image_model
    provider = GoogleImageEditor(
        _genai(settings), model=model, price_per_image=settings.prices.google_image_per_image, probe=_image_probe()
    )
    return provider, model


@_builder("image_gen", "google")
def _google_image_gen(settings: Settings, media: Any) -> tuple[Any, str]:
    from core.adapters.providers.google.image import GeminiImageGenerator, GoogleImageGenerator

    model = settings.google_imagen_model
    if model.startswith("gemini"):  # a Gemini image model: it takes reference images (Imagen does not)
        gemini = GeminiImageGenerator(
            _genai(settings),
            model=model,
            price_per_image=settings.prices.google_image_per_image,
            probe=_image_probe(),
            max_references=settings.google_image_max_references,
        )
        return gemini, model
    provider = GoogleImageGenerator(
        settings.gemini_api_key.get_secret_value(),
        http=_http(settings),
        base_url=settings.google_base_url,
        model=model,
        price_per_image=settings.prices.google_image_per_image,
        probe=_image_probe(),
    )
    return provider, model


@_builder("speech", "google")
def _google_speech(settings: Settings, media: Any) -> tuple[Any, str]:
    from core.adapters.providers.google.speech import GeminiSpeechSynthesizer

    model = settings.google_tts_model
    provider = GeminiSpeechSynthesizer(
        _genai(settings), model=model, price_per_second=settings.prices.google_tts_per_second, probe=media.probe
    )
    return provider, model


@_builder("speech", "gcloud")
def _gcloud_speech(settings: Settings, media: Any) -> tuple[Any, str]:
    from core.adapters.providers.google.speech import GoogleCloudSpeechSynthesizer

    provider = GoogleCloudSpeechSynthesizer(
        settings.cloud_tts_key.get_secret_value(),
        http=_http(settings),
        base_url=settings.google_cloud_tts_base_url,
        price_per_second=settings.prices.google_cloud_tts_per_second,
        probe=media.probe,
    )
    return provider, "cloud-tts-neural2"


@_builder("image_to_video", "google")
def _google_veo(settings: Settings, media: Any) -> tuple[Any, str]:
    from core.adapters.providers.google.veo import GoogleVeoAnimator

    model = settings.google_veo_model
    provider = GoogleVeoAnimator(
        settings.gemini_api_key.get_secret_value(),
        http=_http(settings),
        base_url=settings.google_base_url,
        model=model,
        price_per_second=settings.prices.google_veo_per_second,
        downloader=_downloader(settings),
        probe=media.probe,
    )
    return provider, model


@_builder("llm", "google")
def _google_llm(settings: Settings, media: Any) -> tuple[Any, str]:
    from core.adapters.providers.google.llm import GoogleScriptWriter

    model = settings.google_llm_model
    return GoogleScriptWriter(_genai(settings), model=model, price_per_call=settings.prices.google_llm_per_call), model


@_builder("vision", "google")
def _google_vision(settings: Settings, media: Any) -> tuple[Any, str]:
    from core.adapters.providers.google.llm import GoogleVisionAnalyzer

    model = settings.google_llm_model
    return GoogleVisionAnalyzer(
        _genai(settings), model=model, price_per_call=settings.prices.google_llm_per_call
    ), model


@_builder("copilot", "google")
def _google_copilot(settings: Settings, media: Any) -> tuple[Any, str]:
    from core.adapters.providers.google.copilot import GoogleCopilot

    def fresh_client() -> tuple[Any, httpx.Client]:
        http = _http(settings)  # one per streamed answer: closing it ends that stream's connection
        return _genai_on(settings, http), http

    model = settings.google_copilot_model
    provider = GoogleCopilot(
        _genai(settings),
        fresh_client=fresh_client,
        model=model,
        price_per_call=settings.prices.google_copilot_per_call,
        intent_timeout_s=settings.copilot_intent_timeout_s,
    )
    return provider, model


def _publisher(settings: Settings, storage: BlobStorage | None) -> Callable[[Path], str]:
    """KIE fetches its input image by URL: upload it to our storage and hand over a signed link."""
    if settings.storage_backend != "supabase" or storage is None:

        def refuse(path: Path) -> str:
            raise ConfigurationError("KIE fetches its input image by link: set STORAGE_BACKEND=supabase to use it.")

        return refuse
    from core.adapters.storage.keys import content_type_of
    from core.domain.types import MediaKind

    def publish(path: Path) -> str:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
        content_type = content_type_of(path.name) if path.suffix else "image/png"
        key = storage.put_file(MediaKind.IMAGE, path, name=f"provider-inputs/{digest}", content_type=content_type)
        link = storage.signed_url(key, 3600)
        if not link:
            raise ConfigurationError("The storage gave no signed link for KIE.")
        return link

    return publish


@_storage_builder("image_to_video", "kie")
def _kie_video(settings: Settings, media: Any, storage: BlobStorage | None) -> tuple[Any, str]:
    from core.adapters.providers.kie.video import KieMarketAnimator

    publish = _publisher(settings, storage)

    model = settings.kie_video_model
    provider = KieMarketAnimator(
        settings.kie_api_key.get_secret_value(),
        http=_http(settings),
        base_url=settings.kie_base_url,
        model=model,
        price_per_second=settings.prices.kie_video_per_second,
        downloader=_downloader(settings),
        probe=media.probe,
        publish=publish,
        poll_after_s=5.0,
    )
    return provider, model


@_builder("lora_train", "fal")
def _fal_lora_train(settings: Settings, media: Any) -> tuple[Any, str]:
    from core.adapters.providers.fal.twins import FalLoraTrainer

    model = settings.fal_lora_trainer_model
    provider = FalLoraTrainer(
        _fal_queue(settings),
        model=model,
        price_per_1000_steps=settings.prices.fal_wan_trainer_per_1000_steps,
        downloader=_downloader(settings),
        max_bytes=settings.lora_max_bytes,
        poll_after_s=settings.lora_train_poll_s,
    )
    return provider, model


@_builder("lora_image", "fal")
def _fal_lora_image(settings: Settings, media: Any) -> tuple[Any, str]:
    from core.adapters.providers.fal.twins import FalLoraImageGenerator

    model = settings.fal_lora_image_model
    provider = FalLoraImageGenerator(
        _fal_queue(settings),
        model=model,
        price_per_image=settings.prices.fal_wan_lora_image_per_image,
        downloader=_downloader(settings),
        probe=_image_probe(),
    )
    return provider, model


@_builder("face_swap", "fal")
def _fal_face_swap(settings: Settings, media: Any) -> tuple[Any, str]:
    from core.adapters.providers.fal.twins import FalFaceSwapper

    model = settings.fal_face_swap_model
    provider = FalFaceSwapper(
        _fal_queue(settings),
        model=model,
        price_per_second=settings.prices.fal_pixverse_swap_per_second,
        downloader=_downloader(settings),
        probe=media.probe,
    )
    return provider, model
