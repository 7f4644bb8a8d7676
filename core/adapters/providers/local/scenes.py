"""Read a scene and a lighting mood out of a free-text prompt, by keywords."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Scene -> words that select it. The earliest match in the prompt wins.
SCENE_WORDS: dict[str, tuple[str, ...]] = {
    "beach": ("beach", "ocean", "seaside", "sea", "shore", "coast", "sand", "tropical", "island", "surf"),
    "bathroom": ("bathroom", "shower", "bathtub", "bath", "sink", "vanity", "spa", "mirror", "skincare"),
    "kitchen": ("kitchen", "cooking", "cook", "chef", "recipe", "baking", "stove", "countertop", "food"),
    "airport": ("airport", "terminal", "gate", "plane", "flight", "boarding", "departure", "travel"),
    "car": ("car", "driving", "driver", "vehicle", "road trip", "dashboard", "front seat", "passenger seat"),
    "office": ("office", "desk", "workspace", "meeting", "laptop", "coworking", "work"),
    "gym": ("gym", "workout", "fitness", "exercise", "weights", "training"),
    "bedroom": ("bedroom", "bed", "pillow", "cozy", "cosy", "morning routine"),
    "street": ("street", "city", "urban", "downtown", "sidewalk", "crosswalk", "rooftop"),
    "park": ("park", "forest", "garden", "outdoors", "outdoor", "nature", "trees", "hiking", "woods", "picnic"),
    "cafe": ("cafe", "café", "coffee", "coffee shop", "bakery", "restaurant", "bar"),
    "studio": ("studio", "plain", "backdrop", "neutral", "general", "solid"),
}

LIGHT_WORDS: tuple[str, ...] = (
    "golden hour",
    "sunset",
    "sunrise",
    "warm",
    "cool",
    "cold",
    "night",
    "evening",
    "neon",
    "bright",
    "sunny",
    "daylight",
    "soft",
    "moody",
    "dark",
)


@dataclass(frozen=True, slots=True)
class Grade:
    """A whole-frame colour treatment; 0 / 1.0 values mean 'leave as is'."""

    temperature: float = 0.0  # -1 cool .. +1 warm
    brightness: float = 1.0
    contrast: float = 1.0
    saturation: float = 1.0
    glow: tuple[int, int, int] | None = None  # side light colour (golden hour, neon)
    glow_strength: float = 0.0
    second_glow: tuple[int, int, int] | None = None  # neon's opposite-side colour
    vignette: float = 0.18


_LIGHT_GRADES: dict[str, dict[str, object]] = {
    "golden hour": {"temperature": 0.55, "brightness": 1.04, "glow": (255, 170, 70), "glow_strength": 0.32},
    "sunset": {
        "temperature": 0.6,
        "brightness": 0.97,
        "glow": (255, 120, 70),
        "glow_strength": 0.36,
        "saturation": 1.1,
    },
    "sunrise": {"temperature": 0.35, "brightness": 1.03, "glow": (255, 190, 130), "glow_strength": 0.25},
    "warm": {"temperature": 0.35},
    "cool": {"temperature": -0.35},
    "cold": {"temperature": -0.5, "saturation": 0.9},
    "night": {"temperature": -0.45, "brightness": 0.68, "contrast": 1.1, "vignette": 0.4},
    "evening": {"temperature": -0.1, "brightness": 0.85, "vignette": 0.3},
    "neon": {
        "glow": (255, 60, 200),
        "second_glow": (40, 200, 255),
        "glow_strength": 0.35,
        "brightness": 0.85,
        "saturation": 1.2,
    },
    "bright": {"brightness": 1.12, "contrast": 1.02, "vignette": 0.08},
    "sunny": {"brightness": 1.1, "temperature": 0.15, "vignette": 0.08},
    "daylight": {"brightness": 1.06, "vignette": 0.1},
    "soft": {"contrast": 0.9, "brightness": 1.04, "saturation": 0.95},
    "moody": {"contrast": 1.12, "brightness": 0.88, "saturation": 0.85, "vignette": 0.38},
    "dark": {"brightness": 0.8, "vignette": 0.35},
}


@dataclass(frozen=True, slots=True)
class SceneSpec:
    scene: str
    lights: tuple[str, ...]
    grade: Grade

    @property
    def night(self) -> bool:
        return any(w in self.lights for w in ("night", "neon", "evening", "dark"))

    @property
    def sunset(self) -> bool:
        return any(w in self.lights for w in ("golden hour", "sunset", "sunrise"))


def _find(prompt: str, word: str) -> int:
    match = re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", prompt)
    return match.start() if match else -1


def parse_prompt(prompt: str) -> SceneSpec:
    text = " ".join(prompt.lower().split())
    hits = [(pos, scene) for scene, words in SCENE_WORDS.items() for w in words if (pos := _find(text, w)) >= 0]
    scene = min(hits)[1] if hits else "studio"
    lights = tuple(w for w in LIGHT_WORDS if _find(text, w) >= 0)
    return SceneSpec(scene=scene, lights=lights, grade=_combine(lights))


def _combine(lights: tuple[str, ...]) -> Grade:
    values: dict[str, object] = {}
    for word in lights:
        for key, value in _LIGHT_GRADES[word].items():
            if key in ("temperature",):
                values[key] = float(values.get(key, 0.0)) + float(value)  # type: ignore[arg-type]
            elif key in ("brightness", "contrast", "saturation"):
                values[key] = float(values.get(key, 1.0)) * float(value)  # type: ignore[arg-type]
            elif key == "vignette":
                values[key] = max(float(values.get(key, 0.0)), float(value))  # type: ignore[arg-type]
            else:
                values.setdefault(key, value)
    if "temperature" in values:
        values["temperature"] = max(-1.0, min(1.0, float(values["temperature"])))  # type: ignore[arg-type]
    return Grade(**values)  # type: ignore[arg-type]
