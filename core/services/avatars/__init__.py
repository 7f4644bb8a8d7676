"""Digital twins: reusable avatars (photos, reference angles, voice, DNA), character sheets,
LoRA models (train on fal, upload, use) and video face swaps, with rights like projects."""
