"""LoRA (upload with header checks, training as a durable job on the fal stub) and face swap
(offline OpenCV swap through the job engine; the cloud swap on the stub), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path

import httpx
import imageio_ffmpeg
import numpy as np
import pytest
from sqlalchemy import select

from core.adapters.db.database import Database
from core.adapters.db.models.accounts import AuditEvent
from core.adapters.db.models.jobs import CostRecord, Job, JobStep
from core.adapters.media.faces import frontal_faces
from core.adapters.media.safetensors_check import check_safetensors
from core.adapters.providers.fal.queue import FalQueue
from core.adapters.providers.fal.twins import FalFaceSwapper, FalLoraTrainer
from core.adapters.providers.http.download import GuardedDownloader
from core.adapters.providers.local.face_swap import LocalFaceSwapper
from core.config import Settings
from core.errors import ConfigurationError, MediaRejected, NotFound, ValidationError
from core.services.accounts.identity import ensure_user
from core.services.avatars import face_swap, lora, manage
from core.services.talking.projects import create_project
from tests.avatar_support import avatar_services, front, three_views
from tests.stubs import FalStub
from tests.stubs.fal import SWAP, TRAINER, safetensors_bytes

LOOPBACK = frozenset({"127.0.0.1"})


@pytest.fixture
def fal() -> Iterator[FalStub]:
    with FalStub() as stub:
        yield stub


def _fal_parts(fal: FalStub) -> tuple[FalQueue, GuardedDownloader]:
    http = httpx.Client(timeout=httpx.Timeout(2.0))
    queue = FalQueue("test-key", http=http, queue_url=fal.url, rest_url=fal.url, cdn_url=fal.url,
                     submit_timeout_s=2.0, upload_backoff_s=0.0, sleep=lambda s: None)  # fmt: skip
    return queue, GuardedDownloader(http, max_bytes=50_000_000, allow_http=True, allow_private_hosts=LOOPBACK)


def _world(settings: Settings, db: Database, **providers: object):  # type: ignore[no-untyped-def]
    services = avatar_services(settings, db, **providers)
    owner = ensure_user(services.db, "owner@example.com")
    project = create_project("Twins", owner_id=owner, services=services).id
    return services, owner, project


# --------------------------------------------------------------------------- .safetensors


def _lying(header: dict, data: bytes) -> bytes:  # type: ignore[type-arg]
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "shorter than"),
        (struct.pack("<Q", 10**9) + b"{}", "header claims"),
        (struct.pack("<Q", 5) + b"nope!" + b"\0" * 8, "not JSON"),
        (_lying({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8), "covers 16 bytes"),
        (_lying({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}, b"\0" * 8), "needs 16"),
        (_lying({"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}, b"\0" * 16), "gaps"),
        (_lying({"w": {"dtype": "Q4", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8), "unknown dtype"),
        (_lying({"__metadata__": {"a": "b"}}, b""), "no tensors"),
    ],
)
def test_lying_safetensors_headers_are_refused(tmp_path: Path, data: bytes, why: str) -> None:
    path = tmp_path / "x.safetensors"
    path.write_bytes(data)
    with pytest.raises(MediaRejected, match=why):
        check_safetensors(path, max_bytes=1_000_000)


def test_a_real_safetensors_passes(tmp_path: Path) -> None:
    path = tmp_path / "ok.safetensors"
    path.write_bytes(safetensors_bytes(32, metadata={"format": "pt"}))
    info = check_safetensors(path, max_bytes=1_000_000)
    assert (info.tensors, info.parameters, info.metadata) == (1, 32, {"format": "pt"})


# --------------------------------------------------------------------------- LoRA services


def test_upload_lists_and_deletes_and_refuses_lies(settings: Settings, db: Database) -> None:
    services, owner, project = _world(settings, db)
    lora_id = lora.upload_lora(project, "Dana v1", "dana_person", safetensors_bytes(), user_id=owner,
                               services=services)  # fmt: skip
    [view] = lora.list_loras(project, user_id=owner, services=services, ready_only=True)
    assert (view.id, view.source, view.status) == (lora_id, "uploaded", "ready")
    liar = _lying({"w": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}}, b"\0" * 16)
    with pytest.raises(MediaRejected):
        lora.upload_lora(project, "Liar", "liar_x", liar, user_id=owner, services=services)
    assert len(lora.list_loras(project, user_id=owner, services=services)) == 1
    stranger = ensure_user(services.db, "s@example.com")
    with pytest.raises(NotFound):
        lora.upload_lora(project, "X", "xx", safetensors_bytes(), user_id=stranger, services=services)
    lora.delete_lora(lora_id, user_id=owner, services=services)
    assert not services.storage.exists(view.weights_key or "")


def test_training_offline_says_a_fal_key_is_needed(settings: Settings, db: Database) -> None:
    services, owner, project = _world(settings, db)
    avatar = manage.create_avatar(project, "Dana", three_views(), consent=True, user_id=owner, services=services)
    assert not lora.can_train(user_id=owner, services=services)
    with pytest.raises(ConfigurationError, match="fal.ai key"):
        lora.train_lora(project, "Dana", "dana_person", avatar_id=avatar, user_id=owner, services=services)


def test_training_is_one_submit_many_polls_then_weights_are_ours(
    settings: Settings, db: Database, fal: FalStub
) -> None:
    fal.min_polls[TRAINER] = 25
    queue, downloader = _fal_parts(fal)
    trainer = FalLoraTrainer(queue, model=TRAINER, price_per_1000_steps=4.0, downloader=downloader,
                             max_bytes=10_000_000, poll_after_s=0.0)  # fmt: skip
    services, owner, project = _world(settings, db, lora_train=trainer)
    avatar = manage.create_avatar(project, "Dana", three_views(), consent=True, user_id=owner, services=services)
    lora_id = lora.train_lora(project, "Dana", "dana_person", steps=1200, avatar_id=avatar, user_id=owner,
                              services=services)  # fmt: skip
    assert lora.get_lora(lora_id, user_id=owner, services=services).status == "pending"
    services.queue.drain(max_steps=3)
    assert lora.get_lora(lora_id, user_id=owner, services=services).status == "training"
    services.queue.drain()
    view = lora.get_lora(lora_id, user_id=owner, services=services)
    assert view.status == "ready", view.error
    assert fal.count("submit") == 1 and fal.created_count(TRAINER) == 1
    with services.db.session() as session:
        [step] = session.scalars(select(JobStep).where(JobStep.name == "train")).all()
        assert step.polls > 25
        [cost] = session.scalars(select(CostRecord).where(CostRecord.capability == "lora_train")).all()
        assert cost.amount_usd == pytest.approx(4.8)
    weights = services.storage.read_bytes(view.weights_key or "")
    assert weights == safetensors_bytes()
    zip_sent = fal.file_of(next(iter(fal.predictions.values())).inputs["training_data_url"])
    assert zip_sent is not None and zip_sent[0][:2] == b"PK"


# --------------------------------------------------------------------------- face swap


def _talking_video(path: Path, width: int = 360, height: int = 640, seconds: float = 1.0) -> Path:
    base = np.asarray(front(0).resize((width, height)))
    writer = imageio_ffmpeg.write_frames(str(path), (width, height), fps=25, codec="libx264", macro_block_size=2,
                                         output_params=["-preset", "veryfast", "-crf", "16"])  # fmt: skip
    writer.send(None)
    for _ in range(int(25 * seconds)):
        writer.send(np.ascontiguousarray(base))
    writer.close()
    return path


def _frames(path: Path) -> list[np.ndarray]:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    return [np.frombuffer(f, np.uint8).reshape(h, w, 3).astype(np.int16) for f in reader]


def test_offline_swap_changes_the_face_and_nothing_else(settings: Settings, db: Database, tmp_path: Path) -> None:
    services, owner, project = _world(settings, db, face_swap=LocalFaceSwapper(max_seconds=60))
    avatar = manage.create_avatar(project, "Kenji", _kenji(), consent=True, user_id=owner,
                                  services=services)  # fmt: skip
    photo = manage.get_avatar(avatar, user_id=owner, services=services).photos[0]
    source = _talking_video(tmp_path / "talk.mp4")
    swap_id = face_swap.start_face_swap(project, face_kind="photo", face_id=photo.id, consent=True,
                                        upload=source.read_bytes(), user_id=owner, services=services)  # fmt: skip
    services.queue.drain()
    [view] = face_swap.list_face_swaps(project, user_id=owner, services=services)
    assert (view.id, view.status, view.video_type, view.parent_kind) == (swap_id, "ready", "face_swapped", "upload")
    out = tmp_path / "out.mp4"
    out.write_bytes(services.storage.read_bytes(view.video_key or ""))
    before, after = _frames(source), _frames(out)
    assert len(before) == len(after) == 25
    face = frontal_faces(before[0].astype(np.uint8))[0]
    inside = np.zeros(before[0].shape[:2], bool)
    inside[face.y : face.y + face.h, face.x : face.x + face.w] = True
    margin = np.ones_like(inside)
    margin[max(0, face.y - 24) : face.y + face.h + 24, max(0, face.x - 24) : face.x + face.w + 24] = False
    for b, a in zip(before[::6], after[::6], strict=True):
        diff = np.abs(a - b).mean(axis=2)
        assert diff[inside].mean() > 8.0  # the face really changed
        assert diff[margin].mean() < 1.5  # the rest only carries re-encoding noise
    with services.db.session() as session:
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "face_swap.consent")).one()


def _kenji() -> list[bytes]:
    from tests.avatar_support import left_profile, png, right_profile

    return [png(front(1)), png(left_profile()), png(right_profile())]


def test_a_playlist_is_refused_before_anything_is_stored(settings: Settings, db: Database) -> None:
    services, owner, project = _world(settings, db, face_swap=LocalFaceSwapper())
    avatar = manage.create_avatar(project, "Dana", three_views(), consent=True, user_id=owner, services=services)
    photo = manage.get_avatar(avatar, user_id=owner, services=services).photos[0]
    playlist = b"#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:10.0,\nhttp://127.0.0.1:9/segment0.ts\n#EXT-X-ENDLIST\n"
    with pytest.raises(MediaRejected):
        face_swap.start_face_swap(project, face_kind="photo", face_id=photo.id, consent=True, upload=playlist,
                                  user_id=owner, services=services)  # fmt: skip
    with pytest.raises(ValidationError, match="permission"):
        face_swap.start_face_swap(project, face_kind="photo", face_id=photo.id, consent=False, upload=b"x",
                                  user_id=owner, services=services)  # fmt: skip
    assert face_swap.list_face_swaps(project, user_id=owner, services=services) == []
    with services.db.session() as session:
        assert session.scalars(select(Job)).all() == []


def test_cloud_swap_runs_once_on_the_stub(settings: Settings, db: Database, fal: FalStub, tmp_path: Path) -> None:
    from core.adapters.media.ffmpeg import FfmpegToolkit

    fal.min_polls[SWAP] = 5
    queue, downloader = _fal_parts(fal)
    swapper = FalFaceSwapper(queue, model=SWAP, price_per_second=0.1, downloader=downloader,
                             probe=FfmpegToolkit().probe, poll_after_s=0.0)  # fmt: skip
    services, owner, project = _world(settings, db, face_swap=swapper)
    avatar = manage.create_avatar(project, "Dana", three_views(), consent=True, user_id=owner, services=services)
    photo = manage.get_avatar(avatar, user_id=owner, services=services).photos[0]
    source = _talking_video(tmp_path / "talk.mp4", 96, 160)
    face_swap.start_face_swap(project, face_kind="photo", face_id=photo.id, consent=True, resolution="540p",
                              upload=source.read_bytes(), user_id=owner, services=services)  # fmt: skip
    services.queue.drain()
    [view] = face_swap.list_face_swaps(project, user_id=owner, services=services)
    assert view.status == "ready" and view.provider == f"fal:{SWAP}"
    assert fal.count("submit") == 1
    assert next(iter(fal.predictions.values())).inputs["original_sound_switch"] is True


def test_storyboard_frames_with_a_lora_go_to_the_lora_model(tmp_path: Path, db: Database, fal: FalStub) -> None:
    from core.adapters.providers.fal.twins import FalLoraImageGenerator
    from core.adapters.providers.http.common import image_probe
    from core.ports_services import ProviderChoice
    from core.services.ads import generation
    from tests.stubs.fal import LORA_IMAGE
    from tests.ugc_support import Counting, scripted_ad, ugc_services, ugc_settings

    services = ugc_services(ugc_settings(tmp_path / "data", ugc_storyboard_similarity_min=0.0), db)
    user, ad_id = scripted_ad(services)
    with pytest.raises(ConfigurationError):  # offline there is no LoRA image model
        lora.use_lora_for_ad(ad_id, "x", user_id=user, services=services)
    queue, downloader = _fal_parts(fal)
    generator = Counting(FalLoraImageGenerator(queue, model=LORA_IMAGE, price_per_image=0.04, downloader=downloader,
                                               probe=image_probe, poll_after_s=0.0))  # fmt: skip
    services.providers.choices["lora_image"] = ProviderChoice("lora_image", generator, "fal", LORA_IMAGE, True)
    from core.services.ads import wizard

    project = wizard.get_ad(ad_id, user_id=user, services=services).project_id
    lora_id = lora.upload_lora(project, "Dana", "dana_person", safetensors_bytes(), user_id=user, services=services)
    lora.use_lora_for_ad(ad_id, lora_id, scale=0.7, user_id=user, services=services)
    generation.start_generation(ad_id, user_id=user, services=services)
    services.queue.drain()
    assert services.providers.get("image_gen").submits == 0
    assert generator.submits == fal.created_count(LORA_IMAGE) == 6
    sent = next(iter(fal.predictions.values())).inputs
    assert sent["prompt"].startswith("dana_person, ") and sent["loras"][0]["scale"] == 0.7
