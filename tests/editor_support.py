"""A finished ad and a talking video made of real small media files (FFmpeg's test sources), with
the rows the ad pipeline leaves behind: scenes, clip and voice assets, the job's step outputs
(which asset each scene used, the post-production timeline) and the output with its captions."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import imageio_ffmpeg
from streamlit.testing.v1 import AppTest

from core.adapters.db.models.ads import Ad, AdAsset, AdOutput, AdScene
from core.adapters.db.models.jobs import Job, JobStep
from core.adapters.db.models.projects import ProjectMember
from core.adapters.db.models.talking import Actor, VideoAsset
from core.domain.types import MediaKind
from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from core.services.editor import edits
from core.services.talking.projects import create_project

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def make_clip(dest: Path, seconds: float, *, size: str = "360x640", pattern: str = "testsrc") -> Path:
    subprocess.run(
        [
            FFMPEG,
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"{pattern}=size={size}:rate=24:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            str(dest),
        ],
        check=True,
    )
    return dest


def make_tone(dest: Path, seconds: float, frequency: int = 440) -> Path:
    subprocess.run(
        [
            FFMPEG,
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"sine=f={frequency}:duration={seconds}",
            "-ar",
            "44100",
            str(dest),
        ],
        check=True,
    )
    return dest


@dataclass(frozen=True)
class World:
    owner: str
    project_id: str
    ad_id: str
    output_id: str
    video_id: str | None = None


def _put(services: Services, kind: MediaKind, path: Path, name: str, content_type: str) -> str:
    return services.storage.put_file(kind, path, name=name, content_type=content_type)


def finished_ad(services: Services, tmp: Path, *, email: str = "owner@example.com", music: bool = True) -> World:
    owner = ensure_user(services.db, email)
    project_id = create_project("Editor", owner_id=owner, services=services).id
    clips = [make_clip(tmp / f"clip{i}.mp4", 3.0, pattern=p) for i, p in enumerate(("testsrc", "testsrc2"))]
    voices = [make_tone(tmp / f"voice{i}.wav", 1.5, 300 + 100 * i) for i in range(2)]
    with services.db.session() as session:
        ad = Ad(
            owner_id=owner,
            project_id=project_id,
            title="Serum",
            product_name="Glow",
            status="completed",
            options={"transition": "dissolve", "music": music},
        )
        session.add(ad)
        session.flush()
        job = Job(owner_id=owner, kind="ugc_ad", subject_id=ad.id, status="completed", payload={"ad_id": ad.id})
        session.add(job)
        session.flush()
        ad.job_id = job.id
        used: dict[str, dict[str, str]] = {"clips": {}, "voices": {}}
        for number in (1, 2):
            scene = AdScene(ad_id=ad.id, number=number, spec={"dialogue": f"line {number}"})
            session.add(scene)
            session.flush()
            for kind, files, bucket, ctype in (
                ("clip", clips, MediaKind.VIDEO, "video/mp4"),
                ("audio", voices, MediaKind.AUDIO, "audio/wav"),
            ):
                key = _put(services, bucket, files[number - 1], f"test/{ad.id}/{kind}{number}", ctype)
                asset = AdAsset(
                    ad_id=ad.id,
                    scene_id=scene.id,
                    kind=kind,
                    fingerprint=f"{kind}{number}",
                    status="ready",
                    media_key=key,
                    duration_s=3.0 if kind == "clip" else 1.5,
                )
                session.add(asset)
                session.flush()
                used["clips" if kind == "clip" else "voices"][str(number)] = asset.id
        timeline = {
            "starts": [0.0, 2.6],
            "slots": [3.0, 3.0],
            "voice_at": [0.12, 2.8],
            "fades": [0.0, 0.4],
            "total_s": 5.6,
            "trims": [0.0, 0.0],
        }
        outputs = {
            "scene_video": {"clips": used["clips"]},
            "voiceover": {"voices": used["voices"]},
            "post_production": {"outputs": [{"aspect": "9:16", "timeline": timeline}]},
        }
        for name, output in outputs.items():
            session.add(JobStep(job_id=job.id, name=name, status="completed", output=output))
        out = AdOutput(
            ad_id=ad.id,
            job_id=job.id,
            aspect="9:16",
            status="ready",
            duration_s=5.6,
            video_key=_put(services, MediaKind.VIDEO, clips[0], f"test/{ad.id}/final", "video/mp4"),
            captions=[
                {"start_s": 0.12, "end_s": 1.6, "text": "Dull skin every morning"},
                {"start_s": 2.8, "end_s": 4.3, "text": "Glow fixed it for me"},
            ],
        )
        session.add(out)
        session.flush()
        return World(owner, project_id, ad.id, out.id)


def talking_video(services: Services, tmp: Path, world: World) -> str:
    clip = make_clip(tmp / "talking.mp4", 2.0, size="480x480")
    voice = make_tone(tmp / "talking.wav", 2.0)
    with services.db.session() as session:
        actor = session.query(Actor).first()
        if actor is None:
            actor = Actor(
                key="test_actor",
                display_name="Test",
                gender="female",
                age_range="25-34",
                image_key="images/x.png",
                voice_id="en",
            )
            session.add(actor)
            session.flush()
        video_key = _put(services, MediaKind.VIDEO, clip, "test/talking/video", "video/mp4")
        audio_key = _put(services, MediaKind.AUDIO, voice, "test/talking/voice", "audio/wav")
        video = VideoAsset(
            owner_id=world.owner,
            project_id=world.project_id,
            actor_id=actor.id,
            source_type="text",
            source_text="hello",
            status="completed",
            duration_s=2.0,
            video_key=video_key,
            audio_key=audio_key,
        )
        session.add(video)
        session.flush()
        return video.id


def add_member(services: Services, project_id: str, email: str, role: str) -> str:
    user = ensure_user(services.db, email)
    with services.db.session() as session:
        session.add(ProjectMember(project_id=project_id, user_id=user, role=role))
    return user


def ad_edit(services: Services, world: World) -> edits.EditView:
    """The finished ad's edit (opened on first use) as its owner sees it now."""
    edit_id = edits.open_edit("ad_output", world.output_id, user_id=world.owner, services=services)
    return edits.get_edit(edit_id, user_id=world.owner, services=services)


def owner_change(
    services: Services, world: World, view: edits.EditView, action: str, op: edits.Operation
) -> edits.EditView:
    """One change by the ad's owner, saved on top of `view`."""
    return edits.change(view.id, action, op, base_version=view.version, user_id=world.owner, services=services)


def redo_output(services: Services, world: World) -> str:
    """The ad made again: a new generation job and its output, five minutes after the first."""
    with services.db.session() as session:
        first = session.get(AdOutput, world.output_id)
        assert first is not None
        job = Job(owner_id=world.owner, kind="ugc_ad", subject_id=world.ad_id, status="completed")
        session.add(job)
        session.flush()
        row = AdOutput(
            ad_id=world.ad_id,
            job_id=job.id,
            aspect="9:16",
            video_key=first.video_key,
            duration_s=5.6,
            created_at=first.created_at + timedelta(minutes=5),
        )
        session.add(row)
        session.flush()
        return row.id


def click(at: AppTest, label: str) -> AppTest:
    """Click the first button with this label and run the page (it must not raise)."""
    buttons = [b for b in at.button if b.label == label]
    assert buttons, f"no button {label!r}: {[b.label for b in at.button]}"
    buttons[0].click().run()
    assert not at.exception, at.exception
    return at
