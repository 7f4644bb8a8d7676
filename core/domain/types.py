"""Enums and read-only views that services hand to pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class JobStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    WAITING = "waiting"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


ACTIVE_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.WAITING)
# The same as plain strings, for database filters (`Job.status.in_(...)`) and row values.
ACTIVE_JOB_STATUS_VALUES = tuple(status.value for status in ACTIVE_JOB_STATUSES)


class StepStatus(str, Enum):
    RUNNING = "running"
    WAITING = "waiting"
    COMPLETED = "completed"
    FAILED = "failed"
    RETRYING = "retrying"


class VideoStatus(str, Enum):
    QUEUED = "queued"
    GENERATING = "generating"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class SourceType(str, Enum):
    TEXT = "text"
    AUDIO = "audio"


class MediaKind(str, Enum):
    """Storage buckets: one per kind of media."""

    IMAGE = "images"
    AUDIO = "audio"
    VIDEO = "video"


SCENE_TAGS = ("airport", "bathroom", "cooking", "beach", "car", "general")
GENDERS = ("female", "male", "non-binary")
AGE_RANGES = ("18-24", "25-34", "35-44", "45-54", "55+")


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """The `{code, message, details?}` envelope every error reaches the creator as."""

    code: str
    message: str
    details: dict | None = None


@dataclass(frozen=True, slots=True)
class Voice:
    """An offline or cloud voice bound to an actor."""

    voice_id: str
    language: str = "en-us"
    rate_wpm: int = 165
    pitch: int = 50
    voices: dict[str, str] = field(default_factory=dict)  # voice family -> that provider's id (core.domain.voices)


@dataclass(frozen=True, slots=True)
class ActorFilter:
    age_ranges: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def matches(self, age_range: str, gender: str, tags: tuple[str, ...] | list[str]) -> bool:
        """Filters combine: every non-empty group must match (any value within a group)."""
        if self.age_ranges and age_range not in self.age_ranges:
            return False
        if self.genders and gender not in self.genders:
            return False
        return not self.tags or bool(set(self.tags) & set(tags))


@dataclass(frozen=True, slots=True)
class ActorView:
    id: str
    key: str
    display_name: str
    image_key: str
    voice: Voice
    age_range: str
    gender: str
    tags: tuple[str, ...]
    bio: str = ""


@dataclass(frozen=True, slots=True)
class ProjectView:
    id: str
    title: str
    created_at: datetime
    video_count: int = 0
    last_activity: datetime | None = None


@dataclass(frozen=True, slots=True)
class VariantView:
    id: str
    project_id: str
    actor_id: str
    prompt: str
    seed: int | None
    image_key: str
    created_at: datetime
    provider: str = ""


@dataclass(frozen=True, slots=True)
class JobView:
    id: str
    status: JobStatus
    current_step: str | None
    progress: float
    error: ErrorInfo | None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StepView:
    name: str
    status: StepStatus
    attempt: int
    provider: str | None
    provider_request_id: str | None
    cost_usd: float
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


@dataclass(frozen=True, slots=True)
class VideoView:
    id: str
    project_id: str
    actor_id: str | None  # None for a video of an own avatar (`avatar_id`)
    actor_name: str  # the catalog actor's or the avatar's name
    variant_id: str | None
    variant_prompt: str | None
    source_type: SourceType
    source_text: str | None
    status: VideoStatus
    job: JobView | None
    video_key: str | None
    poster_key: str | None
    audio_key: str | None
    image_key: str | None
    duration_s: float | None
    created_at: datetime
    parent_id: str | None = None
    version: int = 1
    error: ErrorInfo | None = None
    steps: list[StepView] = field(default_factory=list)
    avatar_id: str | None = None
