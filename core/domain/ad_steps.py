"""What each wizard step needs before "Next" makes sense, in words a creator can act on."""

from __future__ import annotations

from core.domain.ad_views import AdView


def missing_for(ad: AdView, step: str) -> str | None:
    """Why the creator cannot move on from `step` yet, or None when the step is complete."""
    if step == "product":
        if not ad.product_name:
            return "Give the product a name and save it."
        if not ad.product_images:
            return "Add at least one product photo."
    elif step == "avatar" and ad.avatar is None:
        return "Pick a catalog actor or create an avatar from photos."
    elif step == "brief" and ad.creative_brief is None:
        return "Save the brief (it is expanded into a creative brief)."
    elif step == "script" and not ad.scenes:
        return "Write the script, or have it written, first."
    elif step == "generate" and not ad.outputs:
        return "Generate the ad first; the result appears when it is finished."
    return None
