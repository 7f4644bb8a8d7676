"""Offline image-to-video: a still brought to life with the scene's camera move, encoded to H.264.

Camera words pick the move (push in, pull out, pan, tilt, static, handheld); each frame
is a sub-pixel crop of the still, scaled bilinearly (`warp_box`: the same sampling as Pillow's
`resize(box=...)`, in half its time and straight into the frame buffer), so slow moves glide
instead of stepping a pixel at a time as FFmpeg's zoompan does. Given a voice line, the presenter
speaks it: the talking-video rig (mouth shapes drawn once per clip) makes each frame
before the camera move crops it, so a talking scene is still one encode. Frames stream to FFmpeg's stdin
through one reused buffer, so memory stays flat. Deterministic for a given request.
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
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from core.adapters.media.ffmpeg import BITEXACT_ARGS, FfmpegToolkit, file_url
from core.adapters.media.files import atomic_output, file_sha256
from core.adapters.media.images import flatten_rgb, load_image_safely
from core.adapters.providers.local.base import FinishedOnSubmit
from core.adapters.providers.local.lipsync import TalkTracks, talk_tracks
from core.adapters.providers.local.talking_head import PortraitRig
from core.domain.media import VideoFile
from core.errors import ProviderTimeout, ValidationError
from core.ports import AnimatorContinuity, ImageToVideoRequest, PollResult, Submission

logger = logging.getLogger(__name__)

MAX_DURATION_S = 20.0
# A talking clip: the frame's rig and its per-frame tracks.
Talk = tuple[PortraitRig, TalkTracks]
# A move: t in [0, 1] (and seconds) -> (zoom >= 1, x shift, y shift as shares of the crop's free room).
Move = Callable[[float, float], tuple[float, float, float]]


def _ease(t: float) -> float:
    return t * t * (3 - 2 * t)


def _handheld(seed: int, amount: float) -> Callable[[float], tuple[float, float]]:
    rng = random.Random(seed)
    phases = [rng.uniform(0, math.tau) for _ in range(4)]

    def wobble(seconds: float) -> tuple[float, float]:
        x = math.sin(math.tau * 0.31 * seconds + phases[0]) + 0.5 * math.sin(math.tau * 0.87 * seconds + phases[1])
        y = math.sin(math.tau * 0.23 * seconds + phases[2]) + 0.5 * math.sin(math.tau * 0.71 * seconds + phases[3])
        return amount * x / 1.5, amount * y / 1.5

    return wobble


def camera_move(camera: str, seed: int) -> tuple[str, Move]:
    """The move named by the camera words (first match wins), plus a light handheld wobble where fitting."""
    words = camera.lower().replace("_", " ").replace("-", " ")
    wobble = _handheld(seed, 0.25 if "handheld" in words else 0.06)
    moves: list[tuple[tuple[str, ...], str, Move]] = [
        (("push in", "zoom in", "dolly in"), "push in", lambda t, s: (1.0 + 0.14 * _ease(t), *wobble(s))),
        (("pull out", "zoom out", "dolly out"), "pull out", lambda t, s: (1.14 - 0.14 * _ease(t), *wobble(s))),
        (("pan left",), "pan left", lambda t, s: (1.1, 0.8 - 1.6 * _ease(t), wobble(s)[1])),
        (("pan right", "tracking", "orbit"), "pan right", lambda t, s: (1.1, -0.8 + 1.6 * _ease(t), wobble(s)[1])),
        (("tilt up",), "tilt up", lambda t, s: (1.1, wobble(s)[0], 0.8 - 1.6 * _ease(t))),
        (("tilt down",), "tilt down", lambda t, s: (1.1, wobble(s)[0], -0.8 + 1.6 * _ease(t))),
        (("static", "locked", "tripod"), "static", lambda t, s: (1.02 + 0.02 * t, *wobble(s))),
        (("handheld",), "handheld", lambda t, s: (1.06 + 0.02 * t, *wobble(s))),
    ]
    for keys, name, move in moves:
        if any(k in words for k in keys):
            return name, move
    return "slow push in", lambda t, s: (1.0 + 0.06 * t, *wobble(s))


def request_id(request: ImageToVideoRequest) -> str:
    payload = [
        file_sha256(request.image),
        " ".join(request.prompt.split()),
        round(request.duration_s, 3),
        request.camera,
        request.seed,
        request.width,
        request.height,
    ]
    if request.audio is not None:
        payload += [file_sha256(request.audio), round(request.audio_at_s, 3)]
    return "local-i2v-" + hashlib.sha256(json.dumps(payload).encode("utf-8")).hexdigest()[:32]


def cover_box(src: tuple[int, int], dst: tuple[int, int]) -> tuple[float, float, float, float]:
    """The largest centred region of `src` with `dst`'s aspect: (x, y, w, h)."""
    sw, sh = src
    scale = max(dst[0] / sw, dst[1] / sh)
    w, h = dst[0] / scale, dst[1] / scale
    return (sw - w) / 2, (sh - h) / 2, w, h


