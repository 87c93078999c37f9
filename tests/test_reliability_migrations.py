"""Session format migrations: a file of every older version, built here byte for byte as that version wrote it,
opens in this version with the documented defaults; each migration step is checked on its own."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from inference.io.npz import npz_bytes, reconstruction_arrays
from inference.segments import Segment
from inference.session import (MIGRATIONS, SESSION_VERSION, Session, SessionError, SessionView, load_session,
                               migrate_manifest, save_session)

from app_support import make_reconstruction, make_segments


def write_v1(path: Path, recon, segments: list[Segment], video: "str | None" = None) -> Path:
    """A version-1 session exactly as version 1 wrote it: no ``view`` in the manifest."""
    manifest = {"format": "sm-studio-session", "version": 1, "video_path": video,
                "segments": [s.to_json() for s in segments], "meta": {"source": "v1"},
                "arrays": {"current": "current.npz", "original": "original.npz"}}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=1, sort_keys=True))
        zf.writestr("current.npz", npz_bytes(reconstruction_arrays(recon)))
        zf.writestr("original.npz", npz_bytes(reconstruction_arrays(recon)))
    path.write_bytes(buf.getvalue())
    return path


def test_every_old_version_has_a_migration_step() -> None:
    assert SESSION_VERSION == 3 and sorted(MIGRATIONS) == list(range(1, SESSION_VERSION))


def test_v1_to_v2_step_adds_the_view() -> None:
    v1 = {"format": "sm-studio-session", "version": 1, "video_path": None, "segments": [], "meta": {"k": 1},
          "arrays": {"current": "current.npz"}}
    v2 = MIGRATIONS[1](v1)
    assert v2 == {**v1, "version": 2, "view": {"frame": 0, "selected": ""}}
    assert "view" not in v1 and v1["version"] == 1  # the input is not modified
    assert migrate_manifest(v1) == MIGRATIONS[2](v2)


def test_v2_to_v3_step_adds_empty_contacts_and_pins() -> None:
    v2 = {"format": "sm-studio-session", "version": 2, "video_path": None, "segments": [], "meta": {},
          "view": {"frame": 4, "selected": ""}, "arrays": {"current": "current.npz"}}
    v3 = MIGRATIONS[2](v2)
    assert v3 == {**v2, "version": 3, "contacts": {}, "pins": []}
    assert "pins" not in v2 and migrate_manifest(v2) == v3 and migrate_manifest(v3) == v3


def test_v1_file_opens_and_resaves_as_current_version(tmp_path: Path) -> None:
    recon, segments = make_reconstruction(60), make_segments()
    old = write_v1(tmp_path / "old.smsession", recon, segments, "clip.avi")
    session = load_session(old)
    assert session.equals(Session(recon, recon, segments, "clip.avi", {"source": "v1"}))
    assert session.view == SessionView(0, "")
    session.view = SessionView(33, segments[1].id)
    new = tmp_path / "new.smsession"
    save_session(session, new)
    with zipfile.ZipFile(new) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["version"] == SESSION_VERSION and manifest["view"] == {"frame": 33, "selected": segments[1].id}
    again = load_session(new)
    assert again.equals(session) and again.view == SessionView(33, segments[1].id)


@pytest.mark.parametrize("view", [None, {"frame": -1, "selected": ""}, {"frame": 2.5, "selected": ""},
                                  {"frame": 3, "selected": 7}, [3, ""]])
def test_bad_view_in_a_v2_file_is_named(tmp_path: Path, view) -> None:
    path = tmp_path / "s.smsession"
    save_session(Session(make_reconstruction(10)), path)
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(parts["manifest.json"])
    manifest["view"] = view
    parts["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    with pytest.raises(SessionError, match="'view'"):
        load_session(path)


def test_app_document_reopens_where_the_user_was(qtbot, tmp_path: Path) -> None:
    from sm_studio.document import Document

    doc = Document()
    doc.load(make_reconstruction(60), make_segments())
    doc.set_frame(41)
    doc.select(doc.segments[1].id)
    path = tmp_path / "s.smsession"
    save_session(doc.to_session(), path)
    other = Document()
    other.load_session(load_session(path), path)
    assert other.frame == 41 and other.selected_id == doc.segments[1].id and not other.is_modified
    write_v1(tmp_path / "v1.smsession", make_reconstruction(60), make_segments())
    other.load_session(load_session(tmp_path / "v1.smsession"))
    assert other.frame == 0 and other.selected_id == other.segments[0].id  # no saved selection: first flagged
