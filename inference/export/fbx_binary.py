"""The binary FBX container: a tree of named node records with typed properties (FBX 7.4 layout).

No maintained, pip-installable FBX *writer* exists (the Autodesk SDK is not on PyPI, ufbx only reads), so this
module encodes the documented container format: each record is ``end offset, property count, property bytes,
name`` (32-bit fields in 7.4), followed by its properties, its nested records and a 13-byte null record closing
the nested list. Arrays may be zlib-compressed. The scene layout built on top lives in ``fbx.py``.

Property types are inferred from Python/numpy types; where FBX needs a specific width (64-bit object ids,
16-bit shorts, 32-bit floats) use the marker types :class:`Int64`, :class:`Int16`, :class:`Float32`.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Union

import numpy as np

FBX_VERSION = 7400
_MAGIC = b"Kaydara FBX Binary  \x00\x1a\x00"
_NULL_RECORD = b"\0" * 13  # three uint32 zeros + a zero name length (7.4)
# The FileId / CreationTime / footer triple that Autodesk's reader accepts (any consistent known triple works;
# this is the one widely used by free writers, documented alongside the format).
FILE_ID = b"\x28\xb3\x2a\xeb\xb6\x24\xcc\xc2\xbf\xc8\xb0\x2a\xa9\x2b\xfc\xf1"
CREATION_TIME = "1970-01-01 10:00:00:000"
_FOOTER_ID = b"\xfa\xbc\xab\x09\xd0\xc8\xd4\x66\xb1\x76\xfb\x83\x1c\xf7\x26\x7e"
_FOOTER_MAGIC = b"\xf8\x5a\x8c\x6a\xde\xf5\xd9\x7e\xec\xe9\x0c\xe3\x75\x8f\x29\x0b"
# Object records the Autodesk reader wants closed by a null record even when they have no nested records.
_ALWAYS_CLOSED = {"AnimationStack", "AnimationLayer"}
_COMPRESS_MIN_BYTES = 128


class Int64(int):
    """An ``L`` property (object ids, KTime)."""


class Int16(int):
    """A ``Y`` property."""


class Float32(float):
    """An ``F`` property."""


Property = Union[bool, int, float, str, bytes, np.ndarray]
_ARRAY_CODES = {np.dtype(np.float32): b"f", np.dtype(np.float64): b"d", np.dtype(np.int32): b"i",
                np.dtype(np.int64): b"l", np.dtype(np.bool_): b"b"}


@dataclass
class Node:
    name: str
    props: list[Property] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)

    def add(self, name: str, *props: Property) -> "Node":
        """Append a child record and return it (for chaining nested blocks)."""
        child = Node(name, list(props))
        self.children.append(child)
        return child


def encode_property(value: Property) -> bytes:
    if isinstance(value, bool):
        return b"C" + struct.pack("<?", value)
    if isinstance(value, Int16):
        return b"Y" + struct.pack("<h", value)
    if isinstance(value, Int64):
        return b"L" + struct.pack("<q", value)
    if isinstance(value, int):
        return b"I" + struct.pack("<i", value)
    if isinstance(value, Float32):
        return b"F" + struct.pack("<f", value)
    if isinstance(value, float):
        return b"D" + struct.pack("<d", value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return b"S" + struct.pack("<I", len(raw)) + raw
    if isinstance(value, bytes):
        return b"R" + struct.pack("<I", len(value)) + value
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value.reshape(-1))
        code = _ARRAY_CODES.get(arr.dtype)
        if code is None:
            raise TypeError(f"FBX arrays hold float32/float64/int32/int64/bool, not {arr.dtype}")
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        encoding = 0
        if len(raw) >= _COMPRESS_MIN_BYTES:
            raw, encoding = zlib.compress(raw), 1
        return code + struct.pack("<III", len(arr), encoding, len(raw)) + raw
    raise TypeError(f"unsupported FBX property type {type(value).__name__}")


def _encode_node(node: Node, offset: int, out: bytearray) -> None:
    """Append ``node`` to ``out``; ``offset`` is the absolute file position where it starts."""
    props = b"".join(encode_property(p) for p in node.props)
    name = node.name.encode("ascii")
    start = len(out)
    out += struct.pack("<III", 0, len(node.props), len(props))
    out += struct.pack("<B", len(name)) + name + props
    for child in node.children:
        _encode_node(child, offset + (len(out) - start), out)
    if node.children or not node.props or node.name in _ALWAYS_CLOSED:
        out += _NULL_RECORD
    struct.pack_into("<I", out, start, offset + len(out) - start)


def encode_document(nodes: list[Node]) -> bytes:
    """Header, top-level records, the closing null record and the footer, as the format lays them out."""
    out = bytearray(_MAGIC + struct.pack("<I", FBX_VERSION))
    for node in nodes:
        body = bytearray()
        _encode_node(node, len(out), body)
        out += body
    out += _NULL_RECORD
    out += _FOOTER_ID + b"\0" * 4
    out += b"\0" * (16 - len(out) % 16)  # align to 16 (a full 16 when already aligned, as Autodesk writes)
    out += struct.pack("<I", FBX_VERSION) + b"\0" * 120 + _FOOTER_MAGIC
    return bytes(out)


def object_name(name: str, cls: str) -> str:
    """Object names carry their class after a ``\\x00\\x01`` separator in binary FBX (``pelvis\\x00\\x01Model``)."""
    return f"{name}\x00\x01{cls}"
