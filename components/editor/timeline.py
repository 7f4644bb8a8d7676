"""The visual timeline: one row per track (video, voiceover, music, captions), a time ruler along
the bottom and the playhead as a red rule; drawn by Altair from the document, no assets fetched."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.domain.edit import TRANSITIONS, EditDoc, clip_starts, total_s

TRACKS = ["Video", "Voiceover", "Music", "Sound effects", "Captions"]
COLOURS = {
    "Video": "#4C78A8",
    "Transition": "#F58518",
    "Voiceover": "#54A24B",
    "Music": "#B279A2",
    "Sound effects": "#EECA3B",
    "Captions": "#E45756",
}


def _rows(doc: EditDoc) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for index, (clip, start) in enumerate(zip(doc.clips, clip_starts(doc), strict=True)):
        rows.append(
            {
                "track": "Video",
                "start": start,
                "end": start + clip.length_s,
                "label": clip.label or f"Clip {index + 1}",
                "kind": "Video",
            }
        )
        if index and TRANSITIONS[clip.transition]:
            rows.append(
                {
                    "track": "Video",
                    "start": start,
                    "end": start + clip.transition_s,
                    "label": clip.transition,
                    "kind": "Transition",
                }
            )
    for name, track in (("Voiceover", doc.voice), ("Music", doc.music)):
        for item in track.items:
            end = min(item.start_s + item.length_s, total_s(doc)) if name == "Music" else item.start_s + item.length_s
            rows.append({"track": name, "start": item.start_s, "end": end, "label": item.label, "kind": name})
    for effect in doc.sfx:
        end = min(effect.start_s + effect.length_s, total_s(doc))
        rows.append(
            {
                "track": "Sound effects",
                "start": effect.start_s,
                "end": end,
                "label": effect.label,
                "kind": "Sound effects",
            }
        )
    for cap in doc.captions:
        rows.append(
            {"track": "Captions", "start": cap.start_s, "end": cap.end_s, "label": cap.text[:40], "kind": "Captions"}
        )
    return rows


def timeline_chart(doc: EditDoc, playhead_s: float) -> alt.LayerChart | alt.FacetChart:
    data = pd.DataFrame(_rows(doc))
    scale = alt.Scale(domain=[0, max(total_s(doc), 0.1)])
    colour = alt.Color("kind:N", scale=alt.Scale(domain=list(COLOURS), range=list(COLOURS.values())), legend=None)
    bars = (
        alt.Chart(data)
        .mark_bar(cornerRadius=3, height=22)
        .encode(
            x=alt.X("start:Q", scale=scale, title="seconds", axis=alt.Axis(tickMinStep=0.5, grid=True)),
            x2="end:Q",
            y=alt.Y("track:N", sort=TRACKS, title=None),
            color=colour,
            tooltip=["track:N", "label:N", alt.Tooltip("start:Q", format=".2f"), alt.Tooltip("end:Q", format=".2f")],
        )
    )
    labels = (
        alt.Chart(data[data["kind"] != "Transition"])
        .mark_text(align="left", dx=4, color="white", fontSize=11)
        .encode(x=alt.X("start:Q", scale=scale), y=alt.Y("track:N", sort=TRACKS), text="label:N")
    )
    playhead = alt.Chart(pd.DataFrame({"t": [playhead_s]})).mark_rule(color="red", strokeWidth=2).encode(x="t:Q")
    return alt.layer(bars, labels, playhead).properties(height=220)
