"""The look settings of an ad (colour fringes, lens, LUT grade, whip and zoom transitions), per ad, with an
off switch; a bad LUT is refused and changes nothing. On SQLite and PostgreSQL (the `db` fixture)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.adapters.db.database import Database
from core.adapters.media.lut import Lut3d
from core.domain.ads import RealismSettings, Transition
from core.errors import ValidationError
from core.ports_services import Services
from core.services.ads import wizard
from jobs.pipelines.ad_finish import _realism
from tests.ugc_support import new_ad, ugc_services, ugc_settings
from tests.unit.test_lut import cube


@pytest.fixture
def services(tmp_path: Path, db: Database) -> Services:
    return ugc_services(ugc_settings(tmp_path / "data", ugc_lut_max_bytes=64 * 1024), db)


def _save(services: Services, ad_id: str, user: str, **extra: Any) -> None:
    values: dict[str, Any] = dict(
        aspects=["9:16"], transition="auto", realism=RealismSettings(), captions=True, music=True
    )
    wizard.save_output_options(ad_id, **{**values, **extra}, user_id=user, services=services)


def _options(services: Services, ad_id: str, user: str) -> dict[str, Any]:
    return wizard.get_ad(ad_id, user_id=user, services=services, with_scenes=False).options


def _stored(services: Services) -> list[Path]:
    return sorted(p for p in Path(services.settings.data_dir).rglob("lut-*") if p.is_file())


def test_a_new_ad_has_the_new_look_parts_off(services: Services) -> None:
    user, ad_id = new_ad(services)
    options = _options(services, ad_id, user)
    assert options["realism"]["chromatic_aberration"] == 0.0 and options["realism"]["lens_distortion"] == 0.0
    assert options["lut"] == {"on": False}


def test_fringes_lens_and_a_whip_are_saved_per_ad(services: Services) -> None:
    user, ad_id = new_ad(services)
    _, other = new_ad(services, "other@example.com")
    look = RealismSettings(chromatic_aberration=2.5, lens_distortion=0.1)
    _save(services, ad_id, user, realism=look, transition=Transition.WHIP.value)
    options = _options(services, ad_id, user)
    assert options["transition"] == "whip" and options["realism"]["chromatic_aberration"] == 2.5
    assert RealismSettings(**options["realism"]).lens_distortion == 0.1
    with pytest.raises(ValidationError, match="out of range"):
        _save(services, ad_id, user, realism=RealismSettings(lens_distortion=0.9))
    assert _options(services, ad_id, user)["realism"]["lens_distortion"] == 0.1


def test_a_good_lut_is_stored_as_numbers_switched_on_and_can_be_switched_off(services: Services) -> None:
    user, ad_id = new_ad(services)
    _save(services, ad_id, user, lut_upload=wizard.LutUpload(cube(3, invert=True), "warm\x00look.cube"))
    lut = _options(services, ad_id, user)["lut"]
    assert lut["on"] is True and lut["name"] == "warmlook.cube" and lut["size"] == 3
    stored = Lut3d.from_json(services.storage.read_bytes(lut["key"]))
    assert stored.size == 3 and stored.table[0].tolist() == pytest.approx([1.0, 1.0, 1.0])
    _save(services, ad_id, user, lut_on=False)
    assert _options(services, ad_id, user)["lut"] == {**lut, "on": False}
    _save(services, ad_id, user, lut_on=True)
    assert _options(services, ad_id, user)["lut"]["on"] is True


def test_a_new_lut_replaces_the_old_one_and_its_file(services: Services) -> None:
    user, ad_id = new_ad(services)
    _save(services, ad_id, user, lut_upload=wizard.LutUpload(cube(2), "a.cube"))
    first = _options(services, ad_id, user)["lut"]["key"]
    _save(services, ad_id, user, lut_upload=wizard.LutUpload(cube(3), "b.cube"))
    second = _options(services, ad_id, user)["lut"]
    assert second["key"] != first and second["name"] == "b.cube" and len(_stored(services)) == 1


@pytest.mark.parametrize(
    "data",
    [
        cube(2, rows=["0 0 0"] * 7 + ["nan 0 0"]),  # NaN
        cube(2, rows=["0 0 0"] * 5),  # wrong size
        b"not a lut at all",  # malformed
        b"#" * (65 * 1024) + cube(2),  # huge (over the 64 KB cap of this test's settings)
    ],
)
def test_a_bad_lut_is_refused_and_changes_nothing(services: Services, data: bytes) -> None:
    user, ad_id = new_ad(services)
    _save(services, ad_id, user, lut_upload=wizard.LutUpload(cube(2), "good.cube"), captions=True)
    before = _options(services, ad_id, user)
    with pytest.raises(ValidationError):
        _save(services, ad_id, user, lut_upload=wizard.LutUpload(data, "bad.cube"), captions=False)
    assert _options(services, ad_id, user) == before and len(_stored(services)) == 1


def test_switching_on_without_a_lut_stays_off(services: Services) -> None:
    user, ad_id = new_ad(services)
    _save(services, ad_id, user, lut_on=True)
    assert _options(services, ad_id, user)["lut"] == {"on": False}


@dataclass
class _Ctx:
    services: Services
    work_dir: Path

    def fetch(self, key: str) -> Path:
        return self.services.storage.download_to(key, self.work_dir / "fetched.json")


def test_the_render_gets_our_own_cube_only_when_grading_is_on(services: Services, tmp_path: Path) -> None:
    user, ad_id = new_ad(services)
    _save(services, ad_id, user, lut_upload=wizard.LutUpload(cube(2), "grade.cube"))
    ctx = _Ctx(services, tmp_path)
    options = _options(services, ad_id, user)
    realism = _realism(ctx, options)  # type: ignore[arg-type]
    assert realism.lut is not None and Path(realism.lut).read_text().startswith("LUT_3D_SIZE 2\n")
    assert _realism(ctx, {**options, "lut": {**options["lut"], "on": False}}).lut is None  # type: ignore[arg-type]
    assert _realism(ctx, {"realism": {"grain": 1.0}}).lut is None  # type: ignore[arg-type]  # an ad saved before LUTs
