"""The hand-off ZIP: OpenTimelineIO written by the library round-trips (read back: the same
clips, sources and timings, transitions included); the EDL and FCP XML come from OTIO's own
adapters and read back too; the media sits beside them under generated names."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import opentimelineio as otio
import pytest

from core.adapters.media.edit_otio import read_clips
from core.domain import edit as ops
from core.ports_services import Services
from core.services.editor import edits, handoff
from tests.editor_support import finished_ad


def test_the_otio_round_trips_with_the_same_clips_and_timings(services: Services, tmp_path: Path) -> None:
    world = finished_ad(services, tmp_path)
    edit_id = edits.open_edit("ad_output", world.output_id, user_id=world.owner, services=services)
    view = edits.get_edit(edit_id, user_id=world.owner, services=services)
    first, second = (c.id for c in view.document.clips)

    def trimmed(d: ops.EditDoc) -> ops.EditDoc:
        return ops.set_transition(ops.trim_clip(d, first, 0.5, 2.9), second, "circle open", 0.6)

    view = edits.change(edit_id, "trim", trimmed, base_version=view.version, user_id=world.owner, services=services)
    archive = zipfile.ZipFile(io.BytesIO(handoff.handoff_zip(edit_id, user_id=world.owner, services=services)))
    names = set(archive.namelist())
    assert {"timeline.otio", "timeline.edl", "timeline.xml", "README.txt"} <= names
    clips = read_clips(archive.read("timeline.otio").decode())
    doc = view.document
    assert [c.name for c in clips] == [c.label for c in doc.clips]
    for got, want in zip(clips, doc.clips, strict=True):
        assert got.in_s == pytest.approx(want.in_s, abs=1 / 30) and got.out_s == pytest.approx(want.out_s, abs=1 / 30)
        assert got.transition == want.transition and got.transition_s == pytest.approx(want.transition_s, abs=1 / 15)
        assert got.media in names  # the timeline's relative path is a file in the ZIP
    timeline = otio.adapters.read_from_string(archive.read("timeline.otio").decode(), adapter_name="otio_json")
    assert timeline.tracks[0].duration().to_seconds() == pytest.approx(ops.total_s(doc), abs=1 / 15)
    assert [m.name for m in timeline.tracks[0].markers] == [c.text for c in doc.captions]
    assert {t.name for t in timeline.tracks} == {"Video", "Voiceover", "Music"}
    edl = otio.adapters.read_from_string(archive.read("timeline.edl").decode(), adapter_name="cmx_3600", rate=30)
    assert len(list(edl.find_clips())) >= len(doc.clips)
    xml = otio.adapters.read_from_string(archive.read("timeline.xml").decode(), adapter_name="fcp_xml")
    assert len([c for c in xml.find_clips() if c.parent().kind == otio.schema.TrackKind.Video]) == len(doc.clips)
