"""A session: everything a user's correction work consists of, saved as one versioned file.

File layout (``.smsession``, a zip; never pickle):

* ``manifest.json`` — ``{"format": "sm-studio-session", "version": N, "video_path": str|null,
  "segments": [...], "meta": {...}, "view": {"frame": int, "selected": str},
  "contacts": {segment id: {"added": [...], "hidden": [...]}}, "pins": [...],
  "arrays": {"current": "current.npz", "original": "original.npz"|null}}``
* ``current.npz`` — the reconstruction as the user has it now (two-person NPZ layout of ``inference.io.npz``)
* ``original.npz`` — the reconstruction before any correction (for before/after and export of either)

Writes are atomic (``inference.io.atomic``). A file of a newer format version is refused with a clear message;
older versions are migrated on load, one version at a time, by the functions in :data:`MIGRATIONS` (each takes the
manifest of version N and returns that of N+1, so a file of any old version reaches the current one and each step
is tested on its own). History:

* version 1 — the first format.
* version 2 — adds ``view``: where the user was (playhead frame, selected segment), so reopening a session after
  hours of correction work returns to the same place. Migrating 1 → 2 gives frame 0 and no selection (what
  version 1 files always reopened to).
* version 3 — adds ``contacts`` (per segment, what the user added to or removed from the contacts its text states;
  ``inference.edit.contacts``) and ``pins`` (joints held at positions; ``inference.edit.pins``). Migrating 2 → 3
  gives none of either.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from .io.atomic import atomic_write
from .io.limits import MAX_JSON_BYTES, MAX_MEMBER_BYTES, check_member, check_regular_file, parse_json
from .io.npz import ZIP_DAMAGE, load_reconstruction_bytes, npz_bytes, reconstruction_arrays
from .motion import MotionError, Reconstruction
from .segments import Segment

if TYPE_CHECKING:  # the edit values pull in the describer and torch: imported only when a session is read
    from .edit.contacts import SegmentContacts
    from .edit.pins import Pin

SESSION_FORMAT = "sm-studio-session"
SESSION_VERSION = 3
SESSION_SUFFIX = ".smsession"


class SessionError(MotionError):
    """A session file cannot be read or written; the message names the file and the part."""


@dataclass(frozen=True)
class SessionView:
    """Where the user was: navigation, not work (so it is not part of :meth:`Session.equals`)."""

    frame: int = 0
    selected: str = ""  # segment id, "" for none

    def to_json(self) -> dict[str, Any]:
        return {"frame": self.frame, "selected": self.selected}

    @classmethod
    def from_json(cls, d: Any, label: str) -> "SessionView":
        if not isinstance(d, dict) or not isinstance(d.get("frame"), int) or isinstance(d.get("frame"), bool) \
                or d["frame"] < 0 or not isinstance(d.get("selected"), str):
            raise SessionError(f"{label}: manifest.json 'view' should be {{\"frame\": int >= 0, \"selected\": str}}")
        return cls(d["frame"], d["selected"])


@dataclass
class Session:
    current: Reconstruction
    original: Optional[Reconstruction] = None
    segments: list[Segment] = field(default_factory=list)
    video_path: Optional[str] = None
    meta: dict[str, Any] = field(default_factory=dict)
    view: SessionView = field(default_factory=SessionView)
    contacts: dict[str, "SegmentContacts"] = field(default_factory=dict)  # segment id → the user's changes
    pins: list["Pin"] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.original is None:
            self.original = self.current.copy()
        for seg in self.segments:
            if seg.stop > self.current.num_frames:
                raise SessionError(f"segment {seg.id} [{seg.start}, {seg.stop}) runs past the last frame "
                                   f"({self.current.num_frames})")

    def segment(self, segment_id: str) -> Segment:
        for seg in self.segments:
            if seg.id == segment_id:
                return seg
        raise KeyError(f"no segment with id {segment_id!r}")

    def equals(self, other: "Session") -> bool:
        assert self.original is not None and other.original is not None
        return (self.current.equals(other.current) and self.original.equals(other.original)
                and [s.to_json() for s in self.segments] == [s.to_json() for s in other.segments]
                and self.video_path == other.video_path and self.meta == other.meta
                and self.contacts == other.contacts and self.pins == other.pins)


def save_session(session: Session, path: Union[str, Path]) -> None:
    assert session.original is not None
    manifest = {
        "format": SESSION_FORMAT, "version": SESSION_VERSION, "video_path": session.video_path,
        "segments": [s.to_json() for s in session.segments], "meta": session.meta, "view": session.view.to_json(),
        "contacts": {k: v.to_json() for k, v in session.contacts.items()}, "pins": [p.to_json() for p in session.pins],
        "arrays": {"current": "current.npz", "original": "original.npz"},
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=1, sort_keys=True))
        zf.writestr("current.npz", npz_bytes(reconstruction_arrays(session.current)))
        zf.writestr("original.npz", npz_bytes(reconstruction_arrays(session.original)))
    atomic_write(Path(path), buf.getvalue())


def load_session(path: Union[str, Path]) -> Session:
    label = str(path)
    try:
        check_regular_file(path, label)
        zf = zipfile.ZipFile(path)
    except MotionError as exc:
        raise SessionError(str(exc)) from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SessionError(f"{label}: not a session file ({exc})") from None
    with zf:
        try:
            return _session_from(zf, label)
        except SessionError:
            raise
        except MotionError as exc:  # a bad array or segment inside: named, as a session error
            message = str(exc)
            raise SessionError(message if message.startswith(label) else f"{label}: {message}") from None


def _session_from(zf: zipfile.ZipFile, label: str) -> Session:
    manifest = _read_manifest(zf, label)
    arrays = manifest.get("arrays") or {}
    if not isinstance(arrays, dict) or not isinstance(arrays.get("current"), str):
        raise SessionError(f"{label}: manifest.json 'arrays.current' is missing")
    current = load_reconstruction_bytes(_read_member(zf, arrays["current"], label), f"{label}:{arrays['current']}")
    original = None
    if isinstance(arrays.get("original"), str):
        original = load_reconstruction_bytes(_read_member(zf, arrays["original"], label),
                                             f"{label}:{arrays['original']}")
    segments_raw = manifest.get("segments", [])
    if not isinstance(segments_raw, list):
        raise SessionError(f"{label}: manifest.json 'segments' should be a list")
    segments = [Segment.from_json(s, f"{label}: manifest.json 'segments' entry {i + 1}")
                for i, s in enumerate(segments_raw)]
    video = manifest.get("video_path")
    meta = manifest.get("meta", {})
    if (video is not None and not isinstance(video, str)) or not isinstance(meta, dict):
        raise SessionError(f"{label}: manifest.json 'video_path' or 'meta' has the wrong type")
    from .edit.contacts import SegmentContacts
    from .edit.pins import Pin

    contacts, pins = manifest.get("contacts"), manifest.get("pins")
    if not isinstance(contacts, dict) or not isinstance(pins, list):
        raise SessionError(f"{label}: manifest.json 'contacts' should be an object and 'pins' a list")
    return Session(current, original, segments, video, meta, SessionView.from_json(manifest.get("view"), label),
                   {str(k): SegmentContacts.from_json(v) for k, v in contacts.items()},
                   [Pin.from_json(p) for p in pins])


def _v1_to_v2(manifest: dict[str, Any]) -> dict[str, Any]:
    return {**manifest, "version": 2, "view": SessionView().to_json()}


def _v2_to_v3(manifest: dict[str, Any]) -> dict[str, Any]:
    return {**manifest, "version": 3, "contacts": {}, "pins": []}


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2, 2: _v2_to_v3}


def migrate_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest of an older session file brought up to :data:`SESSION_VERSION`, one version at a time."""
    while manifest["version"] < SESSION_VERSION:
        manifest = MIGRATIONS[manifest["version"]](manifest)
    return manifest