def frame_box(
    base: tuple[float, float, float, float], zoom: float, sx: float, sy: float
) -> tuple[float, float, float, float]:
    """The source region for one frame: the base region shrunk by `zoom`, shifted within its free room."""
    x, y, w, h = base
    cw, ch = w / zoom, h / zoom
    free_x, free_y = (w - cw) / 2, (h - ch) / 2
    left = x + free_x + max(-1.0, min(1.0, sx)) * free_x
    top = y + free_y + max(-1.0, min(1.0, sy)) * free_y
    return left, top, left + cw, top + ch


def warp_box(source: np.ndarray, box: tuple[float, float, float, float], out: np.ndarray) -> None:
    """Write into `out` (h x w x 3) the region `box` (left, top, right, bottom; sub-pixel) of `source`
    scaled bilinearly to fill it: pixel centres map as in Pillow's `resize(box=...)` (within a grey
    level or so), edges repeat. The camera only ever enlarges a still made at the clip's size."""
    left, top, right, bottom = box
    kx, ky = (right - left) / out.shape[1], (bottom - top) / out.shape[0]
    if max(kx, ky) > 1.001:  # shrinking (a still larger than the clip): Pillow filters it, a warp would alias
        size = (out.shape[1], out.shape[0])
        out[:] = np.asarray(Image.fromarray(source).resize(size, Image.Resampling.BILINEAR, box=box))
        return
    to_source = np.array([[kx, 0.0, left + 0.5 * kx - 0.5], [0.0, ky, top + 0.5 * ky - 0.5]])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    cv2.warpAffine(
        source, to_source, (out.shape[1], out.shape[0]), dst=out, flags=flags, borderMode=cv2.BORDER_REPLICATE
    )


