import json
import zipfile

import pytest

from inference.segments import Segment, SegmentKind
from inference.session import Session, SessionError, load_session, save_session


def make_session(recon) -> Session:
    seg = Segment(3, 12, "A", SegmentKind.OCCLUDED).with_text("A hugs B", "offline-3d").with_text("A hugs B", "user")
    edited = recon.copy()
    edited.people[0].transl[3:12] += 0.1
    return Session(edited, recon, [seg, Segment(15, 20, "both", SegmentKind.USER)], "/videos/clip.mp4",
                   {"describe_cache": {"x": "y"}})


def test_session_round_trip(recon, tmp_path):
    session = make_session(recon)
    save_session(session, tmp_path / "s.smsession")
    again = load_session(tmp_path / "s.smsession")
    assert again.equals(session)
    assert not again.current.equals(again.original)


def rewrite_manifest(path, change):
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(parts["manifest.json"])
    change(manifest)
    parts["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in parts.items():
            zf.writestr(n, data)


def test_newer_version_is_refused_clearly(recon, tmp_path):
    path = tmp_path / "new.smsession"
    save_session(make_session(recon), path)
    rewrite_manifest(path, lambda m: m.update(version=99))
    with pytest.raises(SessionError, match="newer SM Studio .session format 99"):
        load_session(path)


def test_broken_parts_are_named(recon, tmp_path):
    path = tmp_path / "broken.smsession"
    save_session(make_session(recon), path)
    rewrite_manifest(path, lambda m: m["segments"].append({"start": 4}))
    with pytest.raises(SessionError, match="segments. entry 3: .stop. should be a whole frame number"):
        load_session(path)
    save_session(make_session(recon), path)
    rewrite_manifest(path, lambda m: m["arrays"].update(current="gone.npz"))
    with pytest.raises(SessionError, match="part 'gone.npz' is missing"):
        load_session(path)
    path.write_bytes(b"not a zip")
    with pytest.raises(SessionError, match="not a session file"):
        load_session(path)


def test_segment_beyond_motion_is_refused(recon):
    with pytest.raises(SessionError, match="runs past the last frame"):
        Session(recon, None, [Segment(10, 100)])
