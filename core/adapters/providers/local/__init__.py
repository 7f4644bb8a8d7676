"""Offline adapters: everything rendered on this machine with no key (eSpeak, portraits,
backdrops, scenes, script templates, the talking head, offline vision)."""
