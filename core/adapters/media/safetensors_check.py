"""Check a `.safetensors` file before we store it, without loading any tensor.

The format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each
tensor name to {dtype, shape, data_offsets: [begin, end]} (plus an optional
`__metadata__` of strings), then the tensor bytes. Offsets are relative to the end of the
header; together the tensors must tile the data section exactly. A header that lies
(offsets past the end, overlaps, gaps, a size that does not match dtype x shape) is refused.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path

from core.errors import MediaRejected

MAX_HEADER_BYTES = 100 * 1024 * 1024  # the reference implementation's own cap
DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SafetensorsInfo:
    tensors: int
    parameters: int
    size_bytes: int
    metadata: dict[str, str]


def _refuse(why: str) -> MediaRejected:
    return MediaRejected(f"This is not a valid .safetensors file: {why}.")


def _header(path: Path, size: int) -> dict[str, object]:
    if size < 8:
        raise _refuse("it is shorter than the 8-byte header length")
    with path.open("rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        if length < 2 or length > min(MAX_HEADER_BYTES, size - 8):
            raise _refuse(f"its header claims {length} bytes but the file has {size - 8} after the length")
        raw = handle.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _refuse("its header is not JSON") from None
    if not isinstance(header, dict):
        raise _refuse("its header is not a JSON object")
    return header


def _tensor(name: str, spec: object) -> tuple[int, int, int]:
    """(begin, end, parameters) after checking one entry of the tensor table."""
    if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data_offsets"}:
        raise _refuse(f"tensor {name!r} lacks dtype, shape or data_offsets")
    dtype, shape, offsets = spec["dtype"], spec["shape"], spec["data_offsets"]
    if dtype not in DTYPE_BYTES:
        raise _refuse(f"tensor {name!r} has an unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise _refuse(f"tensor {name!r} has a bad shape")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
        raise _refuse(f"tensor {name!r} has bad data offsets")
    begin, end = offsets
    count = math.prod(shape)
    if begin < 0 or end < begin or end - begin != count * DTYPE_BYTES[dtype]:
        raise _refuse(
            f"tensor {name!r} claims {end - begin} bytes but {dtype} x {shape} needs {count * DTYPE_BYTES[dtype]}"
        )
    return begin, end, count


def check_safetensors(path: Path, *, max_bytes: int) -> SafetensorsInfo:
    size = path.stat().st_size
    if size > max_bytes:
        raise MediaRejected(f"This file is {size / 1e6:.0f} MB; the limit is {max_bytes / 1e6:.0f} MB.")
    header = _header(path, size)
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise _refuse("its __metadata__ is not a map of strings")
    if not header:
        raise _refuse("it holds no tensors")
    spans = sorted(_tensor(name, spec) for name, spec in header.items())
    (length,) = struct.unpack("<Q", path.open("rb").read(8))
    data_bytes, cursor, parameters = size - 8 - length, 0, 0
    for begin, end, count in spans:
        if begin != cursor:
            raise _refuse("its tensors overlap or leave gaps")
        cursor, parameters = end, parameters + count
    if cursor != data_bytes:
        raise _refuse(f"its tensor table covers {cursor} bytes but the file holds {data_bytes}")
    return SafetensorsInfo(tensors=len(spans), parameters=parameters, size_bytes=size, metadata=dict(metadata))
