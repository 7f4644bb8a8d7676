"""Recognise a media container from its first bytes, never from its file name.

Only the containers we accept are recognised; anything else (HLS playlists, concat
lists, Matroska that is not WebM, text) yields None and is rejected before FFmpeg or
PyAV ever parse it. The result names the demuxer to force, so libavformat's own
guessing (which looks at file extensions too) is never used for user files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_HEAD_BYTES = 64 * 1024
_MP3_SCAN_BYTES = 8 * 1024

_MPEG1_L3_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MPEG2_L3_KBPS = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_MPEG_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}

_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip")


@dataclass(frozen=True, slots=True)
class Sniffed:
    container: str  # mp3 | wav | aac | mp4 | m4a | mov | ogg | webm
    demuxer: str  # libavformat demuxer to force

    @property
    def audio_only(self) -> bool:
        return self.container in ("mp3", "wav", "aac", "m4a", "ogg")


def sniff(path: Path) -> Sniffed | None:
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
    return sniff_bytes(head)


def sniff_bytes(head: bytes) -> Sniffed | None:
    if len(head) < 12:
        return None
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return Sniffed("wav", "wav")
    if head[4:8] == b"ftyp":
        return Sniffed(_iso_brand(head[8:12]), "mov")
    if head[4:8] in _QUICKTIME_ATOMS:
        return Sniffed("mov", "mov")
    if head[:4] == b"OggS":
        return Sniffed("ogg", "ogg")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return Sniffed("webm", "matroska") if b"webm" in head[:64] else None
    return _sniff_mpeg_audio(head)


def _iso_brand(brand: bytes) -> str:
    if brand == b"qt  ":
        return "mov"
    if brand in (b"M4A ", b"M4B "):
        return "m4a"
    return "mp4"


def _sniff_mpeg_audio(head: bytes) -> Sniffed | None:
    start = 0
    if head[:3] == b"ID3" and len(head) >= 10:
        size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F)
        start = 10 + size + (10 if head[5] & 0x10 else 0)
    for pos in range(start, min(start + _MP3_SCAN_BYTES, len(head) - 4)):
        if head[pos] != 0xFF:
            continue
        length = _mp3_frame_length(head, pos)
        if length and _confirmed(head, pos + length, _mp3_frame_length):
            return Sniffed("mp3", "mp3")
        length = _adts_frame_length(head, pos)
        if length and _confirmed(head, pos + length, _adts_frame_length):
            return Sniffed("aac", "aac")
    return None


def _confirmed(head: bytes, nxt: int, parse: Callable[[bytes, int], int]) -> bool:
    """A second valid header right after the first; a lone match is likely noise."""
    if nxt + 4 > len(head):
        return nxt >= len(head) - 4  # a one-frame file: accept
    return bool(parse(head, nxt))


def _mp3_frame_length(head: bytes, pos: int) -> int:
    if pos + 4 > len(head):
        return 0
    b1, b2 = head[pos + 1], head[pos + 2]
    if head[pos] != 0xFF or b1 & 0xE0 != 0xE0:
        return 0
    version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
    bitrate_ix, rate_ix, padding = b2 >> 4, (b2 >> 2) & 3, (b2 >> 1) & 1
    if version == 1 or layer != 1 or bitrate_ix in (0, 15) or rate_ix == 3:
        return 0
    table = _MPEG1_L3_KBPS if version == 3 else _MPEG2_L3_KBPS
    rate = _MPEG_RATES[version][rate_ix]
    factor = 144 if version == 3 else 72
    return factor * table[bitrate_ix] * 1000 // rate + padding


def _adts_frame_length(head: bytes, pos: int) -> int:
    if pos + 7 > len(head):
        return 0
    if head[pos] != 0xFF or head[pos + 1] & 0xF6 != 0xF0:
        return 0
    if (head[pos + 2] >> 2) & 0xF > 12:  # sampling index 13..15 are invalid
        return 0
    length = (head[pos + 3] & 0x3) << 11 | head[pos + 4] << 3 | head[pos + 5] >> 5
    return length if length >= 7 else 0
