"""Media on this machine: the guarded FFmpeg runner, probing by content, post-production,
captions, mixdown, variants, faces and quality checks."""
