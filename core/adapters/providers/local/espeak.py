"""eSpeak NG through ctypes, synchronous mode, one synthesis at a time per process.

libespeak-ng keeps synthesis state in C statics (pitch flutter index, gain control,
...) that neither espeak_Terminate nor espeak_Initialize resets, so the same text
would come out slightly different on every call. For reproducible audio each call
loads a private copy of the library, synthesises, terminates and unloads it; the next
dlopen maps fresh statics. That costs a few milliseconds.
"""

from __future__ import annotations

import _ctypes
import atexit
import ctypes
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigurationError, ValidationError

logger = logging.getLogger(__name__)

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE, _VOLUME, _PITCH = 1, 2, 3

_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

# The library is not thread-safe and lives once per process: every call holds this lock.
_LOCK = threading.Lock()
_private_copy: Path | None = None


@dataclass(frozen=True, slots=True)
class Speech:
    pcm: bytes  # 16-bit signed little-endian mono
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate


def _paths() -> tuple[str, str]:
    try:
        import espeakng_loader

        return espeakng_loader.get_library_path(), espeakng_loader.get_data_path()
    except Exception as exc:  # missing package, or data path check failed
        raise ConfigurationError(
            "Offline speech is unavailable: the eSpeak NG package (espeakng-loader) is not installed correctly."
        ) from exc


def _library_copy(library: str) -> Path:
    """A per-process private copy, so unloading really drops the library's state."""
    global _private_copy
    if _private_copy is None or not _private_copy.exists():
        folder = Path(tempfile.mkdtemp(prefix="espeak-"))
        atexit.register(shutil.rmtree, folder, True)
        _private_copy = folder / f"libespeak-ng-{os.getpid()}.so"
        shutil.copyfile(library, _private_copy)
    return _private_copy


def _load(library: Path) -> ctypes.CDLL:
    try:
        lib = ctypes.CDLL(str(library), mode=os.RTLD_LOCAL)
    except OSError as exc:
        raise ConfigurationError(f"Offline speech is unavailable: eSpeak NG could not be loaded ({exc}).") from exc
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
    lib.espeak_Synth.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    return lib


def _unload(lib: ctypes.CDLL) -> None:
    handle = lib._handle
    del lib
    _ctypes.dlclose(handle)


def synthesize(text: str, voices: list[str], *, rate_wpm: int, pitch: int, seed: int = 0) -> tuple[Speech, str]:
    """Speak `text` with the first of `voices` eSpeak knows; returns the audio and the voice used."""
    library, data = _paths()
    with _LOCK:
        lib = _load(_library_copy(library))
        try:
            return _synthesize_loaded(lib, data, text, voices, rate_wpm=rate_wpm, pitch=pitch, seed=seed)
        finally:
            lib.espeak_Terminate()
            _unload(lib)


def _synthesize_loaded(
    lib: ctypes.CDLL, data: str, text: str, voices: list[str], *, rate_wpm: int, pitch: int, seed: int
) -> tuple[Speech, str]:
    sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data.encode(), _INITIALIZE_DONT_EXIT)
    if sample_rate <= 0:
        raise ConfigurationError("Offline speech is unavailable: eSpeak NG could not read its voice data.")
    chunks: list[bytes] = []

    def collect(wav: ctypes._Pointer, count: int, _events: int) -> int:  # type: ignore[type-arg]
        if wav and count > 0:
            chunks.append(ctypes.string_at(wav, count * 2))
        return 0

    callback = _SYNTH_CALLBACK(collect)  # kept alive until synthesis ends
    lib.espeak_SetSynthCallback(callback)
    voice = _select_voice(lib, voices)
    lib.espeak_SetParameter(_RATE, max(80, min(450, rate_wpm)), 0)
    lib.espeak_SetParameter(_PITCH, max(0, min(99, pitch)), 0)
    lib.espeak_SetParameter(_VOLUME, 100, 0)
    lib.espeak_ng_SetRandSeed(seed & 0x7FFFFFFF)
    encoded = text.encode("utf-8")
    status = lib.espeak_Synth(encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
    lib.espeak_Synchronize()
    if status != 0:
        raise ValidationError("The offline voice could not read this script.", details={"espeak_status": status})
    return Speech(b"".join(chunks), sample_rate), voice


def _select_voice(lib: ctypes.CDLL, voices: list[str]) -> str:
    for name in voices:
        if name and lib.espeak_SetVoiceByName(name.encode("utf-8")) == 0:
            return name
    raise ConfigurationError(f"None of the offline voices {voices} is installed in eSpeak NG.")
