"""The mass generator's vocabulary: DNA, briefs, scripts, scenes and their assets.

Plain dataclasses and `str` Enums, no I/O. Parsing untrusted JSON into these types
(with clear errors) lives in `core.services.ads.parse`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Platform(str, Enum):
    TIKTOK = "tiktok"
    REELS = "reels"
    SHORTS = "shorts"


class Aspect(str, Enum):
    VERTICAL = "9:16"
    SQUARE = "1:1"
    WIDE = "16:9"

    def size(self, long_side: int) -> tuple[int, int]:
        """(width, height) with the long side given; both even."""
        short = (long_side * 9 // 16) // 2 * 2
        sizes = {Aspect.VERTICAL: (short, long_side), Aspect.SQUARE: (short, short), Aspect.WIDE: (long_side, short)}
        return sizes[self]


class SceneType(str, Enum):
    HOOK = "hook"
    PROBLEM = "problem"
    SOLUTION = "solution"
    DEMO = "demo"
    TESTIMONIAL = "testimonial"
    CTA = "cta"


class Visibility(str, Enum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    NONE = "none"


class AssetKind(str, Enum):
    FRAME = "frame"
    CLIP = "clip"
    AUDIO = "audio"


class AssetStatus(str, Enum):
    """Spec 004's per-asset states, shown as badges."""

    PENDING = "pending"
    RENDERING = "rendering"
    READY = "ready"
    FAILED = "failed"

    @property
    def active(self) -> bool:
        return self in (AssetStatus.PENDING, AssetStatus.RENDERING)


class Transition(str, Enum):
    CUT = "cut"
    DISSOLVE = "dissolve"
    CROSSFADE = "crossfade"
    DIP_TO_BLACK = "dip_to_black"
    WHIP = "whip"  # a fast pan: the next scene slides in under a horizontal motion blur
    ZOOM = "zoom"  # a punch-in: the outgoing scene zooms into the incoming one

    @property
    def seconds(self) -> float:
        """Spec 8.5's durations: dissolve 0.3-1.0 s, crossfade 0.8 s, dip to black 0.5 s; whip and zoom are quick."""
        return {"cut": 0.0, "dissolve": 0.4, "crossfade": 0.8, "dip_to_black": 0.5, "whip": 0.3, "zoom": 0.4}[
            self.value
        ]

    @property
    def xfade(self) -> str | None:
        names = {"cut": None, "dissolve": "dissolve", "crossfade": "fade", "dip_to_black": "fadeblack"}
        return {**names, "whip": "slideleft", "zoom": "zoomin"}[self.value]


class AdStatus(str, Enum):
    DRAFT = "draft"
    GENERATING = "generating"
    REVIEW = "review"  # parked at the storyboard review gate
    NEEDS_ATTENTION = "needs_attention"  # a scene failed; retry it to go on
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


WIZARD_STEPS = ("product", "avatar", "brief", "script", "generate", "result")
STYLES = ("testimonial", "problem-solution", "unboxing", "tutorial", "before-after")
TONES = ("warm", "energetic", "calm", "funny", "premium")
SHOT_TYPES = ("close_up", "medium", "wide", "product_close_up")
ANGLES = ("eye_level", "low_angle", "high_angle", "three_quarter")
MOVEMENTS = ("handheld", "static", "push_in", "pull_out", "pan_left", "pan_right", "tilt_up")
LIGHTING_TYPES = ("natural", "golden_hour", "soft_studio", "warm_indoor", "bright_daylight", "moody")


def _plain(value: Any) -> Any:
    return asdict(value) if hasattr(value, "__dataclass_fields__") else value


