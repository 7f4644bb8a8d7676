"""The editor's voice actions: a voice line said again with new words (estimate first, a job
that saves a new version when the line is ready), and the captions rebuilt from the voice."""

from __future__ import annotations

import streamlit as st

from components.editor.panels import NOTICE, k
from components.runtime import show_error
from core.domain import edit as ops
from core.domain.types import ACTIVE_JOB_STATUS_VALUES as ACTIVE
from core.errors import StudioError
from core.ports_services import Services
from core.services.editor import edits
from core.services.editor import voice as voice_lines

POLL_S = 2.0


def _line_label(item: ops.AudioItem) -> str:
    words = f" “{item.text[:40]}”" if item.text else ""
    return f"{item.label or 'Line'} at {item.start_s:.1f} s{words}"


def _cost_note(estimate: float) -> str:
    if estimate <= 0:
        return "Estimated cost: free (the offline voice)."
    return f"Estimated cost: about ${estimate:.3f} (a cloud voice, charged once when the line is made)."


def say_again_form(view: edits.EditView, *, user_id: str, services: Services) -> None:
    """Pick a line, type its new words, see the estimate, then queue it (same voice)."""
    items = view.document.voice.items
    st.markdown("**Say a voice line again** (same voice, new words; its captions are re-timed)")
    if not items:
        st.caption("This edit has no voice lines.")
        return
    ids = [i.id for i in items]
    item_id = st.selectbox(
        "Voice line",
        ids,
        format_func=lambda i: _line_label(ops.voice_item(view.document, i)),
        key=k(view, "ed_line"),
    )
    item = ops.voice_item(view.document, item_id)
    text = st.text_area("New words", item.text, key=k(view, "ed_line_text", item_id))
    try:
        st.caption(_cost_note(voice_lines.estimate_line(ops.clean_line_text(text), user_id=user_id, services=services)))
    except StudioError:
        st.caption("Write the new words to see what saying them costs.")
    if st.button("Say it again", key="ed_line_go", icon=":material/record_voice_over:"):
        try:
            voice_lines.start_line(view.id, item_id, text, user_id=user_id, services=services)
        except StudioError as error:
            show_error(error)
        else:
            st.toast("Saying the line again; the edit gets a new version when it is ready.")
    if view.source_kind == "video":
        st.caption("The picture keeps its lip movement; only the voice and its captions change.")
    for note in overlaps(view.document):
        st.warning(note, icon=":material/warning:")
    line_status(view, user_id=user_id, services=services)


def overlaps(doc: ops.EditDoc) -> list[str]:
    """Lines that now run into the next one (a longer new line keeps its start)."""
    items = sorted(doc.voice.items, key=lambda i: i.start_s)
    return [
        f"{a.label or 'A line'} runs {a.start_s + a.length_s - b.start_s:.1f} s into {b.label or 'the next line'}; "
        "shorter words fit better."
        for a, b in zip(items, items[1:], strict=False)
        if a.start_s + a.length_s > b.start_s + 0.05
    ]


def _show(job: voice_lines.LineJob) -> None:
    words = f"“{job.text[:60]}”"
    if job.status in ACTIVE:
        st.progress(0.5 if job.status == "running" else 0.1, text=f"Saying {words}… ({job.status})")
    elif job.status == "completed":
        st.caption(f":material/check: Said again: {words}")
    elif job.possibly_charged:
        st.warning(
            f"{words}: the voice service may have made this line and charged for it, but its answer "
            "was lost, so it was not sent again and the edit is unchanged. Saying it again may be "
            f"charged a second time.  \n{job.error or ''}",
            icon=":material/paid:",
        )
    elif job.status == "failed":
        st.error(f"{words} could not be said again; the edit is unchanged. {job.error or ''}")


def line_status(view: edits.EditView, *, user_id: str, services: Services) -> None:
    jobs = voice_lines.line_jobs(view.id, user_id=user_id, services=services)
    if any(job.status in ACTIVE for job in jobs):
        _watch(view.id, user_id, services)
    else:
        for job in jobs[:3]:
            _show(job)


@st.fragment(run_every=POLL_S)
def _watch(edit_id: str, user_id: str, services: Services) -> None:
    """While a line is being said: its progress, then the whole page again for the new version."""
    jobs = voice_lines.line_jobs(edit_id, user_id=user_id, services=services)
    if not any(job.status in ACTIVE for job in jobs):
        st.rerun(scope="app")
    for job in jobs[:3]:
        _show(job)


def captions_from_voice_button(view: edits.EditView, *, user_id: str, services: Services) -> None:
    if st.button("Regenerate all captions from the voice", key="ed_caps_voice", icon=":material/subtitles:"):
        try:
            saved = voice_lines.captions_from_voice(
                view.id, base_version=view.version, user_id=user_id, services=services
            )
        except StudioError as error:
            show_error(error)
            return
        st.session_state[NOTICE] = f"Saved: Captions from the voice timing (version {saved.version})."
        st.rerun()
