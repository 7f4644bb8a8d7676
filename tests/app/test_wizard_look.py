"""The generate step's look controls: colour fringes, lens distortion, whip and zoom transitions and the
LUT grade's switch, saved per ad when the creator generates."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.domain.ads import RealismSettings
from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from core.services.ads import wizard
from tests.app.test_wizard import _open, _submit, _texts, studio  # noqa: F401  (studio is a fixture)
from tests.ugc_support import scripted_ad
from tests.unit.test_lut import cube


def _at_generate(studio: Services) -> tuple[AppTest, str, str]:  # noqa: F811
    creator = ensure_user(studio.db, studio.settings.local_user_email, display_name="Creator")
    _user, ad_id = scripted_ad(studio, email=studio.settings.local_user_email)
    wizard.save_step(ad_id, "generate", user_id=creator, services=studio)
    return creator, ad_id, wizard.get_ad(ad_id, user_id=creator, services=studio).project_id


def test_fringes_lens_and_a_zoom_transition_are_saved_with_grading_off(studio: Services) -> None:  # noqa: F811
    creator, ad_id, project_id = _at_generate(studio)
    at = _open("pages/wizard.py", project_id=project_id)
    grade = next(t for t in at.toggle if t.label == "Colour grade (LUT)")
    assert grade.disabled and not grade.value and "No LUT uploaded yet" in _texts(at)
    assert [u for u in at.get("file_uploader") if u.proto.label == "LUT file (.cube)"]
    next(s for s in at.slider if s.label == "Colour fringes (px)").set_value(2.0)
    next(s for s in at.slider if s.label == "Lens distortion").set_value(0.1)
    next(s for s in at.selectbox if s.label == "Transitions").set_value("zoom")
    _submit(at, "Generate the ad")
    options = wizard.get_ad(ad_id, user_id=creator, services=studio).options
    assert options["transition"] == "zoom" and options["lut"] == {"on": False}
    assert options["realism"]["chromatic_aberration"] == 2.0 and options["realism"]["lens_distortion"] == 0.1


def test_an_uploaded_lut_is_named_and_can_be_switched_off(studio: Services) -> None:  # noqa: F811
    creator, ad_id, project_id = _at_generate(studio)
    look = dict(aspects=["9:16"], transition="whip", realism=RealismSettings(), captions=True, music=True)
    upload = wizard.LutUpload(cube(2), "Teal *orange*.cube")
    wizard.save_output_options(ad_id, **look, lut_upload=upload, user_id=creator, services=studio)  # type: ignore[arg-type]
    at = _open("pages/wizard.py", project_id=project_id)
    assert "Current LUT: Teal \\*orange\\*.cube (2-point)" in _texts(at)  # the file name shown as typed
    grade = next(t for t in at.toggle if t.label == "Colour grade (LUT)")
    assert not grade.disabled and grade.value
    grade.set_value(False)
    _submit(at, "Generate the ad")
    lut = wizard.get_ad(ad_id, user_id=creator, services=studio).options["lut"]
    assert lut["on"] is False and lut["name"] == "Teal *orange*.cube"
