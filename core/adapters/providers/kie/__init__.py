"""KIE adapters: image-to-video over its task API."""
