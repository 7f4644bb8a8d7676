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


# Inline Markdown (and Streamlit's :color[...] / :icon: directives, $math$). Block syntax (#, -, 1.)
# only acts at the start of a line, and every use puts our own words before the creator's.
_MARKDOWN = set("\\`*_[]<>$:~")


def literal(text: str) -> str:
    """A creator's words inside Markdown (titles, captions, errors), shown as typed: every Markdown
    character escaped, so `**x**`, `[link](...)`, `$x$` and `:red[...]` are not rendered."""
    escaped = "".join("\\" + c if c in _MARKDOWN else c for c in text)
    return escaped.replace("\n", "  \n")
