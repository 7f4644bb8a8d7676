"""Widgets of talking videos: actor cards and filters, the composer, variants, the gallery."""
