"""Ads, the mass generator: product, avatar, brief, script, scenes and their assets,
generation, the scene studio, media access and what an ad costs."""
