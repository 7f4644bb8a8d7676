"""An edit as an OpenTimelineIO timeline, and through OTIO's own adapters as a CMX 3600 EDL and
Final Cut Pro 7 XML, so Premiere, Resolve or Final Cut open the same cut.

The studio's transitions overlap the two clips (`xfade`); OTIO's transitions take no time and
use the clips' handles. A transition of `d` seconds is therefore written centred on the cut:
the clip before ends `d/2` early, the clip after starts `d/2` late, and the transition reaches
`d/2` into each. Reading a timeline back reverses that, so the same clips and timings return.
Media names in the timeline are generated (`media/source01.mp4`), never a creator's file name.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import opentimelineio as otio

from core.domain.edit import TRANSITIONS, EditDoc, SfxItem

RATE = 30.0
STUDIO = "ugc_studio"


@dataclass(frozen=True, slots=True)
class ClipTiming:
    name: str
    media: str
    in_s: float
    out_s: float
    transition: str
    transition_s: float


def _time(seconds: float) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(round(seconds * RATE), RATE)


def _range(start_s: float, length_s: float) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(_time(start_s), _time(length_s))


def _clip(name: str, media: str, start_s: float, length_s: float, available_s: float) -> otio.schema.Clip:
    reference = otio.schema.ExternalReference(target_url=media, available_range=_range(0.0, available_s))
    return otio.schema.Clip(name=name, media_reference=reference, source_range=_range(start_s, length_s))


def _video_track(doc: EditDoc, media: dict[str, str]) -> otio.schema.Track:
    track = otio.schema.Track(name="Video", kind=otio.schema.TrackKind.Video)
    halves = [c.transition_s / 2 if index and TRANSITIONS[c.transition] else 0.0 for index, c in enumerate(doc.clips)]
    for index, clip in enumerate(doc.clips):
        head = halves[index]
        tail = halves[index + 1] if index + 1 < len(doc.clips) else 0.0
        if head:
            transition = otio.schema.Transition(
                name=clip.transition,
                transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                in_offset=_time(head),
                out_offset=_time(head),
                metadata={STUDIO: {"transition": clip.transition, "seconds": clip.transition_s}},
            )
            track.append(transition)
        item = _clip(
            clip.label or f"Clip {index + 1}",
            media[clip.source_key],
            clip.in_s + head,
            clip.length_s - head - tail,
            clip.source_s,
        )
        item.metadata[STUDIO] = {
            "clip_id": clip.id,
            "crop": [clip.crop.left, clip.crop.right, clip.crop.top, clip.crop.bottom],
        }
        track.append(item)
    return track


def _audio_track(name: str, items: tuple, media: dict[str, str]) -> otio.schema.Track:  # type: ignore[type-arg]
    track, at = otio.schema.Track(name=name, kind=otio.schema.TrackKind.Audio), 0.0
    for item in sorted(items, key=lambda i: i.start_s):
        if item.start_s > at:
            track.append(otio.schema.Gap(source_range=_range(0.0, item.start_s - at)))
            at = item.start_s
        track.append(_clip(item.label or name, media[item.source_key], item.in_s, item.length_s, item.source_s))
        at += item.length_s
    return track


def timeline_of(doc: EditDoc, media: dict[str, str], name: str) -> otio.schema.Timeline:
    """`media`: storage key -> the generated relative name of that file in the hand-off."""
    timeline = otio.schema.Timeline(name=name, global_start_time=_time(0.0))
    video = _video_track(doc, media)
    for cap in doc.captions:
        marked = _range(cap.start_s, cap.end_s - cap.start_s)
        video.markers.append(
            otio.schema.Marker(name=cap.text, marked_range=marked, color=otio.schema.MarkerColor.YELLOW)
        )
    timeline.tracks.append(video)
    if doc.voice.items:
        timeline.tracks.append(_audio_track("Voiceover", doc.voice.items, media))
    if doc.music.items:
        timeline.tracks.append(_audio_track("Music", doc.music.items, media))
    for number, lane in enumerate(_sfx_lanes(doc), start=1):
        timeline.tracks.append(_audio_track(f"Sound effects {number}", tuple(lane), media))
    return timeline


def _sfx_lanes(doc: EditDoc) -> list[list[SfxItem]]:
    """Sound effects that overlap go on separate audio tracks (a track plays one item at a time)."""
    lanes: list[list[SfxItem]] = []
    for item in sorted(doc.sfx, key=lambda i: i.start_s):
        free = next((lane for lane in lanes if lane[-1].start_s + lane[-1].length_s <= item.start_s + 1e-6), None)
        if free is None:
            lanes.append([item])
        else:
            free.append(item)
    return lanes


def video_only(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """The picture track alone with its markers (a CMX 3600 EDL holds one video track)."""
    single = copy.deepcopy(timeline)
    for track in list(single.tracks):
        if track.kind != otio.schema.TrackKind.Video:
            single.tracks.remove(track)
    return single


def write(timeline: otio.schema.Timeline) -> dict[str, str]:
    """The three hand-off files' text: .otio (OTIO JSON), .edl (CMX 3600), .xml (FCP 7 XML)."""
    return {
        "otio": otio.adapters.write_to_string(timeline, adapter_name="otio_json"),
        "edl": otio.adapters.write_to_string(video_only(timeline), adapter_name="cmx_3600"),
        "xml": otio.adapters.write_to_string(timeline, adapter_name="fcp_xml"),
    }


def read_clips(text: str, adapter: str = "otio_json") -> list[ClipTiming]:
    """The video clips of a written timeline with the studio's timings restored (transitions overlap)."""
    timeline = otio.adapters.read_from_string(text, adapter_name=adapter)
    track = next(t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video)
    out: list[ClipTiming] = []
    pending = 0.0
    for item in track:
        if isinstance(item, otio.schema.Transition):
            pending = item.in_offset.to_seconds()
            last = out[-1]
            out[-1] = ClipTiming(
                last.name, last.media, last.in_s, last.out_s + pending, last.transition, last.transition_s
            )
            continue
        if not isinstance(item, otio.schema.Clip):
            continue
        start, length = item.source_range.start_time.to_seconds(), item.source_range.duration.to_seconds()
        url = item.media_reference.target_url if isinstance(item.media_reference, otio.schema.ExternalReference) else ""
        name = "cut"
        if pending:
            name = str(
                (item.parent()[item.parent().index(item) - 1].metadata.get(STUDIO) or {}).get("transition", "fade")
            )
        out.append(ClipTiming(item.name, url, start - pending, start + length, name, pending * 2))
        pending = 0.0
    return out
