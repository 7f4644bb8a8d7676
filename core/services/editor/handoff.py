"""Hand an edit to a real editor: a ZIP with the timeline as OpenTimelineIO, CMX 3600 EDL and
FCP 7 XML (written by the OTIO library and its adapters) and the source media beside them
under generated names, so the timeline's relative paths open as they are."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from core.adapters.media.edit_otio import timeline_of, write
from core.adapters.media.sniff import sniff
from core.domain.edit import EditDoc, source_keys
from core.errors import ValidationError
from core.ports_services import Services
from core.services.editor import edits
from core.services.editor.renders import fetch_sources

README = """This folder is an edit from UGC Studio.

timeline.otio  OpenTimelineIO (open in any OTIO-aware tool, or convert with otioconvert)
timeline.edl   CMX 3600 EDL, picture only (Premiere, Resolve, Avid)
timeline.xml   Final Cut Pro 7 XML (Premiere, Resolve, Final Cut Pro via XtoCC)
media/         every source file the timeline uses, under the names the timeline gives them

Captions are markers on the video track; crops and the studio's transition names are kept in
each item's metadata under "ugc_studio".
"""


def _media_names(doc: EditDoc, local: dict[str, Path]) -> dict[str, str]:
    names = {}
    for index, key in enumerate(sorted(source_keys(doc)), start=1):
        sniffed = sniff(local[key])
        extension = {"wav": ".wav", "mp3": ".mp3", "webm": ".webm"}.get(sniffed.container if sniffed else "", ".mp4")
        names[key] = f"media/source{index:02d}{extension}"
    return names


def handoff_zip(edit_id: str, *, user_id: str, services: Services) -> bytes:
    view = edits.get_edit(edit_id, user_id=user_id, services=services)
    local = fetch_sources(view.document, services)
    total = sum(path.stat().st_size for path in local.values())
    if total > services.settings.download_max_bytes:
        raise ValidationError(
            f"The media of this edit is {total / 1e6:.0f} MB; a hand-off ZIP holds up to "
            f"{services.settings.download_max_bytes / 1e6:.0f} MB."
        )
    names = _media_names(view.document, local)
    files = write(timeline_of(view.document, names, view.title or "UGC Studio edit"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for extension, text in files.items():
            archive.writestr(f"timeline.{extension}", text)
        archive.writestr("README.txt", README)
        for key, name in names.items():
            archive.write(local[key], name, compress_type=zipfile.ZIP_STORED)  # media is compressed already
    return buffer.getvalue()
