"""The provider health view on Settings (issue 18): providers and their fallbacks, pooled keys, events."""

from __future__ import annotations

from pydantic import SecretStr
from sqlalchemy import select

from core.adapters.db.models.resilience import PoolKey
from core.adapters.providers.key_pool import KeyLedger
from core.errors import ProviderError
from core.ports_services import ProviderChoice, Services
from core.services.resilience import health, key_pool
from tests.fakes import FakeProvider

MASTER = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def _health_table(at):  # type: ignore[no-untyped-def]
    return next(d.value for d in at.dataframe if "Role" in d.value.columns)


def test_health_shows_each_provider_and_the_fallback_in_use(open_page, creator, app_services: Services) -> None:  # type: ignore[no-untyped-def]
    backup = FakeProvider("video", name="fake-backup")
    app_services.providers.fallbacks["lipsync"] = [
        ProviderChoice("lipsync", backup, "fake", "backup", key_present=True, note="fallback 1")
    ]
    at = open_page("pages/settings.py")
    table = _health_table(at)
    lipsync = table[table["Capability"] == "Lip-sync"]
    assert list(lipsync["Role"]) == ["primary", "fallback 1"] and list(lipsync["In use"]) == ["yes", ""]
    assert set(table["State"]) == {"ok"}
    assert any("Nothing to report" in c.value for c in at.caption)

    retired = ProviderError("fake does not know the lip-sync model (404).", provider="fake", status_code=404)
    assert health.note_failure(app_services, "fake", "lipsync", retired)  # the primary is down now
    at = open_page("pages/settings.py")
    table = _health_table(at)
    lipsync = table[table["Capability"] == "Lip-sync"]
    assert list(lipsync["In use"]) == ["", "yes"]
    assert lipsync["State"].iloc[0].startswith("skipped until") and "404" in lipsync["Last error"].iloc[0]
    assert any("Lip-sync runs on its fallback 1, fake-backup" in w.value for w in at.warning)
    events = next(d.value for d in at.dataframe if "Message" in d.value.columns)
    assert "does not know the lip-sync model" in events["Message"].iloc[0]


def test_a_creator_pools_a_key_and_sees_its_status(open_page, creator, app_services: Services) -> None:  # type: ignore[no-untyped-def]
    app_services.settings.master_key = SecretStr(MASTER)
    at = open_page("pages/settings.py")
    at.selectbox(key="pool_vendor").set_value("wavespeed")
    at.text_input(key="pool_label").input("second account")
    at.text_input(key="pool_secret").input("ws-secret-value-123")
    next(b for b in at.button if b.label == "Add to my pool").click().run()
    assert not at.exception and not at.error

    keys = next(d.value for d in at.dataframe if "Whose" in d.value.columns)
    assert list(keys["Key"]) == ["second account"] and list(keys["Status"]) == ["active"]
    assert list(keys["Vendor"]) == ["WaveSpeed"] and list(keys["Whose"]) == ["yours"]
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption] + [d.value.to_string() for d in at.dataframe]
    assert not [text for text in shown if "ws-secret-value-123" in text]  # never shown back
    with app_services.db.session() as session:
        row = session.scalars(select(PoolKey)).one()
        assert "ws-secret-value-123" not in row.ciphertext

    rejected = ProviderError("wavespeed rejected our API key (401).", provider="wavespeed", status_code=401)
    KeyLedger(app_services.db).fail(row.id, "error", rejected, "wavespeed:infinitetalk")
    at.run()
    keys = next(d.value for d in at.dataframe if "Whose" in d.value.columns)
    assert list(keys["Status"]) == ["rejected"] and list(keys["Errors"]) == [1]
    events = next(d.value for d in at.dataframe if "Message" in d.value.columns)
    assert 'Key "second account" for wavespeed was rejected (401)' in events["Message"].iloc[0]

    at.button(key=f"pool_on_{row.id}").click().run()
    assert [k.status for k in key_pool.list_keys(app_services, owner_id=creator)] == ["active"]
    at.button(key=f"pool_rm_{row.id}").click().run()
    assert key_pool.list_keys(app_services, owner_id=creator) == []


def test_a_bad_pooled_key_is_refused_in_plain_words(open_page, creator, app_services: Services) -> None:  # type: ignore[no-untyped-def]
    app_services.settings.master_key = SecretStr(MASTER)
    at = open_page("pages/settings.py")
    at.text_input(key="pool_label").input("spaces")
    at.text_input(key="pool_secret").input("has a space inside")
    next(b for b in at.button if b.label == "Add to my pool").click().run()
    assert not at.exception
    assert any("does not look like" in e.value for e in at.error)
    assert key_pool.list_keys(app_services, owner_id=creator) == []
