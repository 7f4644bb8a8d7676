"""The composer: actor, look (catalog photo, saved variant, new setting), voice, and Generate.

Choices that must survive a trip to another page live in `st.session_state` under
`composer.*` keys (the actor catalog's "Use in a video" writes `composer.actor_id`; the Avatars page's writes
`composer.avatar_id`, see `components/talking/own_avatar_picker.py`).
The script is a draft kept per user and project (`core.services.accounts.drafts`), restored after a
reload, a page switch or Back; it sits outside any form so the length and cost estimate
follows it, and Generate answers Ctrl/Cmd+Enter.
"""

from __future__ import annotations

import logging
import math

import streamlit as st

from components import media, uploads
from components.choices import labelled
from components.runtime import show_error
from components.talking import own_avatar_picker
from components.talking.actor_card import voice_label
from components.talking.filters import actor_filters
from core.domain.avatars import AvatarView
from core.domain.types import ActorView, VariantView
from core.errors import StudioError, ValidationError
from core.ports_services import Services
from core.services.accounts import drafts
from core.services.talking import videos
from core.services.talking.catalog import list_actors
from core.services.talking.variants import clean_prompt, list_variants
from core.services.usage import estimates

logger = logging.getLogger(__name__)

ACTOR = "composer.actor_id"
SCRIPT = "composer_script"
SCRIPT_FOR = "composer.script_project"  # the project whose draft the script box holds
AUDIO = "composer.audio"  # {"file_id", "key", "duration"} of the prepared upload
LOOKS = {"catalog": "Catalog photo", "variant": "Saved variant", "prompt": "New setting"}
VOICES = {"tts": "Text to speech", "audio": "Use my audio"}


def _pick_actor(user_id: str, services: Services) -> ActorView | None:
    with st.popover("Filter actors", icon=":material/filter_list:"):
        chosen_filter = actor_filters("composer", compact=True)
    actors = list_actors(chosen_filter, services=services)
    stored = st.session_state.get(ACTOR)
    if stored and stored not in {a.id for a in actors}:
        actors += [a for a in list_actors(services=services) if a.id == stored]
    if not actors:
        st.info("No actor matches these filters. Loosen one of them.", icon=":material/person_search:")
        return None
    ids = [a.id for a in actors]
    by_id = {a.id: a for a in actors}
    index = ids.index(stored) if stored in ids else 0
    picked = st.selectbox("Actor", ids, index=index, format_func=lambda i: _actor_option(by_id[i]))
    st.session_state[ACTOR] = picked
    return by_id[picked]


def _actor_option(actor: ActorView) -> str:
    return f"{actor.display_name} · {actor.gender} · {actor.age_range} · {', '.join(actor.tags)}"


def _pick_variant(project_id: str, actor: ActorView, user_id: str, services: Services) -> VariantView | None:
    saved = list_variants(project_id, actor_id=actor.id, user_id=user_id, services=services)
    if not saved:
        st.info(f"No saved variants of {actor.display_name} in this project yet. Choose **New setting** to make one.")
        return None
    by_id = {v.id: v for v in saved}
    if st.session_state.get("composer_variant") not in by_id:
        st.session_state.pop("composer_variant", None)
    picked = st.selectbox("Variant", list(by_id), format_func=lambda i: by_id[i].prompt, key="composer_variant")
    return by_id[picked]


