"""Every pipeline registers itself on import."""

from jobs.pipelines import image_variant, talking_video, ad, ad_asset  # noqa: F401, I001  (the mass generator: an ad and its scene assets)
from jobs.pipelines import variant_factory as _variant_factory  # noqa: F401, I001  (variant factory: ad variants and voice-overs)
from jobs.pipelines import factory_upload as _factory_upload  # noqa: F401, I001  (variant factory: video uploads)
from jobs.pipelines import face_swap, lora_training  # noqa: F401, I001  (digital twins)
from jobs.pipelines import edit_export, edit_voice  # noqa: F401, I001  (the timeline editor: exports, voice lines said again)

__all__ = ["image_variant", "talking_video"]
