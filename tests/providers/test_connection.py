"""'Test connection' against the stubs: accepted key, refused key, unreachable host."""

from __future__ import annotations

import socket

import pytest
from pydantic import SecretStr

from core.adapters.providers.connection import check_connection
from core.errors import ConfigurationError, ProviderError
from tests.conftest import make_settings
from tests.stubs import FalStub, KieStub, WaveSpeedStub


def _settings(tmp_path, **values):  # type: ignore[no-untyped-def]
    return make_settings(tmp_path, **values)


def test_fal_and_wavespeed_accept_the_right_key_and_refuse_a_wrong_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with FalStub() as fal, WaveSpeedStub() as wavespeed, KieStub() as kie:
        good = _settings(
            tmp_path,
            fal_key="test-key",
            fal_queue_url=fal.url,
            wavespeed_api_key="test-key",
            wavespeed_base_url=wavespeed.base_url,
            kie_api_key="test-key",
            kie_base_url=kie.url,
        )
        assert "accepted the key" in check_connection(good, "fal", "fal-ai/nano-banana/edit")
        assert "accepted the key" in check_connection(good, "wavespeed", "wavespeed-ai/infinitetalk")
        assert "accepted the key" in check_connection(good, "kie", "kling-2.6/image-to-video")
        for vendor, field in (("fal", "fal_key"), ("wavespeed", "wavespeed_api_key"), ("kie", "kie_api_key")):
            bad = good.model_copy(update={field: SecretStr("wrong-key")})
            with pytest.raises(ProviderError, match="refused the API key") as refused:
                check_connection(bad, vendor, "fal-ai/nano-banana/edit")
            assert "wrong-key" not in refused.value.message
        assert fal.created_count() == 0 and wavespeed.created_count() == 0  # nothing paid


def test_an_unreachable_host_and_a_missing_key_say_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the check: nothing listens there
    settings = _settings(tmp_path, wavespeed_api_key="k", wavespeed_base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(ProviderError, match="Could not reach WaveSpeed at 127.0.0.1"):
        check_connection(settings, "wavespeed", "m")
    with pytest.raises(ConfigurationError, match="No key is set for fal"):
        check_connection(_settings(tmp_path), "fal", "m")
    assert "offline adapter" in check_connection(_settings(tmp_path), "local", "eSpeak NG")
