"""The editor's document: a timeline of video clips with transitions, voice lines, a music bed
and captions, as plain data that round-trips through JSON (each version is stored whole).

Times are seconds. A clip plays `in_s`..`out_s` of its source; a transition into a clip overlaps
it with the clip before by its duration (FFmpeg `xfade`), so the timeline is shorter than the
sum of the clips by the transitions' lengths. Every operation here returns a new document and
raises `ValidationError` with a plain message before anything changes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from core.domain.text import required, speakable
from core.errors import ValidationError

# The cut plus FFmpeg `xfade` transitions (name shown -> xfade name; None: a hard cut).
TRANSITIONS: dict[str, str | None] = {
    "cut": None,
    "fade": "fade",
    "dissolve": "dissolve",
    "fade to black": "fadeblack",
    "fade to white": "fadewhite",
    "wipe left": "wipeleft",
    "wipe right": "wiperight",
    "wipe up": "wipeup",
    "wipe down": "wipedown",
    "slide left": "slideleft",
    "slide right": "slideright",
    "circle open": "circleopen",
    "zoom": "zoomin",
    "radial": "radial",
    "pixelize": "pixelize",
}
MAX_TRANSITION_S = 2.0
MAX_CLIPS = 40
MAX_CAPTIONS = 200
MAX_CAPTION_CHARS = 200
MAX_LINE_CHARS = 600  # one voice line said again by text-to-speech
MIN_CLIP_S = 0.2
MAX_EDIT_S = 180.0
FONTS = ("sans bold", "noto sans cjk")
POSITIONS = ("top", "middle", "bottom")
ANIMATIONS = ("none", "fade in", "pop", "word highlight")
MAX_SFX = 40
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True, slots=True)
class Crop:
    """Percentages cut from each side of the source picture."""

    left: float = 0.0
    right: float = 0.0
    top: float = 0.0
    bottom: float = 0.0


@dataclass(frozen=True, slots=True)
class VideoClip:
    id: str
    source_key: str  # storage key of the source file (never an export)
    source_s: float  # the source's length, probed when it was added
    in_s: float
    out_s: float
    label: str = ""
    crop: Crop = field(default_factory=Crop)
    transition: str = "cut"  # into this clip from the one before
    transition_s: float = 0.0

    @property
    def length_s(self) -> float:
        return self.out_s - self.in_s


@dataclass(frozen=True, slots=True)
class AudioItem:
    id: str
    source_key: str
    source_s: float
    start_s: float  # where it starts on the timeline
    in_s: float = 0.0
    out_s: float = 0.0
    label: str = ""
    text: str = ""  # a voice line's words ("" when unknown): captions are made from them

    @property
    def length_s(self) -> float:
        return self.out_s - self.in_s


@dataclass(frozen=True, slots=True)
class SfxItem:
    """A sound effect at its place on the timeline, with its own volume and fades."""

    id: str
    source_key: str
    source_s: float
    start_s: float
    in_s: float = 0.0
    out_s: float = 0.0
    label: str = ""
    volume: float = 1.0
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0

    @property
    def length_s(self) -> float:
        return self.out_s - self.in_s


@dataclass(frozen=True, slots=True)
class AudioTrack:
    items: tuple[AudioItem, ...] = ()
    volume: float = 1.0
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0


@dataclass(frozen=True, slots=True)
class CaptionStyle:
    font: str = "sans bold"
    size: int = 56  # pixels at 1080 wide; scaled with the output
    colour: str = "#FFFFFF"
    outline: int = 3
    outline_colour: str = "#000000"
    box: bool = False
    position: str = "bottom"
    animation: str = "none"
    highlight_colour: str = "#FFD400"  # the spoken word, with "word highlight"


@dataclass(frozen=True, slots=True)
class CaptionItem:
    id: str
    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True, slots=True)
class EditDoc:
    clips: tuple[VideoClip, ...]
    voice: AudioTrack = field(default_factory=AudioTrack)
    music: AudioTrack = field(default_factory=lambda: AudioTrack(volume=0.35))
    captions: tuple[CaptionItem, ...] = ()
    caption_style: CaptionStyle = field(default_factory=CaptionStyle)
    master_volume: float = 1.0
    ducking: bool = True
    aspect: str = "9:16"
    sfx: tuple[SfxItem, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(raw: dict[str, Any]) -> EditDoc:
        def track(t: dict[str, Any]) -> AudioTrack:
            items = tuple(AudioItem(**i) for i in t.get("items", ()))
            return AudioTrack(items, t["volume"], t["fade_in_s"], t["fade_out_s"])

        clips = tuple(VideoClip(**{**c, "crop": Crop(**c["crop"])}) for c in raw["clips"])
        return EditDoc(
            clips=clips,
            voice=track(raw["voice"]),
            music=track(raw["music"]),
            captions=tuple(CaptionItem(**c) for c in raw.get("captions", ())),
            caption_style=CaptionStyle(**raw.get("caption_style", {})),
            master_volume=raw.get("master_volume", 1.0),
            ducking=raw.get("ducking", True),
            aspect=raw.get("aspect", "9:16"),
            sfx=tuple(SfxItem(**i) for i in raw.get("sfx", ())),
        )


# --------------------------------------------------------------------------- timing


def clip_starts(doc: EditDoc) -> list[float]:
    """When each clip first shows on the timeline (a transition starts it early)."""
    starts, end = [], 0.0
    for index, clip in enumerate(doc.clips):
        overlap = clip.transition_s if index and TRANSITIONS[clip.transition] else 0.0
        start = end - overlap
        starts.append(start)
        end = start + clip.length_s
    return starts


def total_s(doc: EditDoc) -> float:
    if not doc.clips:
        return 0.0
    return clip_starts(doc)[-1] + doc.clips[-1].length_s


# --------------------------------------------------------------------------- validation


def _finite(value: float, what: str) -> float:
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationError(f"{what} must be a number.")
    return float(value)


def _words(text: str, *, field: str, empty: str, limit: int, split_hint: str) -> str:
    """The studio's one text cleaning (core.domain.text: NFC, invisible characters dropped,
    control characters refused), spaces collapsed; empty or over `limit` refused, never cut."""
    cleaned = " ".join(required(str(text), field=field, message=empty).split())
    if len(cleaned) > limit:
        raise ValidationError(f"A {field} holds up to {limit} characters; this one has {len(cleaned):,}. {split_hint}")
    return cleaned


def clean_caption_text(text: str) -> str:
    return _words(
        text,
        field="caption",
        empty="A caption needs some text.",
        limit=MAX_CAPTION_CHARS,
        split_hint="Split it into shorter captions.",
    )


def _check_clip(clip: VideoClip, index: int) -> None:
    name = f"Clip {index + 1}"
    in_s, out_s = _finite(clip.in_s, f"{name}'s in point"), _finite(clip.out_s, f"{name}'s out point")
    if in_s < 0:
        raise ValidationError(f"{name}: the in point cannot be before the clip's start (it is {in_s:.2f} s).")
    if out_s > clip.source_s + 0.01:
        raise ValidationError(
            f"{name}: the out point {out_s:.2f} s is past the end of the clip ({clip.source_s:.2f} s)."
        )
    if out_s - in_s < MIN_CLIP_S:
        raise ValidationError(
            f"{name}: it would last {out_s - in_s:.2f} s; a clip lasts at least {MIN_CLIP_S:.1f} s "
            "(the out point must come after the in point)."
        )
    for side in ("left", "right", "top", "bottom"):
        if not 0 <= _finite(getattr(clip.crop, side), f"{name}'s crop") <= 45:
            raise ValidationError(f"{name}: crop each side by 0 to 45 %.")
    if clip.crop.left + clip.crop.right > 80 or clip.crop.top + clip.crop.bottom > 80:
        raise ValidationError(f"{name}: the crop would leave less than a fifth of the picture.")
    if clip.transition not in TRANSITIONS:
        raise ValidationError(f"{name}: unknown transition “{clip.transition}”.")


def _check_transitions(doc: EditDoc) -> None:
    for index, clip in enumerate(doc.clips):
        if not TRANSITIONS[clip.transition] or index == 0:
            continue
        length = _finite(clip.transition_s, "A transition's length")
        before = doc.clips[index - 1]
        if not 0.1 <= length <= MAX_TRANSITION_S:
            raise ValidationError(f"Clip {index + 1}: a transition lasts 0.1 to {MAX_TRANSITION_S:.0f} s.")
        if length >= min(clip.length_s, before.length_s) - 0.05:
            raise ValidationError(
                f"Clip {index + 1}: a {length:.1f} s transition is longer than the clips it joins; "
                "shorten it or lengthen the clips."
            )


def _check_audio(track: AudioTrack, what: str) -> None:
    if not 0 <= _finite(track.volume, f"The {what} volume") <= 2:
        raise ValidationError(f"The {what} volume goes from 0 to 200 %.")
    for fade in (track.fade_in_s, track.fade_out_s):
        if not 0 <= _finite(fade, f"The {what} fade") <= 10:
            raise ValidationError(f"A {what} fade lasts 0 to 10 s.")
    for item in track.items:
        if _finite(item.start_s, f"The {what} start") < 0:
            raise ValidationError(f"The {what} cannot start before the timeline ({item.start_s:.2f} s).")
        if item.in_s < 0 or item.out_s > item.source_s + 0.01 or item.out_s - item.in_s <= 0:
            raise ValidationError(f"The {what} “{item.label or item.id}” has a duration of zero or less.")


def _check_captions(doc: EditDoc) -> None:
    if len(doc.captions) > MAX_CAPTIONS:
        raise ValidationError(f"An edit holds up to {MAX_CAPTIONS} captions.")
    for index, cap in enumerate(doc.captions):
        start, end = _finite(cap.start_s, "A caption's start"), _finite(cap.end_s, "A caption's end")
        if start < 0:
            raise ValidationError(f"Caption {index + 1} cannot start before the timeline.")
        if end - start < 0.1:
            raise ValidationError(f"Caption {index + 1} would last {end - start:.2f} s; it must end after it starts.")
        if cap.text != clean_caption_text(cap.text):
            raise ValidationError(f"Caption {index + 1}'s text is not normalized.")
    style = doc.caption_style
    if style.font not in FONTS or style.position not in POSITIONS or style.animation not in ANIMATIONS:
        raise ValidationError("Pick a caption font, position and animation from the lists.")
    if not 16 <= style.size <= 160 or not 0 <= style.outline <= 12:
        raise ValidationError("Caption size goes from 16 to 160 and the outline from 0 to 12.")
    if not all(_COLOUR.match(c) for c in (style.colour, style.outline_colour, style.highlight_colour)):
        raise ValidationError("Colours are written like #FFCC00.")


def _check_sfx(doc: EditDoc) -> None:
    if len(doc.sfx) > MAX_SFX:
        raise ValidationError(f"An edit holds up to {MAX_SFX} sound effects.")
    for item in doc.sfx:
        name = f"The sound effect “{item.label or item.id}”"
        start = _finite(item.start_s, f"{name}'s start")
        in_s, out_s = _finite(item.in_s, f"{name}'s in point"), _finite(item.out_s, f"{name}'s out point")
        if start < 0:
            raise ValidationError(f"{name} cannot start before the timeline ({start:.2f} s).")
        if in_s < 0 or out_s > item.source_s + 0.01:
            raise ValidationError(f"{name}: play it between 0 and {item.source_s:.2f} s of the file.")
        if out_s - in_s < 0.05:
            raise ValidationError(f"{name} would last {out_s - in_s:.2f} s; it must end after it starts.")
        if not 0 <= _finite(item.volume, f"{name}'s volume") <= 2:
            raise ValidationError(f"{name}: the volume goes from 0 to 200 %.")
        fades = (_finite(item.fade_in_s, f"{name}'s fade"), _finite(item.fade_out_s, f"{name}'s fade"))
        if min(fades) < 0 or sum(fades) > out_s - in_s + 1e-6:
            raise ValidationError(f"{name}: its fades (0 s or more) together last at most its length.")


def validate(doc: EditDoc) -> EditDoc:
    if not doc.clips:
        raise ValidationError("An edit needs at least one clip.")
    if len(doc.clips) > MAX_CLIPS:
        raise ValidationError(f"An edit holds up to {MAX_CLIPS} clips.")
    if doc.aspect not in ("9:16", "1:1", "16:9"):
        raise ValidationError("Pick an aspect among 9:16, 1:1 and 16:9.")
    for index, clip in enumerate(doc.clips):
        _check_clip(clip, index)
    _check_transitions(doc)
    if total_s(doc) > MAX_EDIT_S:
        raise ValidationError(f"An edit lasts up to {MAX_EDIT_S:.0f} s.")
    _check_audio(doc.voice, "voiceover")
    _check_audio(doc.music, "music")
    if not 0 <= _finite(doc.master_volume, "The master volume") <= 2:
        raise ValidationError("The master volume goes from 0 to 200 %.")
    _check_captions(doc)
    _check_sfx(doc)
    return doc


# --------------------------------------------------------------------------- operations


def _clip_index(doc: EditDoc, clip_id: str) -> int:
    for index, clip in enumerate(doc.clips):
        if clip.id == clip_id:
            return index
    raise ValidationError("That clip is no longer in the edit.")


def _caption_index(doc: EditDoc, caption_id: str) -> int:
    for index, cap in enumerate(doc.captions):
        if cap.id == caption_id:
            return index
    raise ValidationError("That caption is no longer in the edit.")


def _with_clips(doc: EditDoc, clips: list[VideoClip]) -> EditDoc:
    first = clips[0] if clips else None
    if first is not None and first.transition != "cut":
        clips[0] = replace(first, transition="cut", transition_s=0.0)  # nothing comes before the first
    return validate(replace(doc, clips=tuple(clips)))


def move_clip(doc: EditDoc, clip_id: str, to_index: int) -> EditDoc:
    clips = list(doc.clips)
    clip = clips.pop(_clip_index(doc, clip_id))
    if not 0 <= to_index <= len(clips):
        raise ValidationError(f"Pick a position from 1 to {len(clips) + 1}.")
    clips.insert(to_index, clip)
    return _with_clips(doc, clips)


def trim_clip(doc: EditDoc, clip_id: str, in_s: float, out_s: float) -> EditDoc:
    clips = list(doc.clips)
    index = _clip_index(doc, clip_id)
    clips[index] = replace(clips[index], in_s=float(in_s), out_s=float(out_s))
    return _with_clips(doc, clips)


def crop_clip(doc: EditDoc, clip_id: str, crop: Crop) -> EditDoc:
    clips = list(doc.clips)
    index = _clip_index(doc, clip_id)
    clips[index] = replace(clips[index], crop=crop)
    return _with_clips(doc, clips)


def duplicate_clip(doc: EditDoc, clip_id: str, new_id: str) -> EditDoc:
    clips = list(doc.clips)
    index = _clip_index(doc, clip_id)
    clips.insert(index + 1, replace(clips[index], id=new_id, transition="cut", transition_s=0.0))
    return _with_clips(doc, clips)


def delete_clip(doc: EditDoc, clip_id: str) -> EditDoc:
    clips = list(doc.clips)
    clips.pop(_clip_index(doc, clip_id))
    if not clips:
        raise ValidationError("An edit needs at least one clip; add another before deleting this one.")
    return _with_clips(doc, clips)


def replace_clip(doc: EditDoc, clip_id: str, source_key: str, source_s: float, label: str) -> EditDoc:
    """Another take or a library video in the same slot: same length where the new source allows."""
    clips = list(doc.clips)
    index = _clip_index(doc, clip_id)
    old = clips[index]
    out = min(old.length_s, float(source_s))
    clips[index] = replace(old, source_key=source_key, source_s=float(source_s), in_s=0.0, out_s=out, label=label)
    return _with_clips(doc, clips)


def set_transition(doc: EditDoc, clip_id: str, name: str, seconds: float) -> EditDoc:
    if name not in TRANSITIONS:
        raise ValidationError(f"Unknown transition “{name}”.")
    index = _clip_index(doc, clip_id)
    if index == 0 and name != "cut":
        raise ValidationError("The first clip has nothing before it to transition from.")
    clips = list(doc.clips)
    clips[index] = replace(clips[index], transition=name, transition_s=float(seconds) if TRANSITIONS[name] else 0.0)
    return _with_clips(doc, clips)


def _sorted_captions(doc: EditDoc, captions: list[CaptionItem]) -> EditDoc:
    return validate(replace(doc, captions=tuple(sorted(captions, key=lambda c: (c.start_s, c.id)))))


def edit_caption(doc: EditDoc, caption_id: str, text: str, start_s: float, end_s: float) -> EditDoc:
    captions = list(doc.captions)
    index = _caption_index(doc, caption_id)
    captions[index] = CaptionItem(caption_id, float(start_s), float(end_s), clean_caption_text(text))
    return _sorted_captions(doc, captions)


def add_caption(doc: EditDoc, caption_id: str, text: str, start_s: float, end_s: float) -> EditDoc:
    captions = [*doc.captions, CaptionItem(caption_id, float(start_s), float(end_s), clean_caption_text(text))]
    return _sorted_captions(doc, captions)


def delete_caption(doc: EditDoc, caption_id: str) -> EditDoc:
    captions = list(doc.captions)
    captions.pop(_caption_index(doc, caption_id))
    return _sorted_captions(doc, captions)


def split_caption(doc: EditDoc, caption_id: str, at_s: float, new_id: str) -> EditDoc:
    """Two captions at `at_s`, the words shared out in proportion to the time on each side."""
    captions = list(doc.captions)
    index = _caption_index(doc, caption_id)
    cap = captions[index]
    if not cap.start_s + 0.1 <= at_s <= cap.end_s - 0.1:
        raise ValidationError(f"Split inside the caption, between {cap.start_s + 0.1:.2f} and {cap.end_s - 0.1:.2f} s.")
    words = cap.text.split()
    if len(words) < 2:
        raise ValidationError("A caption of one word cannot be split.")
    cut = min(len(words) - 1, max(1, round(len(words) * (at_s - cap.start_s) / (cap.end_s - cap.start_s))))
    captions[index] = replace(cap, end_s=float(at_s), text=" ".join(words[:cut]))
    captions.insert(index + 1, CaptionItem(new_id, float(at_s), cap.end_s, " ".join(words[cut:])))
    return _sorted_captions(doc, captions)


def merge_caption(doc: EditDoc, caption_id: str) -> EditDoc:
    """This caption and the next become one."""
    captions = list(doc.captions)
    index = _caption_index(doc, caption_id)
    if index + 1 >= len(captions):
        raise ValidationError("The last caption has no next caption to merge with.")
    first, second = captions[index], captions.pop(index + 1)
    text = clean_caption_text(f"{first.text} {second.text}")
    captions[index] = CaptionItem(first.id, first.start_s, second.end_s, text)
    return _sorted_captions(doc, captions)


def set_caption_style(doc: EditDoc, style: CaptionStyle) -> EditDoc:
    return validate(replace(doc, caption_style=style))


def set_audio(doc: EditDoc, track: str, *, volume: float, fade_in_s: float, fade_out_s: float) -> EditDoc:
    if track not in ("voice", "music"):
        raise ValidationError("Pick the voiceover or the music track.")
    current: AudioTrack = getattr(doc, track)
    updated = replace(current, volume=float(volume), fade_in_s=float(fade_in_s), fade_out_s=float(fade_out_s))
    return validate(replace(doc, voice=updated) if track == "voice" else replace(doc, music=updated))


def set_mix(doc: EditDoc, *, master_volume: float, ducking: bool) -> EditDoc:
    return validate(replace(doc, master_volume=float(master_volume), ducking=bool(ducking)))


def set_music(doc: EditDoc, item: AudioItem | None) -> EditDoc:
    items = (item,) if item is not None else ()
    return validate(replace(doc, music=replace(doc.music, items=items)))


def set_aspect(doc: EditDoc, aspect: str) -> EditDoc:
    return validate(replace(doc, aspect=aspect))


def clean_line_text(text: str) -> str:
    """The words of a voice line to say again; one with nothing a voice can say is refused."""
    cleaned = _words(
        text,
        field="voice line",
        empty="Write the words the voice should say.",
        limit=MAX_LINE_CHARS,
        split_hint="Split it across lines or shorten it.",
    )
    if not speakable(cleaned) or not any(c.isalnum() for c in cleaned):
        raise ValidationError("The line has nothing a voice can say (symbols and emoji are not spoken). Add words.")
    return cleaned


def voice_item(doc: EditDoc, item_id: str) -> AudioItem:
    for item in doc.voice.items:
        if item.id == item_id:
            return item
    raise ValidationError("That voice line is no longer in the edit.")


def _outside(captions: tuple[CaptionItem, ...], start_s: float, end_s: float) -> list[CaptionItem]:
    """The captions whose middle is not inside start..end (a line's own captions are inside)."""
    return [c for c in captions if not start_s <= (c.start_s + c.end_s) / 2 <= end_s]


def replace_voice_line(doc: EditDoc, item_id: str, new: AudioItem, captions: list[CaptionItem]) -> EditDoc:
    """The voice line said again: `new` takes the old item's place (same start on the timeline) and
    `captions` (timed to the new speech) replace the captions that were over the old line."""
    old = voice_item(doc, item_id)
    items = tuple(new if i.id == item_id else i for i in doc.voice.items)
    kept = _outside(doc.captions, old.start_s, old.start_s + old.length_s)
    total = total_s(doc)
    fitted = [c for c in captions if c.start_s < total - 0.1]
    fitted = [replace(c, end_s=min(c.end_s, total)) for c in fitted]
    return _sorted_captions(replace(doc, voice=replace(doc.voice, items=items)), [*kept, *fitted])


def set_captions(doc: EditDoc, captions: list[CaptionItem]) -> EditDoc:
    """The whole caption track replaced (the caption style is kept)."""
    if not captions:
        raise ValidationError("The voice lines have no words to make captions from; nothing was changed.")
    return _sorted_captions(doc, captions)


def _sfx_index(doc: EditDoc, sfx_id: str) -> int:
    for index, item in enumerate(doc.sfx):
        if item.id == sfx_id:
            return index
    raise ValidationError("That sound effect is no longer in the edit.")


def _on_timeline(doc: EditDoc, start_s: float) -> float:
    """A sound effect's start inside the edit (one placed later would never be heard)."""
    start, total = _finite(start_s, "The sound effect's start"), total_s(doc)
    if not 0 <= start < total:
        raise ValidationError(
            f"Place the sound effect between 0 and {total:.2f} s (the edit's length); not {start:.2f} s."
        )
    return start


def _with_sfx(doc: EditDoc, items: list[SfxItem]) -> EditDoc:
    return validate(replace(doc, sfx=tuple(sorted(items, key=lambda i: (i.start_s, i.id)))))


def add_sfx(doc: EditDoc, item: SfxItem) -> EditDoc:
    """A sound effect at its start, cut to the edit's end (it never runs past the picture)."""
    start = _on_timeline(doc, item.start_s)
    room = total_s(doc) - start
    if item.length_s > room:
        item = replace(item, out_s=item.in_s + room)
    return _with_sfx(doc, [*doc.sfx, item])


def move_sfx(doc: EditDoc, sfx_id: str, start_s: float) -> EditDoc:
    items = list(doc.sfx)
    index = _sfx_index(doc, sfx_id)
    items[index] = replace(items[index], start_s=_on_timeline(doc, start_s))
    return _with_sfx(doc, items)


def set_sfx(doc: EditDoc, sfx_id: str, *, volume: float, fade_in_s: float, fade_out_s: float) -> EditDoc:
    items = list(doc.sfx)
    index = _sfx_index(doc, sfx_id)
    items[index] = replace(items[index], volume=float(volume), fade_in_s=float(fade_in_s), fade_out_s=float(fade_out_s))
    return _with_sfx(doc, items)


def remove_sfx(doc: EditDoc, sfx_id: str) -> EditDoc:
    items = list(doc.sfx)
    items.pop(_sfx_index(doc, sfx_id))
    return _with_sfx(doc, items)


def source_keys(doc: EditDoc) -> set[str]:
    keys = {c.source_key for c in doc.clips}
    keys |= {i.source_key for i in doc.voice.items + doc.music.items}
    keys |= {i.source_key for i in doc.sfx}
    return keys
