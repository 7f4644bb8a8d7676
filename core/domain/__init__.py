"""Domain types: plain dataclasses and str Enums, no I/O."""

from core.domain.media import AudioClip, ImageFile, MediaInfo, VideoFile
from core.domain.types import (
    ActorFilter,
    ActorView,
    ErrorInfo,
    JobStatus,
    JobView,
    MediaKind,
    ProjectView,
    SourceType,
    StepStatus,
    StepView,
    VariantView,
    VideoStatus,
    VideoView,
    Voice,
)

__all__ = [
    "ActorFilter",
    "ActorView",
    "AudioClip",
    "ErrorInfo",
    "ImageFile",
    "JobStatus",
    "JobView",
    "MediaInfo",
    "MediaKind",
    "ProjectView",
    "SourceType",
    "StepStatus",
    "StepView",
    "VariantView",
    "VideoFile",
    "VideoStatus",
    "VideoView",
    "Voice",
]
