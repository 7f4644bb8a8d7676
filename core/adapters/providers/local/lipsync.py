"""Offline lip-sync: a portrait whose mouth follows the audio's loudness, encoded to H.264.

Frames are generated one at a time into a single reusable buffer and streamed to
FFmpeg's stdin as raw RGB, so memory stays flat whatever the length.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import random
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.adapters.media.ffmpeg import BITEXACT_ARGS, FfmpegToolkit, file_url
from core.adapters.media.files import atomic_output, file_sha256
from core.adapters.media.images import load_image_safely
from core.adapters.media.probe import decode_audio_mono
from core.adapters.providers.local.base import FinishedOnSubmit
from core.adapters.providers.local.talking_head import MOUTH_LEVELS, PortraitRig
from core.domain.media import VideoFile
from core.errors import MediaRejected, ProviderTimeout, ValidationError
from core.ports import LipSyncRequest, PollResult, Submission

logger = logging.getLogger(__name__)

ENVELOPE_RATE = 24_000  # a whole number of samples per frame at 24, 25, 30 and 60 fps
_VIDEO_OUT = ["-map", "0:v:0", "-c:v", "libx264", "-tune", "stillimage", "-pix_fmt", "yuv420p"]
_AUDIO_OUT = ["-map", "1:a:0", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart"]
MAX_DURATION_S = 600.0


def mouth_levels(samples: np.ndarray, rate: int, fps: int, n_frames: int) -> np.ndarray:
    """Per-frame mouth opening 0..MOUTH_LEVELS-1 from RMS loudness relative to the loud parts."""
    window = rate // fps
    padded = np.zeros(n_frames * window, np.float32)
    padded[: min(len(samples), len(padded))] = samples[: len(padded)]
    rms = np.sqrt(np.mean(padded.reshape(n_frames, window) ** 2, axis=1))
    db = 20 * np.log10(rms + 1e-7)
    voiced = db[db > -55]
    reference = float(np.percentile(voiced, 90)) if voiced.size else -20.0
    openness = np.clip((db - (reference - 28)) / 22, 0.0, 1.0)
    openness[db < -55] = 0.0
    smoothed = np.convolve(openness, [0.25, 0.5, 0.25], mode="same")
    return np.rint(smoothed * (MOUTH_LEVELS - 1)).astype(np.int8)


def head_motion(n_frames: int, fps: int, seed: int) -> np.ndarray:
    """Slow, small vertical bob in whole pixels (cheap for the encoder's motion search)."""
    rng = random.Random(seed)
    phase1, phase2 = rng.uniform(0, math.tau), rng.uniform(0, math.tau)
    t = np.arange(n_frames) / fps
    bob = 2.2 * np.sin(math.tau * t / 3.4 + phase1) + 0.9 * np.sin(math.tau * t / 1.45 + phase2)
    return np.rint(bob).astype(np.int8)


def blink_track(n_frames: int, fps: int, seed: int) -> np.ndarray:
    """0 open, 1 half, 2 closed; a blink every 2.5-5.5 s, about 160 ms long."""
    rng = random.Random(seed ^ 0x5EED)
    track = np.zeros(n_frames, np.int8)
    frame = int(rng.uniform(1.0, 3.0) * fps)
    shape = (1, 2, 2, 1)
    while frame < n_frames:
        for i, state in enumerate(shape):
            if frame + i < n_frames:
                track[frame + i] = state
        frame += int(rng.uniform(2.5, 5.5) * fps)
    return track


@dataclass(frozen=True, slots=True)
class TalkTracks:
    """Per-frame mouth opening, head offset, blink state and brow lift for one talking clip."""

    mouth: np.ndarray
    head_dy: np.ndarray
    blink: np.ndarray
    head_dx: np.ndarray
    brow: np.ndarray

    def __len__(self) -> int:
        return len(self.mouth)

    def at(self, i: int) -> tuple[int, int, int, int, int]:
        """The arguments of `PortraitRig.compose` for frame i (dy, mouth level, blink, dx, brow)."""
        i = min(i, len(self.mouth) - 1)
        return (
            int(self.head_dy[i]), int(self.mouth[i]), int(self.blink[i]), int(self.head_dx[i]), int(self.brow[i])
        )  # fmt: skip


def _smooth(values: np.ndarray, frames: int) -> np.ndarray:
    width = max(1, frames)
    padded = np.pad(values.astype(np.float32), (width // 2, width - 1 - width // 2), mode="edge")
    return np.convolve(padded, np.ones(width) / width, mode="valid")


def expression(levels: np.ndarray, fps: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(extra nod dy, sway dx, brow lift) following the voice's energy: a nod and lifted brows on
    emphasis (energy well above its recent average), a sway that grows while speaking."""
    energy = levels.astype(np.float32) / max(1, MOUTH_LEVELS - 1)
    fast, slow = _smooth(energy, round(fps * 0.25)), _smooth(energy, round(fps * 1.2))
    emphasis = np.clip(fast - slow, 0.0, None)
    nod = np.rint(np.clip(emphasis * 6.0, 0, 2))
    rng = random.Random(seed ^ 0xACE)
    t = np.arange(len(levels)) / fps
    sway = (0.8 + 1.6 * slow) * np.sin(math.tau * t / 4.7 + rng.uniform(0, math.tau))
    brow = np.where(emphasis > 0.22, 2, np.where(emphasis > 0.12, 1, 0))
    return nod.astype(np.int8), np.rint(sway).astype(np.int8), brow.astype(np.int8)


def tracks_for(samples: np.ndarray, rate: int, fps: int, n_frames: int, seed: int, *, blinks: bool) -> TalkTracks:
    levels = mouth_levels(samples, rate, fps, n_frames)
    nod, sway, brow = expression(levels, fps, seed)
    return TalkTracks(
        levels,
        (head_motion(n_frames, fps, seed) + nod).astype(np.int8),
        blink_track(n_frames, fps, seed) if blinks else np.zeros(n_frames, np.int8),
        sway,
        brow,
    )


def talk_tracks(audio: Path, n_frames: int, fps: int, at_s: float, seed: int, *, blinks: bool) -> TalkTracks:
    """Tracks for a clip whose voice line starts `at_s` seconds in (silence before it: mouth closed)."""
    samples = decode_audio_mono(audio, rate=ENVELOPE_RATE)
    lead = np.zeros(max(0, round(at_s * ENVELOPE_RATE)), np.float32)
    return tracks_for(np.concatenate([lead, samples]), ENVELOPE_RATE, fps, n_frames, seed, blinks=blinks)


def lipsync_request_id(request: LipSyncRequest) -> str:
    payload = {
        "image": file_sha256(request.image),
        "audio": file_sha256(request.audio),
        "seed": request.seed,
        "size": [request.width, request.height],
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    return f"local-lipsync-{digest[:32]}"


class LocalLipSyncer(FinishedOnSubmit):
    """Provider[LipSyncRequest, VideoFile]. Finishes on submit; renders in collect."""

    def __init__(
        self,
        toolkit: FfmpegToolkit | None = None,
        *,
        fps: int = 25,
        preset: str = "veryfast",
        crf: int = 23,
        threads: int = 2,
        timeout_s: float = 900.0,
    ) -> None:
        self._toolkit = toolkit or FfmpegToolkit()
        self.fps, self.preset, self.crf, self.threads, self.timeout_s = fps, preset, crf, threads, timeout_s

    def submit(self, request: LipSyncRequest) -> Submission:
        self._check(request)
        return Submission(request_id=lipsync_request_id(request), poll_after_s=0.0)

    def collect(self, request: LipSyncRequest, result: PollResult, dest_dir: Path) -> VideoFile:
        self._check(request)
        dest = Path(dest_dir) / f"{lipsync_request_id(request)}.mp4"
        return self.render(
            request.image, request.audio, dest, width=request.width, height=request.height, seed=request.seed
        )

    @staticmethod
    def _check(request: LipSyncRequest) -> None:
        if request.width % 2 or request.height % 2 or min(request.width, request.height) < 64:
            raise ValidationError("Video width and height must be even and at least 64 pixels.")
        for path in (request.image, request.audio):
            if not Path(path).is_file():
                raise ValidationError("An input file for the talking video is missing.")

    # ------------------------------------------------------------------ rendering

    def render(
        self, image: Path, audio: Path, dest: Path, *, width: int = 720, height: int = 1280, seed: int = 0
    ) -> VideoFile:
        started = time.monotonic()
        if not self._toolkit.probe(audio).has_audio:
            raise MediaRejected("The voice track has no sound in it.")
        samples = decode_audio_mono(audio, rate=ENVELOPE_RATE)
        duration = len(samples) / ENVELOPE_RATE
        if not 0 < duration <= MAX_DURATION_S:
            raise ValidationError(f"The voice track must be between 0 and {MAX_DURATION_S:g} seconds long.")
        n_frames = max(1, math.ceil(duration * self.fps - 1e-6))
        rig = PortraitRig.from_image(load_image_safely(image), width, height)
        tracks = tracks_for(samples, ENVELOPE_RATE, self.fps, n_frames, seed, blinks=rig.can_blink)
        del samples
        dest = Path(dest)
        with atomic_output(dest) as tmp:
            self._encode(rig, tracks, audio, tmp, started)
            video = self._toolkit.video_file(tmp)
        logger.info("lip-sync %.1f s of audio in %.1f s", duration, time.monotonic() - started)
        return VideoFile(dest, video.duration_s, video.width, video.height)

    def _command(self, rig: PortraitRig, audio: Path, out: Path) -> list[str]:
        raw = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{rig.width}x{rig.height}", "-framerate", str(self.fps)]
        frames_in = [*raw, "-protocol_whitelist", "pipe", "-i", "pipe:0"]
        x264 = [*_VIDEO_OUT, "-preset", self.preset, "-crf", str(self.crf), "-threads", str(self.threads)]
        output = [*x264, *_AUDIO_OUT, *BITEXACT_ARGS, "-f", "mp4", file_url(out)]
        return self._toolkit.command(*frames_in, *self._toolkit.input_args(audio), *output)

    def _encode(self, rig: PortraitRig, tracks: TalkTracks, audio: Path, out: Path, started: float) -> None:
        with tempfile.TemporaryFile() as errors:
            proc = subprocess.Popen(
                self._command(rig, audio, out), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors
            )
            try:
                self._stream_frames(proc, rig, tracks, started)
                code = proc.wait(timeout=max(1.0, self.timeout_s - (time.monotonic() - started)))
            except subprocess.TimeoutExpired as exc:
                raise ProviderTimeout("The talking video took too long to render.", provider=self.name) from exc
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            if code != 0:
                errors.seek(0)
                raise self._toolkit.failure("lip-sync encode", errors.read().decode("utf-8", "replace"))

    def _stream_frames(
        self, proc: subprocess.Popen[bytes], rig: PortraitRig, tracks: TalkTracks, started: float
    ) -> None:
        assert proc.stdin is not None
        frame = np.empty((rig.height, rig.width, 3), np.uint8)
        try:
            for i in range(len(tracks)):
                rig.compose(frame, *tracks.at(i))
                proc.stdin.write(frame.data)
                if i % 50 == 0 and time.monotonic() - started > self.timeout_s:
                    raise subprocess.TimeoutExpired("ffmpeg", self.timeout_s)
        except BrokenPipeError:
            logger.warning("ffmpeg closed its input early")  # its exit code explains why
        finally:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