@dataclass(slots=True)
class ProductDNA:
    product_type: str
    product_name: str
    colors: dict[str, str]  # role -> "#RRGGBB"
    shape: str
    materials: list[str] = field(default_factory=list)
    texture: str = ""
    branding_text: list[str] = field(default_factory=list)
    logo_description: str = ""
    distinctive_features: list[str] = field(default_factory=list)
    prohibited_variations: list[str] = field(default_factory=list)
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class CharacterDNA:
    face: str
    skin: str
    eyes: str
    hair: str
    body: str
    voice: str
    wardrobe: str
    prohibited_drift: str
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class BriefInput:
    platform: Platform
    style: str
    tone: str
    duration_s: int
    prompt: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "platform": self.platform.value}


@dataclass(slots=True)
class CreativeBrief:
    hook_strategy: str
    pain_point: str
    selling_points: list[str]
    emotional_arc: str
    call_to_action: str
    audience: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Camera:
    shot_type: str = "medium"
    angle: str = "eye_level"
    movement: str = "handheld"

    def words(self) -> str:
        shot, angle, movement = (v.replace("_", " ") for v in (self.shot_type, self.angle, self.movement))
        return f"{shot} shot, {angle}, {movement}"


@dataclass(slots=True)
class Lighting:
    type: str = "natural"
    direction: str = "front_45"

    def words(self) -> str:
        return f"{self.type.replace('_', ' ')} light from {self.direction.replace('_', ' ')}"


@dataclass(slots=True)
class SceneScript:
    """One scene of a script (spec 8.1's output format plus the setting)."""

    number: int
    scene_type: SceneType
    duration_s: float
    dialogue: str
    action: str
    expression: str
    camera: Camera
    lighting: Lighting
    product_visibility: Visibility
    product_action: str = ""
    setting: str = ""

    @property
    def word_count(self) -> int:
        return len(self.dialogue.split())

    def to_dict(self) -> dict[str, Any]:
        data = {k: _plain(getattr(self, k)) for k in self.__dataclass_fields__}
        data["scene_type"] = self.scene_type.value
        data["product_visibility"] = self.product_visibility.value
        return data


@dataclass(slots=True)
class ScriptDraft:
    title: str
    scenes: list[SceneScript]
    audio_direction: str = ""

    @property
    def total_duration_s(self) -> float:
        return sum(s.duration_s for s in self.scenes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "total_duration": self.total_duration_s,
            "scenes": [s.to_dict() for s in self.scenes],
            "audio_direction": self.audio_direction,
        }


@dataclass(frozen=True, slots=True)
class RealismSettings:
    """Spec 23.3's post-processing layer, each tunable (0 turns a part off)."""

    grain: float = 4.0  # film grain on the luma: standard deviation strength / sqrt(12) levels (FFmpeg noise's scale)
    vignette: float = 0.25  # 0..1 of the strongest edge darkening we allow
    shake_px: float = 1.5  # handheld micro-shake amplitude in pixels at 1080 wide
    saturation: float = 0.93  # 1.0 leaves colours alone; spec: reduce 5-10 %
    chromatic_aberration: float = 0.0  # colour fringes: chroma shifted this many pixels at 1080 wide (0: off)
    lens_distortion: float = 0.0  # barrel distortion of a phone lens, 0..0.3 (0: off)
    lut: str | None = None  # a validated .cube of our own writing (a path at render time; None: no grade)


REALISM_KEYS = ("grain", "vignette", "shake_px", "saturation", "chromatic_aberration", "lens_distortion")


@dataclass(frozen=True, slots=True)
class ScenePrompts:
    storyboard_prompt: str
    video_prompt: str
    negative_prompt: str


@dataclass(frozen=True, slots=True)
class Caption:
    start_s: float
    end_s: float
    text: str


@dataclass(slots=True)
class QcFinding:
    check: str
    passed: bool
    detail: str
    scene_numbers: list[int] = field(default_factory=list)
    checked: bool = True  # False: nothing could be measured (never shown as passed)


@dataclass(slots=True)
class QcReport:
    passed: bool
    findings: list[QcFinding]
    metrics: dict[str, Any] = field(default_factory=dict)
    flagged_scenes: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
