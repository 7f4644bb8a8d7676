"""One Protocol per outside thing. Ports speak domain types only; vendor JSON stays in adapters.

Every provider capability has the same durable shape, so the job engine can treat a
local renderer and a cloud queue alike:

    submit(request)  -> Submission     (the engine stores request_id before any wait)
    poll(request_id) -> PollResult     (PENDING: try again after poll_after_s)
    collect(request, result, dest_dir) -> the domain output, written under dest_dir

Local adapters finish on submit (poll answers DONE at once) and render in collect.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from core.domain.media import AudioClip, ImageFile, MediaInfo, VideoFile, even_chunks
from core.domain.types import MediaKind, Voice

# --------------------------------------------------------------------------- requests


@dataclass(frozen=True, slots=True)
class SpeechRequest:
    text: str
    voice: Voice
    seed: int = 0


@dataclass(frozen=True, slots=True)
class ImageEditRequest:
    image: Path
    prompt: str
    seed: int = 0
    references: tuple[Path, ...] = ()  # more views of the same person (an avatar's angles), after `image`


@dataclass(frozen=True, slots=True)
class LipSyncRequest:
    image: Path
    audio: Path
    audio_duration_s: float
    seed: int = 0
    width: int = 720
    height: int = 1280


@dataclass(frozen=True, slots=True)
class LoraWeights:
    """A ready LoRA for an image: only the LoRA image adapter honours it."""

    weights: Path
    scale: float = 1.0
    trigger_phrase: str = ""


@dataclass(frozen=True, slots=True)
class ImageGenRequest:
    prompt: str
    references: tuple[Path, ...] = ()
    width: int = 1080
    height: int = 1920
    seed: int = 0
    negative_prompt: str = ""
    lora: LoraWeights | None = None


@dataclass(frozen=True, slots=True)
class LoraTrainRequest:
    images_zip: Path
    trigger_phrase: str
    steps: int = 1000
    learning_rate: float = 0.0007


@dataclass(frozen=True, slots=True)
class LoraTrainResult:
    weights: Path
    high_noise: Path | None = None
    config: Path | None = None


@dataclass(frozen=True, slots=True)
class FaceSwapRequest:
    video: Path
    face: Path
    duration_s: float
    resolution: str = "720p"


@dataclass(frozen=True, slots=True)
class ImageToVideoRequest:
    image: Path
    prompt: str
    duration_s: float
    camera: str = ""
    seed: int = 0
    width: int = 1080
    height: int = 1920
    audio: Path | None = None  # offline only: the presenter lip-syncs this voice line
    audio_at_s: float = 0.0  # where the voice line starts in the clip
    # Continuity (issue 18), used by animators that say they take them (continuity_of):
    last_frame: Path | None = None  # the clip ends on this frame (first/last-frame chaining)
    references: tuple[Path, ...] = ()  # identity references (front portrait, matching angle, storyboard frame)
    extend_uri: str | None = None  # extend this video the provider made (Veo extension) instead of a new clip


@dataclass(frozen=True, slots=True)
class AnimatorContinuity:
    """What an animator can do for continuity between scenes (issue 18); the default is nothing."""

    last_frame: bool = False  # takes a first and a last frame
    max_references: int = 0  # reference images per clip
    extends: bool = False  # extends a video it made (the answer is the whole, longer video)
    max_clip_s: float = 8.0  # the longest one generation makes
    reason: str = "this video model takes only a first frame"
    # How the provider bills (and makes) the seconds: what one extension adds (0: an extension is
    # a new clip from the last frame), and the lengths one generation comes in (empty: any, up to
    # max_clip_s; else a request is rounded up to the next one, and charged for it).
    extension_s: float = 0.0
    clip_lengths_s: tuple[float, ...] = ()


def continuity_of(animator: object) -> AnimatorContinuity:
    found = getattr(animator, "continuity", None)
    return found if isinstance(found, AnimatorContinuity) else AnimatorContinuity()


def render_limit_s(lipsyncer: object) -> float | None:
    """The longest speech one render of this lip-syncer takes (its `max_render_s`); None: any length."""
    found = getattr(lipsyncer, "max_render_s", None)
    return float(found) if isinstance(found, (int, float)) and found > 0 else None


def billed_render_s(lipsyncer: object, speech_s: float) -> float:
    """Seconds of video one render of `speech_s` seconds of speech is billed on (its `billed_s`;
    without one, the speech's own length)."""
    billed = getattr(lipsyncer, "billed_s", None)
    return float(billed(speech_s)) if callable(billed) else speech_s


def lipsync_chunks(lipsyncers: Sequence[object], duration_s: float) -> list[tuple[float, float]]:
    """The (start, length) renders `duration_s` seconds of speech is cut into, one paid render
    each, so that every one of these lip-syncers (a chain: a fallback may take any chunk) makes
    each chunk whole. One render when none has a limit."""
    limits = [limit for limit in map(render_limit_s, lipsyncers) if limit is not None]
    return even_chunks(duration_s, min(limits)) if limits else [(0.0, duration_s)]


# Reference images a storyboard generator gets when it does not say (`max_references`): the avatar's
# front portrait and the first product photo, which is what every generator was given before.
DEFAULT_IMAGE_REFERENCES = 2


def image_references_of(generator: object) -> int:
    found = getattr(generator, "max_references", None)
    return found if isinstance(found, int) and found > 0 else DEFAULT_IMAGE_REFERENCES


class ScriptTask(str, Enum):
    """What a script writer (LLM) is asked for. Every answer is one JSON document."""

    CREATIVE_BRIEF = "creative_brief"  # brief input + product DNA -> hook, pain point, selling points, arc, CTA
    SCRIPT = "script"  # creative brief + DNA -> title, scenes[], audio_direction
    SAFETY = "safety"  # text -> {"allowed": bool, "reasons": [...]}


@dataclass(frozen=True, slots=True)
class ScriptRequest:
    """`instructions` and `prompt` are what a hosted model reads; `context` carries the same
    facts as JSON-safe data for writers that work from structure (the offline one);
    `schema` is the JSON schema the answer must follow."""

    task: ScriptTask
    instructions: str
    prompt: str
    context: dict[str, Any] = field(default_factory=dict)
    schema: dict[str, Any] = field(default_factory=dict)
    seed: int = 0


@dataclass(frozen=True, slots=True)
class ScriptAnswer:
    """The model's raw JSON text; services parse and validate it (all or nothing)."""

    text: str
    model: str = ""


class VisionTask(str, Enum):
    PRODUCT_DNA = "product_dna"  # product photos -> ProductDNA fields
    CHARACTER_DNA = "character_dna"  # portraits -> CharacterDNA fields
    IDENTITY = "identity"  # images vs references -> {"scores": [0..1 per image]}
    ANGLES = "angles"  # portraits -> {"photos": [{"angle", "has_face", "box"} per image]}


@dataclass(frozen=True, slots=True)
class VisionRequest:
    task: VisionTask
    images: tuple[Path, ...]
    references: tuple[Path, ...] = ()
    hint: str = ""  # e.g. the product's name, the avatar's name
    schema: dict[str, Any] = field(default_factory=dict)
    seed: int = 0


@dataclass(frozen=True, slots=True)
class VisionAnswer:
    text: str  # one JSON document
    model: str = ""


# --------------------------------------------------------------------------- provider protocol


class PredictionState(str, Enum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Submission:
    request_id: str
    poll_after_s: float = 0.0


@dataclass(frozen=True, slots=True)
class PollResult:
    state: PredictionState
    # Adapter-private, JSON-safe data needed by collect (e.g. a result URL); stored in the step row.
    output: dict[str, Any] = field(default_factory=dict)
    message: str | None = None
    progress: float | None = None
    poll_after_s: float = 2.0


Req = TypeVar("Req", contravariant=True)
Out = TypeVar("Out")  # invariant: collect returns it and cost_usd reads it


@runtime_checkable
class Provider(Protocol[Req, Out]):
    """A provider capability. `name` is what step rows and the Settings page show."""

    name: str

    def submit(self, request: Req) -> Submission: ...

    def poll(self, request_id: str) -> PollResult: ...

    def collect(self, request: Req, result: PollResult, dest_dir: Path) -> Out: ...

    def cost_usd(self, request: Req, output: Out) -> float: ...


SpeechSynthesizer = Provider[SpeechRequest, AudioClip]
ImageEditor = Provider[ImageEditRequest, ImageFile]
LipSyncer = Provider[LipSyncRequest, VideoFile]
ImageGenerator = Provider[ImageGenRequest, ImageFile]
ImageAnimator = Provider[ImageToVideoRequest, VideoFile]
ScriptWriter = Provider[ScriptRequest, ScriptAnswer]
VisionAnalyzer = Provider[VisionRequest, VisionAnswer]
LoraTrainer = Provider[LoraTrainRequest, LoraTrainResult]
FaceSwapper = Provider[FaceSwapRequest, VideoFile]


# --------------------------------------------------------------------------- copilot


class Intent(str, Enum):
    """What a creator's chat message asks for (spec section 12.2). The labels are exact."""

    CHAT = "CHAT"  # a question or a chat: answer as a UGC director would
    VIDEO_NEEDS_INPUT = "VIDEO_NEEDS_INPUT"  # wants a video, but something is missing
    VIDEO_READY = "VIDEO_READY"  # wants a video and everything is there: start


@dataclass(frozen=True, slots=True)
class ChatTurn:
    role: str  # "user" | "assistant"
    text: str


@dataclass(frozen=True, slots=True)
class CopilotRequest:
    """A creator's message with the conversation so far and what the chat's ad already has
    (`facts`: product name, photos, avatar, platform, script, status, catalog actor names)."""

    message: str
    history: tuple[ChatTurn, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IntentAnswer:
    """`slots` holds only what this message says (product_name, actor, platform, duration_s,
    tone, style, hook); `action` is "approve", "edit" or "none"."""

    intent: Intent
    slots: dict[str, Any] = field(default_factory=dict)
    action: str = "none"
    said_go: bool = False  # the message gives a clear instruction to make the video now
    model: str = ""
    fell_back: bool = False  # no usable answer in time: treated as CHAT


@dataclass(frozen=True, slots=True)
class EditRequest:
    """A refinement ("make scene 2 punchier") of the scenes, each a dict with `number` and the
    editable fields; `facts` carries the pacing limits (words_per_minute, max_words_per_8s)."""

    instruction: str
    scenes: tuple[dict[str, Any], ...]
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SceneEdit:
    number: int
    changes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EditAnswer:
    edits: tuple[SceneEdit, ...] = ()
    redo: tuple[int, ...] = ()  # scenes to make again even if unchanged ("redo scene 3")
    summary: str = ""
    model: str = ""


class Copilot(Protocol):
    """The chat copilot. Calls are short and made while the creator waits, so this port is
    not the submit/poll shape; the services wrap each call in the guard, backstop and ledger.
    `stream_answer` returns a generator: `close()` on it stops the model call."""

    name: str
    offline: bool

    def detect_intent(self, request: CopilotRequest) -> IntentAnswer: ...

    def stream_answer(self, request: CopilotRequest) -> Generator[str, None, None]: ...

    def propose_edits(self, request: EditRequest) -> EditAnswer: ...

    def cost_usd(self, call: str) -> float:
        """Price of one call: "intent", "answer" or "edits"."""
        ...


# --------------------------------------------------------------------------- storage


class BlobStorage(Protocol):
    """Media files. Keys are always generated by us (`<kind>/<name><suffix>`), never user names."""

    name: str

    def put_file(self, kind: MediaKind, src: Path, *, name: str, content_type: str) -> str: ...

    def put_bytes(self, kind: MediaKind, data: bytes, *, name: str, content_type: str) -> str: ...

    def read_bytes(self, key: str) -> bytes: ...

    def download_to(self, key: str, dest: Path) -> Path: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def signed_url(self, key: str, expires_s: int) -> str | None:
        """A URL that expires; None where files are served as bytes after a rights check."""
        ...

    def check(self) -> str:
        """Raise if unusable; else a short description for the Home page."""
        ...


# --------------------------------------------------------------------------- jobs


class JobQueue(Protocol):
    """Hands job ids to whatever runs them. The job row in the database is the truth."""

    name: str

    def enqueue(self, job_id: str, *, delay_s: float = 0.0) -> None: ...

    def check(self) -> str: ...

    def shutdown(self) -> None: ...


# --------------------------------------------------------------------------- media


class ImageValidation(Protocol):
    """Uploaded pictures are checked by content (format, size, pixel count) before anything uses them."""

    def validate_image_upload(
        self, path: Path, *, max_bytes: int, max_pixels: int = 40_000_000, dest: Path | None = None
    ) -> ImageFile: ...


class PostProduction(Protocol):
    """The guarded FFmpeg runner post-production builds on (the ad edit, the variants, the quality
    scan): argument lists are built by the media adapters, run only through this."""

    exe: str
    threads: int

    def probe(self, path: Path) -> MediaInfo: ...

    def command(self, *args: str) -> list[str]: ...

    def input_args(self, path: Path) -> list[str]:
        """Read `path` with the demuxer its content names, and only as a local file."""
        ...

    def run(self, args: Sequence[str], *, what: str, timeout_s: float | None = None) -> None: ...

    def failure(self, what: str, stderr: str) -> Exception:
        """The plain-words error for a failed run of `what` (stderr goes to the log)."""
        ...

    def video_file(self, path: Path) -> VideoFile: ...

    def source(self, path: Path, **options: Any) -> Any:
        """An ffmpeg-python input of a local file, its demuxer chosen by content."""
        ...

    def run_graph(self, graph: Any, *, what: str, timeout_s: float | None = None) -> None:
        """Run an ffmpeg-python output graph through the guarded runner."""
        ...


class MediaToolkit(ImageValidation, PostProduction, Protocol):
    """FFmpeg and probing. Every user- or provider-supplied file goes through probe first."""

    def probe(self, path: Path) -> MediaInfo: ...

    def validate_audio_upload(self, path: Path, *, max_bytes: int, max_duration_s: float) -> MediaInfo: ...

    def transcode_audio_mp3(self, src: Path, dest: Path) -> AudioClip: ...

    def poster_frame(self, video: Path, dest: Path, *, at_s: float = 0.5) -> ImageFile: ...

    def thumbnail(self, image: Path, dest: Path, *, max_side: int = 360) -> ImageFile: ...
