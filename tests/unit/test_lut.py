"""The .cube LUT parser: good files read, bad ones refused with a clear message, before FFmpeg sees anything."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from core.adapters.media.lut import MAX_LUT_SIZE, Lut3d, parse_cube
from core.errors import ValidationError
from tests.stubs.media import ffmpeg_exe


def cube(size: int = 2, *, invert: bool = False, header: str = "", rows: list[str] | None = None) -> bytes:
    """A .cube file: red fastest, then green, then blue (the format's order)."""
    if rows is None:
        rows = []
        for b in range(size):
            for g in range(size):
                for r in range(size):
                    rgb = np.array([r, g, b]) / (size - 1)
                    rgb = 1 - rgb if invert else rgb
                    rows.append(" ".join(f"{v:.6f}" for v in rgb))
    return (f'# made by a test\nTITLE "Warm look"\n{header}LUT_3D_SIZE {size}\n\n' + "\n".join(rows) + "\n").encode()


def test_a_good_cube_is_read_with_comments_title_and_domain() -> None:
    lut = parse_cube(cube(3, header="DOMAIN_MIN 0 0 0\nDOMAIN_MAX 1 1 1\n"))
    assert lut.size == 3 and lut.table.shape == (27, 3)
    assert lut.table[1].tolist() == pytest.approx([0.5, 0.0, 0.0])  # red runs fastest
    assert lut.table[-1].tolist() == pytest.approx([1.0, 1.0, 1.0])


def test_a_domain_other_than_0_to_1_is_scaled_into_it() -> None:
    rows = [" ".join(["0", "0", "0"])] * 7 + ["2 2 2"]
    lut = parse_cube(cube(2, header="DOMAIN_MIN 0 0 0\nDOMAIN_MAX 2 2 2\n", rows=rows))
    assert lut.table.max() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (cube(2, rows=["0 0 0"] * 7 + ["red green blue"]), "keyword we do not read"),
        (cube(2, rows=["0 0 0"] * 7 + ["1 1"]), "needs three numbers"),
        (cube(2, rows=["0 0 0"] * 7 + ["1 1 1e"]), "not three numbers"),
        (cube(2, rows=["0 0 0"] * 7), "needs 8 colour rows; this file has 7"),
        (cube(2, rows=["0 0 0"] * 9), "needs 8 colour rows; this file has 9"),
        (cube(2, rows=["0 0 0"] * 7 + ["nan 0 0"]), "not a number (NaN"),
        (cube(2, rows=["0 0 0"] * 7 + ["inf 0 0"]), "not a number (NaN"),
        (cube(2, rows=["0 0 0"] * 7 + ["1.5 0 0"]), "outside its domain"),
        (b"LUT_1D_SIZE 4\n0 0 0\n", "1D LUT"),
        (b"0 0 0\n1 1 1\n", "no LUT_3D_SIZE"),
        (b"LUT_3D_SIZE 1\n0 0 0\n", "not supported"),
        (f"LUT_3D_SIZE {MAX_LUT_SIZE + 1}\n".encode(), "not supported"),
        (b"LUT_3D_SIZE two\n", "unreadable LUT_3D_SIZE"),
        (b"LUT_3D_SIZE 2\nLUT_3D_SIZE 2\n", "second time"),
        (b"   \n", "empty"),
        (b"\xff\xfe\x00binary", "not text"),
        (cube(2, header="DOMAIN_MIN 1 1 1\nDOMAIN_MAX 0 0 0\n"), "DOMAIN_MAX must be above"),
    ],
)
def test_a_bad_cube_is_refused_saying_what_is_wrong(data: bytes, words: str) -> None:
    with pytest.raises(ValidationError, match=None) as caught:
        parse_cube(data)
    assert words in str(caught.value)


def test_a_huge_file_is_refused_before_it_is_read() -> None:
    with pytest.raises(ValidationError, match="the limit is"):
        parse_cube(b"#" * 2048 + cube(2), max_bytes=1024)


def test_what_is_stored_is_numbers_and_is_checked_again_on_the_way_back() -> None:
    lut = parse_cube(cube(4, invert=True))
    again = Lut3d.from_json(lut.to_json())
    assert again.size == 4 and np.array_equal(again.table, lut.table)
    for damaged in (b"not json", lut.to_json().replace(b'"size": 4', b'"size": 5'), b'{"format": "other"}'):
        with pytest.raises(ValidationError, match="damaged"):
            Lut3d.from_json(damaged)


def test_ffmpeg_grades_with_the_cube_we_write(tmp_path: Path) -> None:
    """Our own .cube, read by FFmpeg's lut3d: an inverting LUT turns a white frame black."""
    path = parse_cube(cube(2, invert=True)).write_cube(tmp_path / "grade.cube")
    assert "TITLE" not in path.read_text()  # nothing of the upload but its numbers
    out = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=white:s=16x16:d=0.1", "-frames:v", "1",
         "-vf", f"format=rgb24,lut3d=file={path}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    assert len(out) == 16 * 16 * 3 and max(out) <= 2
