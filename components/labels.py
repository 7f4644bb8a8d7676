"""Plain names for the capabilities the studio uses, shared by the Home and Settings pages."""

from __future__ import annotations

CAPABILITY_LABELS = {
    "image_edit": "Image edit",
    "speech": "Speech",
    "lipsync": "Lip-sync",
    "image_gen": "Image generation",
    "image_to_video": "Image to video",
    "llm": "Script writing",
    "vision": "Image analysis",
    "copilot": "Copilot (chat)",
}


def capability_label(capability: str) -> str:
    return CAPABILITY_LABELS.get(capability, capability.replace("_", " ").capitalize())
