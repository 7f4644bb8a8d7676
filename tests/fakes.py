"""Fakes for the ports, checked by their state. They write real (tiny) files so steps can store them."""

from __future__ import annotations

import hashlib
import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.domain.media import AudioClip, ImageFile, MediaInfo, VideoFile
from core.errors import MediaRejected, ProviderError, TransientError
from core.ports import PollResult, PredictionState, Submission
from core.ports_services import ProviderChoice, Providers


def _png(width: int = 64, height: int = 96) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 160, 220)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG_1PX = _png()


@dataclass
class FakeProvider:
    """A provider capability whose behaviour a test scripts.

    `pending_polls`: how many polls answer PENDING before DONE.
    `faults`: exceptions raised by successive submit calls (None = no fault).
    `poll_faults`: the same for poll.
    `poll_after_s`: the delay a PENDING answer asks for.
    """

    kind: str  # "speech" | "image" | "video"
    name: str = "fake"
    pending_polls: int = 0
    faults: list[Exception | None] = field(default_factory=list)
    poll_faults: list[Exception | None] = field(default_factory=list)
    fail_message: str | None = None
    duration_s: float = 2.0
    price: float = 0.5
    poll_after_s: float = 0.01
    submits: int = 0
    polls: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def submit(self, request: Any) -> Submission:
        with self.lock:
            if self.faults and (fault := self.faults.pop(0)) is not None:
                raise fault
            self.submits += 1
            request_id = f"{self.name}-{self.submits}-{hashlib.sha1(repr(request).encode()).hexdigest()[:8]}"
            self.polls[request_id] = 0
        return Submission(request_id=request_id, poll_after_s=0.01)

    def poll(self, request_id: str) -> PollResult:
        with self.lock:
            if self.poll_faults and (fault := self.poll_faults.pop(0)) is not None:
                raise fault
            self.polls[request_id] = self.polls.get(request_id, 0) + 1
            count = self.polls[request_id]
        if self.fail_message:
            return PollResult(PredictionState.FAILED, message=self.fail_message)
        if count <= self.pending_polls:
            return PollResult(PredictionState.PENDING, poll_after_s=self.poll_after_s)
        return PollResult(PredictionState.DONE, output={"request_id": request_id})

    def collect(self, request: Any, result: PollResult, dest_dir: Path) -> Any:
        dest_dir.mkdir(parents=True, exist_ok=True)
        if self.kind == "speech":
            path = dest_dir / "speech.mp3"
            path.write_bytes(b"ID3fake-audio")
            return AudioClip(path=path, duration_s=self.duration_s, content_type="audio/mpeg")
        if self.kind == "image":
            path = dest_dir / "image.png"
            path.write_bytes(PNG_1PX)
            return ImageFile(path=path, width=1, height=1)
        path = dest_dir / "video.mp4"
        path.write_bytes(b"fake-mp4")
        return VideoFile(path=path, duration_s=self.duration_s, width=720, height=1280)

    def cost_usd(self, request: Any, output: Any) -> float:
        return self.price


class FakeMedia:
    """Stands in for FFmpeg: accepts files starting with b'ID3' or b'RIFF' as audio."""

    def __init__(self, duration_s: float = 3.0) -> None:
        self.duration_s = duration_s

    def probe(self, path: Path) -> MediaInfo:
        head = path.read_bytes()[:4]
        if head[:3] != b"ID3" and head != b"RIFF":
            raise MediaRejected("This file is not an audio or video file we can read.")
        return MediaInfo(container="mp3", duration_s=self.duration_s, has_audio=True, has_video=False)

    def validate_audio_upload(self, path: Path, *, max_bytes: int, max_duration_s: float) -> MediaInfo:
        info = self.probe(path)
        if info.duration_s > max_duration_s:
            raise MediaRejected(f"Your recording is {info.duration_s:.1f} s; the limit is {max_duration_s:.0f} s.")
        return info

    def transcode_audio_mp3(self, src: Path, dest: Path) -> AudioClip:
        dest.write_bytes(b"ID3" + src.read_bytes())
        return AudioClip(path=dest, duration_s=self.duration_s)

    def poster_frame(self, video: Path, dest: Path, *, at_s: float = 0.5) -> ImageFile:
        dest.write_bytes(b"\xff\xd8\xff fake jpeg")
        return ImageFile(path=dest, width=720, height=1280, content_type="image/jpeg")

    def thumbnail(self, image: Path, dest: Path, *, max_side: int = 360) -> ImageFile:
        dest.write_bytes(b"\xff\xd8\xff fake jpeg")
        return ImageFile(path=dest, width=1, height=1, content_type="image/jpeg")


def fake_providers(**overrides: FakeProvider) -> Providers:
    defaults = {
        "image_edit": FakeProvider("image"),
        "speech": FakeProvider("speech"),
        "lipsync": FakeProvider("video"),
        "image_gen": FakeProvider("image"),
        "image_to_video": FakeProvider("video"),
    }
    defaults.update(overrides)
    return Providers(
        choices={
            cap: ProviderChoice(capability=cap, provider=p, vendor=p.name, model="fake", key_present=False)
            for cap, p in defaults.items()
        }
    )


class ManualQueue:
    """A queue a test drives by hand: `drain()` runs due work synchronously, delays collapsed."""

    name = "manual"

    def __init__(self, handler: Callable[[str], None] | None = None) -> None:
        self.handler = handler
        self.enqueued: list[tuple[str, float]] = []
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()

    def enqueue(self, job_id: str, *, delay_s: float = 0.0) -> None:
        self.enqueued.append((job_id, delay_s))
        heapq.heappush(self._heap, (delay_s, next(self._seq), job_id))

    def drain(self, max_steps: int = 500) -> int:
        """Run queued work in delay order until nothing is left; returns passes run."""
        assert self.handler is not None, "set ManualQueue.handler first"
        passes = 0
        while self._heap and passes < max_steps:
            _, _, job_id = heapq.heappop(self._heap)
            self.handler(job_id)
            passes += 1
        return passes

    def clear(self) -> None:
        """Forget queued work and the record of it (as if the queue were lost)."""
        self._heap.clear()
        self.enqueued.clear()

    def check(self) -> str:
        return "manual test queue"

    def shutdown(self) -> None:
        return None


def transient(message: str = "rate limited", retry_after_s: float | None = None) -> TransientError:
    return TransientError(message, provider="fake", status_code=429, retry_after_s=retry_after_s)


def refused(message: str = "prompt refused by the safety filter") -> ProviderError:
    return ProviderError(message, provider="fake", status_code=422)


def add_actor(services: Any, key: str = "test_actor", *, portrait: bytes = PNG_1PX, **fields: Any) -> str:
    """A catalog actor with a stored portrait, without going through the seed loader."""
    from core.adapters.db.models.talking import Actor
    from core.domain.types import MediaKind

    image_key = services.storage.put_bytes(MediaKind.IMAGE, portrait, name=f"catalog/{key}", content_type="image/png")
    values = dict(
        key=key,
        display_name="Test Actor",
        image_key=image_key,
        voice_id="en-us",
        age_range="25-34",
        gender="female",
        tags=["beach", "general"],
    )
    values.update(fields)
    with services.db.session() as session:
        actor = Actor(**values)
        session.add(actor)
        session.flush()
        return actor.id