class LocalImageAnimator(FinishedOnSubmit):
    """Provider[ImageToVideoRequest, VideoFile]. Finishes on submit; renders in collect."""

    def __init__(
        self,
        toolkit: FfmpegToolkit | None = None,
        *,
        fps: int = 30,
        preset: str = "veryfast",
        crf: int = 18,
        threads: int = 2,
        timeout_s: float = 900.0,
    ) -> None:
        self._toolkit = toolkit or FfmpegToolkit()
        self.fps, self.preset, self.crf, self.threads, self.timeout_s = fps, preset, crf, threads, timeout_s
        # One still and a camera move: it cannot end on another frame. A scene past MAX_DURATION_S is
        # extended by animating on from the clip's exact last frame with the same camera words, so the
        # move continues for the extra seconds (issue 18).
        self.continuity = AnimatorContinuity(
            max_clip_s=MAX_DURATION_S, reason="the offline animator moves the camera over one still"
        )

    def submit(self, request: ImageToVideoRequest) -> Submission:
        self._check(request)
        return Submission(request_id=request_id(request), poll_after_s=0.0)

    def collect(self, request: ImageToVideoRequest, result: PollResult, dest_dir: Path) -> VideoFile:
        self._check(request)
        dest = Path(dest_dir) / f"{request_id(request)}.mp4"
        started = time.monotonic()
        image = load_image_safely(request.image)
        still = flatten_rgb(image)
        name, move = camera_move(f"{request.camera} {request.prompt}", request.seed)
        talk = self._talk(image, still, request) if request.audio is not None else None
        with atomic_output(dest) as tmp:
            self._encode(still, move, request, tmp, started, talk)
            video = self._toolkit.video_file(tmp)
        logger.info("animated %.1f s (%s) in %.1f s", request.duration_s, name, time.monotonic() - started)
        return VideoFile(dest, video.duration_s, video.width, video.height)

    def _command(self, request: ImageToVideoRequest, out: Path) -> list[str]:
        size = f"{request.width}x{request.height}"
        frames_in = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", size, "-framerate", str(self.fps)]
        x264 = ["-c:v", "libx264", "-preset", self.preset, "-crf", str(self.crf), "-threads", str(self.threads)]
        output = [*x264, "-pix_fmt", "yuv420p", "-an", "-movflags", "+faststart", *BITEXACT_ARGS, "-f", "mp4"]
        return self._toolkit.command(*frames_in, "-protocol_whitelist", "pipe", "-i", "pipe:0", *output, file_url(out))

    def _talk(self, image: Image.Image, still: Image.Image, request: ImageToVideoRequest) -> Talk:
        """The portrait rig of the frame (its mouth shapes drawn once) and per-frame mouth, head and blink tracks."""
        rig = PortraitRig.from_image(image, still.width, still.height)
        count = max(1, round(request.duration_s * self.fps))
        assert request.audio is not None
        return rig, talk_tracks(request.audio, count, self.fps, request.audio_at_s, request.seed, blinks=rig.can_blink)

    def _encode(
        self,
        still: Image.Image,
        move: Move,
        request: ImageToVideoRequest,
        out: Path,
        started: float,
        talk: Talk | None = None,
    ) -> None:
        with tempfile.TemporaryFile() as errors:
            proc = subprocess.Popen(
                self._command(request, out), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors
            )
            try:
                self._stream(proc, still, move, request, started, talk)
                code = proc.wait(timeout=max(1.0, self.timeout_s - (time.monotonic() - started)))
            except subprocess.TimeoutExpired as exc:
                raise ProviderTimeout("The scene clip took too long to render.", provider=self.name) from exc
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            if code != 0:
                errors.seek(0)
                raise self._toolkit.failure("scene clip encode", errors.read().decode("utf-8", "replace"))

    def _stream(
        self,
        proc: subprocess.Popen[bytes],
        still: Image.Image,
        move: Move,
        request: ImageToVideoRequest,
        started: float,
        talk: Talk | None = None,
    ) -> None:
        """Each frame: the still (or, talking, the rig's frame with this instant's mouth) through the camera move."""
        assert proc.stdin is not None
        base = cover_box(still.size, (request.width, request.height))
        count = max(1, round(request.duration_s * self.fps))
        pixels = np.asarray(still, dtype=np.uint8)
        canvas = np.empty((still.height, still.width, 3), np.uint8) if talk else None
        frame = np.empty((request.height, request.width, 3), np.uint8)  # one buffer, written to the pipe as is
        try:
            for i in range(count):
                zoom, sx, sy = move(i / max(1, count - 1), i / self.fps)
                box = frame_box(base, max(1.0, zoom), sx, sy)
                source = pixels
                if talk is not None and canvas is not None:
                    rig, tracks = talk
                    rig.compose(canvas, *tracks.at(i))
                    source = canvas
                warp_box(source, box, frame)
                proc.stdin.write(frame.data)
                if i % 30 == 0 and time.monotonic() - started > self.timeout_s:
                    raise subprocess.TimeoutExpired("ffmpeg", self.timeout_s)
        except BrokenPipeError:
            logger.warning("ffmpeg closed its input early")  # its exit code explains why
        finally:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()

    @staticmethod
    def _check(request: ImageToVideoRequest) -> None:
        if not 0.5 <= request.duration_s <= MAX_DURATION_S:
            raise ValidationError(f"A scene clip must be between 0.5 and {MAX_DURATION_S:g} seconds long.")
        if request.width % 2 or request.height % 2 or min(request.width, request.height) < 64:
            raise ValidationError("Clip width and height must be even and at least 64 pixels.")
        if not Path(request.image).is_file():
            raise ValidationError("The storyboard frame to animate is missing.")
