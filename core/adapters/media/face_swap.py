"""A real, simple offline face swap: find the face in each frame with OpenCV's bundled
frontal cascade, scale the source face onto it, match its colours to the frame's face
(mean and spread per LAB channel) and blend it in with Poisson (seamless) cloning.

Frames where no face is found keep the last box for a few frames (cascades flicker),
then pass through untouched. Pixels outside the blended ellipse are never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np

from core.adapters.media.faces import Face, frontal_faces
from core.errors import ValidationError

HOLD_FRAMES = 6  # reuse a face box this many frames when the cascade misses one
DETECT_EVERY = 2  # detect on every other frame and keep the box between (faces move slowly)


@dataclass(frozen=True, slots=True)
class SwapStats:
    frames: int
    swapped: int
    fps: float
    width: int
    height: int


def source_face(face_rgb: np.ndarray) -> np.ndarray:
    """The face crop of the swap's source image (a little wider than the detected box)."""
    faces = frontal_faces(face_rgb)
    if not faces:
        raise ValidationError("No face found in the face image; use a clear front photo.")
    f = faces[0]
    return face_rgb[f.y : f.y + f.h, f.x : f.x + f.w].copy()


def _colour_matched(src: np.ndarray, target: np.ndarray, mask: np.ndarray) -> np.ndarray:
    src_lab = cv2.cvtColor(src, cv2.COLOR_RGB2LAB).astype(np.float32)
    dst_lab = cv2.cvtColor(target, cv2.COLOR_RGB2LAB).astype(np.float32)
    inside = mask > 0
    for c in range(3):
        s, d = src_lab[..., c][inside], dst_lab[..., c][inside]
        if s.size and d.size:
            src_lab[..., c] = (src_lab[..., c] - s.mean()) * (d.std() / (s.std() + 1e-6)) + d.mean()
    return cv2.cvtColor(np.clip(src_lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def face_mask(w: int, h: int) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (w // 2, h // 2), (max(1, int(w * 0.42)), max(1, int(h * 0.48))), 0, 0, 360, 255, -1)  # type: ignore[call-overload]  # stubs want a Scalar; an int is one
    return mask


def swap_frame(frame: np.ndarray, face: np.ndarray, box: Face) -> np.ndarray:
    """The frame with `face` blended into `box` (RGB uint8 arrays)."""
    height, width = frame.shape[:2]
    x, y = max(1, box.x), max(1, box.y)
    w, h = min(box.w, width - x - 1), min(box.h, height - y - 1)
    if w < 8 or h < 8:
        return frame
    src = cv2.resize(face, (w, h), interpolation=cv2.INTER_AREA)
    mask = face_mask(w, h)
    src = _colour_matched(src, frame[y : y + h, x : x + w], mask)
    centre = (x + w // 2, y + h // 2)
    blended = cv2.seamlessClone(
        cv2.cvtColor(src, cv2.COLOR_RGB2BGR), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), mask, centre, cv2.NORMAL_CLONE
    )
    out = frame.copy()
    region = np.zeros((height, width), bool)
    region[y : y + h, x : x + w] = mask > 0
    out[region] = cv2.cvtColor(blended, cv2.COLOR_BGR2RGB)[region]  # only the ellipse changes
    return out


def swap_video(src: Path, face_image: np.ndarray, dest: Path, *, ffmpeg_safe_input: list[str]) -> SwapStats:
    """Decode `src`, swap every frame, encode H.264 to `dest` with the source's audio kept."""
    face = source_face(face_image)
    reader = imageio_ffmpeg.read_frames(str(src), input_params=ffmpeg_safe_input)
    meta = next(reader)
    width, height = meta["size"]
    fps = float(meta.get("fps") or 25.0)
    has_audio = bool(meta.get("audio_codec"))
    writer = imageio_ffmpeg.write_frames(
        str(dest), (width, height), fps=fps, codec="libx264", macro_block_size=2,
        output_params=["-preset", "veryfast", "-crf", "18", "-movflags", "+faststart"],
        audio_path=str(src) if has_audio else None, audio_codec="aac" if has_audio else None,
    )  # fmt: skip
    writer.send(None)
    frames = swapped = 0
    last: Face | None = None
    missed = 0
    try:
        for raw in reader:
            frame = np.frombuffer(raw, np.uint8).reshape(height, width, 3)
            if frames % DETECT_EVERY == 0 or last is None:
                found = frontal_faces(frame)
                if found:
                    last, missed = found[0], 0
                else:
                    missed += DETECT_EVERY
                    last = last if missed <= HOLD_FRAMES else None
            if last is not None:
                frame = swap_frame(frame, face, last)
                swapped += 1
            writer.send(np.ascontiguousarray(frame))
            frames += 1
    finally:
        writer.close()
        reader.close()
    return SwapStats(frames=frames, swapped=swapped, fps=fps, width=width, height=height)
