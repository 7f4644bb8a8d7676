"""Every pipeline registers itself on import."""

from jobs.pipelines import image_variant, talking_video

__all__ = ["image_variant", "talking_video"]