def _prepare_audio(user_id: str, services: Services) -> dict | None:
    settings = services.settings
    upload = uploads.file_uploader(
        f"Your recording (.mp3 or .wav, up to {settings.audio_max_bytes // 2**20} MB "
        f"and {settings.speech_max_seconds:.0f} s)",
        type=["mp3", "wav"],
        key="composer_upload",
        max_upload_size=max(1, math.ceil(settings.audio_max_bytes / 2**20)),  # the browser refuses bigger files early
    )
    if upload is None:
        st.session_state.pop(AUDIO, None)
        return None
    prepared = st.session_state.get(AUDIO)
    if not prepared or prepared["file_id"] != upload.file_id:
        try:
            key, seconds = videos.prepare_uploaded_audio(upload.getvalue(), user_id=user_id, services=services)
        except StudioError as exc:
            st.session_state.pop(AUDIO, None)
            show_error(exc)
            return None
        prepared = {"file_id": upload.file_id, "key": key, "duration": seconds}
        st.session_state[AUDIO] = prepared
    st.success(f"Recording ready: {prepared['duration']:.1f} s.", icon=":material/graphic_eq:")
    return prepared


def _show_estimate(
    seconds: float, *, with_image_edit: bool, with_speech: bool, user_id: str, services: Services
) -> None:
    if seconds <= 0:
        st.caption("The cost and time estimate appears once there is something to say.")
        return
    est = estimates.estimate_video(
        seconds, with_image_edit=with_image_edit, with_speech=with_speech, user_id=user_id, services=services
    )
    cost = "free (made on this machine)" if est.cost_usd == 0 and not est.unpriced else f"about ${est.cost_usd:.2f}"
    if est.unpriced:
        cost += f" (no price on file for {', '.join(est.unpriced)})"
    basis = "from your past videos" if est.from_history else "typical"
    st.caption(f":material/payments: Cost: {cost} · :material/timer: ready in about {est.seconds:.0f} s ({basis})")


def _script_length(script: str, services: Services) -> float:
    settings = services.settings
    seconds = videos.spoken_seconds(script, settings.words_per_minute)
    words = len(script.split())
    colour = "red" if seconds > settings.speech_max_seconds or len(script) > settings.script_max_chars else "gray"
    st.caption(
        f":{colour}[{words} words · about {seconds:.0f} s spoken (limit {settings.speech_max_seconds:.0f} s) · "
        f"{len(script):,} / {settings.script_max_chars:,} characters]"
    )
    return seconds


def _pick_face(project_id: str, user_id: str, services: Services) -> ActorView | AvatarView | None:
    """A catalog actor, or (when the project has some) one of the creator's own avatars."""
    own = own_avatar_picker.usable(project_id, user_id=user_id, services=services)
    if own and own_avatar_picker.chosen_source() == own_avatar_picker.OWN:
        return own_avatar_picker.pick(own, user_id=user_id, services=services)
    actor = _pick_actor(user_id, services)
    if actor is None:
        return None
    thumb, facts = st.columns([1, 2], vertical_alignment="center")
    with thumb:
        media.image(actor.image_key, user_id=user_id, services=services)
    with facts:
        st.markdown(f"**{actor.display_name}**")
        st.caption(f":material/record_voice_over: {voice_label(actor)}  \n{actor.bio}")
    return actor


def composer(project_id: str, *, user_id: str, services: Services) -> str | None:
    """Draw the composer; returns the id of a video it just queued."""
    st.markdown("##### 1 · Actor")
    face = _pick_face(project_id, user_id, services)
    if face is None:
        return None
    st.markdown("##### 2 · Look")
    looks = LOOKS if isinstance(face, ActorView) else own_avatar_picker.LOOKS
    if st.session_state.get("composer_look") not in looks:
        st.session_state["composer_look"] = "catalog"
    look = st.segmented_control(
        "Look",
        list(looks),
        format_func=labelled(looks),
        required=True,
        key="composer_look",
        label_visibility="collapsed",
    ) or next(iter(looks))  # required: never empty
    variant = None
    if look == "variant" and isinstance(face, ActorView):
        variant = _pick_variant(project_id, face, user_id, services)
    if variant is not None:
        with st.columns([1, 2])[0]:
            media.image(variant.image_key, user_id=user_id, services=services)
    st.markdown("##### 3 · Voice")
    st.session_state.setdefault("composer_voice", "tts")
    voice = (
        st.segmented_control(
            "Voice",
            list(VOICES),
            format_func=labelled(VOICES),
            required=True,
            key="composer_voice",
            label_visibility="collapsed",
        )
        or "tts"
    )  # required: never empty
    prepared = _prepare_audio(user_id, services) if voice == "audio" else None
    return _form(project_id, face, look, variant, voice, prepared, user_id=user_id, services=services)