def _read_manifest(zf: zipfile.ZipFile, label: str) -> dict[str, Any]:
    try:
        manifest = parse_json(_read_member(zf, "manifest.json", label, MAX_JSON_BYTES), f"{label}: manifest.json")
    except MotionError as exc:
        raise SessionError(str(exc)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != SESSION_FORMAT:
        raise SessionError(f"{label}: not an SM Studio session (manifest format is not '{SESSION_FORMAT}')")
    version = manifest.get("version")
    if not isinstance(version, int) or version < 1:
        raise SessionError(f"{label}: manifest.json has no valid 'version'")
    if version > SESSION_VERSION:
        raise SessionError(f"{label}: written by a newer SM Studio (session format {version}; this version reads up "
                           f"to {SESSION_VERSION}). Update SM Studio to open it.")
    return migrate_manifest(manifest)


def _read_member(zf: zipfile.ZipFile, name: str, label: str, limit: Optional[int] = None) -> bytes:
    """A part of the session, refused before reading when its declared size or expansion is beyond the limits
    (the declared size also caps what is decompressed)."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise SessionError(f"{label}: part '{name}' is missing") from None
    try:
        check_member(info, label, limit or MAX_MEMBER_BYTES)
        return zf.read(info)
    except MotionError as exc:
        raise SessionError(str(exc)) from None
    except (*ZIP_DAMAGE, ValueError) as exc:
        raise SessionError(f"{label}: part '{name}' is corrupt ({exc})") from None
