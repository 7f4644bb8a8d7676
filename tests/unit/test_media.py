"""FfmpegToolkit, probing and upload validation: content decides, names never do."""

from __future__ import annotations

import math
import random
import struct
import subprocess
import wave
import zlib
from pathlib import Path

import av
import imageio_ffmpeg
import pytest
from PIL import Image

from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.media.files import atomic_output
from core.adapters.media.images import load_image_safely, validate_image_upload
from core.adapters.media.probe import NOT_MEDIA, validate_audio_upload
from core.errors import MediaRejected

MB = 1024 * 1024


@pytest.fixture(scope="module")
def toolkit() -> FfmpegToolkit:
    return FfmpegToolkit()


def write_sine_wav(path: Path, seconds: float = 1.0, rate: int = 22050, freq: float = 440.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = int(seconds * rate)
    frames = b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(n))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return path


def make_video(path: Path, seconds: float = 1.0, audio: bool = True) -> Path:
    """A tiny H.264 MP4 made with FFmpeg's test sources (test setup only)."""
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc=size=160x120:rate=25:duration={seconds}",
    ]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=300:duration={seconds}", "-c:a", "aac"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-shortest", "-f", "mp4", str(path)]
    subprocess.run(cmd, check=True)
    return path


def png_with_header_size(path: Path, width: int, height: int) -> Path:
    """A valid-looking PNG whose IHDR claims width x height; tiny on disk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * 64)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


# ---------------------------------------------------------------------------- probing


def test_probe_reads_content_not_extension(tmp_path: Path, toolkit: FfmpegToolkit) -> None:
    info = toolkit.probe(write_sine_wav(tmp_path / "voice.mp3", seconds=1.0))
    assert info.container == "wav"
    assert info.has_audio and not info.has_video
    assert info.audio_codec == "pcm_s16le"
    assert info.sample_rate == 22050 and info.channels == 1
    assert info.duration_s == pytest.approx(1.0, abs=0.01)


def test_probe_video(tmp_path: Path, toolkit: FfmpegToolkit) -> None:
    info = toolkit.probe(make_video(tmp_path / "clip.bin"))
    assert (info.container, info.video_codec, info.audio_codec) == ("mp4", "h264", "aac")
    assert (info.width, info.height) == (160, 120)
    assert info.duration_s == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize("name", ["-i.mp3", "concat:a.mp3", "list.m3u8", "x.txt"])
def test_hostile_file_names_are_just_names(tmp_path: Path, toolkit: FfmpegToolkit, name: str) -> None:
    src = write_sine_wav(tmp_path / name, seconds=0.5)
    assert toolkit.probe(src).container == "wav"
    clip = toolkit.transcode_audio_mp3(src, tmp_path / "out.mp3")
    assert clip.duration_s == pytest.approx(0.5, abs=0.1)


def test_path_traversal_name_is_never_interpreted(tmp_path: Path, toolkit: FfmpegToolkit) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    sneaky = tmp_path / "a" / "b" / ".." / ".." / "etc" / "passwd.mp3"
    write_sine_wav(sneaky, seconds=0.5)  # the file's content is WAV whatever the name says
    info = validate_audio_upload(sneaky, max_bytes=MB, max_duration_s=60)
    assert info.container == "wav"


def test_text_file_named_mp3_is_rejected(tmp_path: Path, toolkit: FfmpegToolkit) -> None:
    fake = tmp_path / "song.mp3"
    fake.write_text("this is not audio at all\n" * 50)
    with pytest.raises(MediaRejected) as err:
        toolkit.probe(fake)
    assert err.value.message == NOT_MEDIA
    with pytest.raises(MediaRejected):
        validate_audio_upload(fake, max_bytes=MB, max_duration_s=60)


def test_corrupt_mp3_is_rejected(tmp_path: Path, toolkit: FfmpegToolkit) -> None:
    corrupt = tmp_path / "broken.mp3"
    noise = random.Random(1234).randbytes(20_000)
    corrupt.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + noise)
    with pytest.raises(MediaRejected):
        toolkit.probe(corrupt)
    with pytest.raises(MediaRejected):
        validate_audio_upload(corrupt, max_bytes=MB, max_duration_s=60)


def test_hls_playlist_disguised_as_video_is_rejected(tmp_path: Path, toolkit: FfmpegToolkit) -> None:
    playlist = tmp_path / "movie.mp4"
    playlist.write_text("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n")
    with pytest.raises(MediaRejected):
        toolkit.probe(playlist)
    with pytest.raises(MediaRejected):
        toolkit.input_args(playlist)


# ---------------------------------------------------------------------------- audio uploads


def test_validate_audio_upload_accepts_wav_and_mp3(tmp_path: Path, toolkit: FfmpegToolkit) -> None:
    wav = write_sine_wav(tmp_path / "take.wav", seconds=1.5)
    assert validate_audio_upload(wav, max_bytes=MB, max_duration_s=60).duration_s == pytest.approx(1.5, abs=0.01)
    mp3 = toolkit.transcode_audio_mp3(wav, tmp_path / "take.mp3").path
    info = toolkit.validate_audio_upload(mp3, max_bytes=MB, max_duration_s=60)
    assert info.container == "mp3" and info.duration_s == pytest.approx(1.5, abs=0.1)


def test_size_cap_is_checked_and_explained(tmp_path: Path) -> None:
    wav = write_sine_wav(tmp_path / "take.wav", seconds=1.0)
    with pytest.raises(MediaRejected) as err:
        validate_audio_upload(wav, max_bytes=10_000, max_duration_s=60)
    assert "the limit is" in err.value.message and "MB" in err.value.message


def test_duration_cap_says_the_limit(tmp_path: Path) -> None:
    wav = write_sine_wav(tmp_path / "take.wav", seconds=3.0)
    with pytest.raises(MediaRejected) as err:
        validate_audio_upload(wav, max_bytes=MB, max_duration_s=2)
    assert err.value.message == "Your recording is 3.0 s; the limit is 2 s."
    assert err.value.code == "media_rejected"


def test_video_is_not_a_recording(tmp_path: Path) -> None:
    with pytest.raises(MediaRejected) as err:
        validate_audio_upload(make_video(tmp_path / "clip.mp3"), max_bytes=MB, max_duration_s=60)
    assert "MP3 or WAV" in err.value.message


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(MediaRejected, match="empty"):
        validate_audio_upload(empty, max_bytes=MB, max_duration_s=60)


# ---------------------------------------------------------------------------- ffmpeg operations


def test_transcode_gives_44k_mono_mp3(tmp_path: Path, toolkit: FfmpegToolkit) -> None:
    clip = toolkit.transcode_audio_mp3(write_sine_wav(tmp_path / "in.wav", seconds=1.2), tmp_path / "out.mp3")
    info = toolkit.probe(clip.path)
    assert (info.container, info.audio_codec, info.sample_rate, info.channels) == ("mp3", "mp3", 44100, 1)
    assert clip.content_type == "audio/mpeg"
    assert clip.duration_s == pytest.approx(1.2, abs=0.1)


def test_poster_and_thumbnail(tmp_path: Path, toolkit: FfmpegToolkit) -> None:
    video = make_video(tmp_path / "clip.mp4")
    poster = toolkit.poster_frame(video, tmp_path / "poster.jpg", at_s=5.0)  # past the end: falls back
    assert (poster.width, poster.height, poster.content_type) == (160, 120, "image/jpeg")
    with Image.open(poster.path) as img:
        assert img.format == "JPEG"
    thumb = toolkit.thumbnail(poster.path, tmp_path / "thumb.jpg", max_side=80)
    assert max(thumb.width, thumb.height) == 80


def test_thumbnail_lays_transparency_on_white(tmp_path: Path, toolkit: FfmpegToolkit) -> None:
    src = tmp_path / "clear.png"
    Image.new("RGBA", (500, 250), (0, 0, 0, 0)).save(src)
    thumb = toolkit.thumbnail(src, tmp_path / "thumb.jpg")
    assert (thumb.width, thumb.height) == (360, 180)
    with Image.open(thumb.path) as img:
        assert min(img.getpixel((10, 10))) > 245


def test_mux_and_concat(tmp_path: Path, toolkit: FfmpegToolkit) -> None:
    silent = make_video(tmp_path / "silent.mp4", seconds=1.0, audio=False)
    voice = write_sine_wav(tmp_path / "voice.wav", seconds=2.0)
    muxed = toolkit.mux(silent, voice, tmp_path / "muxed.mp4")
    info = toolkit.probe(muxed.path)
    assert info.has_video and info.audio_codec == "aac"
    assert muxed.duration_s == pytest.approx(1.0, abs=0.1)  # -shortest
    joined = toolkit.concat([muxed.path, muxed.path], tmp_path / "joined.mp4")
    assert joined.duration_s == pytest.approx(2.0, abs=0.15)
    with av.open(str(joined.path)) as container:
        assert container.streams.video[0].codec_context.name == "h264"


def test_outputs_are_atomic(tmp_path: Path, toolkit: FfmpegToolkit) -> None:
    dest = tmp_path / "out" / "final.mp3"
    with pytest.raises(RuntimeError), atomic_output(dest) as tmp:
        tmp.write_bytes(b"partial")
        raise RuntimeError("boom")
    assert not dest.exists() and list(dest.parent.iterdir()) == []
    toolkit.transcode_audio_mp3(write_sine_wav(tmp_path / "in.wav", seconds=0.3), dest)
    assert [p.name for p in dest.parent.iterdir()] == ["final.mp3"]


# ---------------------------------------------------------------------------- images


def test_huge_png_header_is_rejected_before_decoding(tmp_path: Path) -> None:
    bomb = png_with_header_size(tmp_path / "bomb.png", 20000, 20000)
    assert bomb.stat().st_size < 200
    with pytest.raises(MediaRejected, match="too large|limit"):
        load_image_safely(bomb)
    big = png_with_header_size(tmp_path / "big.png", 7000, 7000)
    with pytest.raises(MediaRejected) as err:
        load_image_safely(big, max_pixels=40_000_000)
    assert err.value.message == "This image is 7000×7000 pixels; the limit is 40 megapixels."


def test_non_images_and_other_formats_are_rejected(tmp_path: Path) -> None:
    text = tmp_path / "photo.png"
    text.write_text("hello")
    gif = tmp_path / "anim.png"
    Image.new("RGB", (10, 10), (255, 0, 0)).save(gif, format="GIF")
    for path in (text, gif):
        with pytest.raises(MediaRejected):
            load_image_safely(path)


def test_validate_image_upload_reencodes_without_metadata(tmp_path: Path) -> None:
    src = tmp_path / "upload.jpg"
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90
    Image.new("RGB", (160, 80), (10, 200, 30)).save(src, format="JPEG", exif=exif.tobytes())
    result = validate_image_upload(src, max_bytes=MB, max_pixels=1_000_000, dest=tmp_path / "clean.png")
    assert result.content_type == "image/png"
    assert (result.width, result.height) == (80, 160)  # EXIF rotation applied
    with Image.open(result.path) as img:
        assert img.format == "PNG"
        assert not img.getexif() and "exif" not in img.info
    with pytest.raises(MediaRejected, match="limit"):
        validate_image_upload(src, max_bytes=10, max_pixels=1_000_000)
