"""fal.ai adapters: the queue protocol and the image, speech, lip-sync and twin models on it."""