def _restore_script(project_id: str, user_id: str, services: Services) -> None:
    """Put this project's draft in the box after a reload, a page switch, Back or a project change."""
    if st.session_state.get(SCRIPT_FOR) == project_id and SCRIPT in st.session_state:
        return
    st.session_state[SCRIPT] = drafts.load_draft(project_id, "script", user_id=user_id, services=services)
    st.session_state[SCRIPT_FOR] = project_id


def _keep_script(project_id: str, user_id: str, services: Services) -> None:
    # A callback runs before the page script, outside its error boundary: never let it raise.
    try:
        drafts.save_draft(project_id, "script", st.session_state.get(SCRIPT) or "", user_id=user_id, services=services)
    except Exception:
        logger.exception("could not save the script draft")


def _form(
    project_id: str,
    face: ActorView | AvatarView,
    look: str,
    variant: VariantView | None,
    voice: str,
    prepared: dict | None,
    *,
    user_id: str,
    services: Services,
) -> str | None:
    settings = services.settings
    with st.container(border=True):
        prompt, seed = None, None
        if look == "prompt":
            prompt = st.text_input(
                "Where is the actor?" if isinstance(face, ActorView) else f"Where is {face.name}?",
                max_chars=settings.variant_prompt_max_chars,
                placeholder="in a bright kitchen, morning light",
                key="composer_prompt",
            )
            seed = st.number_input(
                "Seed (optional)",
                min_value=0,
                value=None,
                step=1,
                key="composer_seed",
                placeholder="Same seed, same picture",
            )
        script = ""
        if voice == "tts":
            _restore_script(project_id, user_id, services)
            # Outside a form, so the length and cost below follow each commit of the text (click
            # away, Tab, or Ctrl/Cmd+Enter) with no extra button; the draft is saved as it changes.
            script = (
                st.text_area(
                    "Script",
                    height=180,
                    key=SCRIPT,
                    placeholder="What should the actor say? Ctrl/Cmd+Enter generates.",
                    on_change=_keep_script,
                    args=(project_id, user_id, services),
                )
                or ""
            )
            seconds = _script_length(script, services)
        else:
            seconds = prepared["duration"] if prepared else 0.0
        _show_estimate(
            seconds, with_image_edit=look == "prompt", with_speech=voice == "tts", user_id=user_id, services=services
        )
        generate = st.button("Generate", type="primary", icon=":material/movie:", shortcut="Ctrl+Enter")
    if not generate:
        return None
    request = videos.VideoRequest(
        project_id=project_id,
        actor_id=face.id if isinstance(face, ActorView) else None,
        avatar_id=face.id if isinstance(face, AvatarView) else None,
        script=script if voice == "tts" else None,
        audio_key=prepared["key"] if prepared else None,
        variant_id=variant.id if variant else None,
        image_prompt=prompt if look == "prompt" else None,
        seed=int(seed or 0),
        audio_seconds=prepared["duration"] if prepared else None,
    )
    try:
        if voice == "audio" and not prepared:
            raise ValidationError("Upload your recording (.mp3 or .wav) first.")
        if look == "prompt":
            clean_prompt(prompt or "", settings.variant_prompt_max_chars)
        if look == "variant" and variant is None:
            raise ValidationError("Pick a saved variant, or choose another look.")
        video_id = videos.create_video(request, user_id=user_id, services=services)
    except StudioError as exc:
        show_error(exc)
        return None
    st.toast("Queued. Watch it take shape in the gallery.", icon=":material/movie:")
    return video_id
