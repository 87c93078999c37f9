"""``sm-studio describe`` on real session and NPZ files written by the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from inference.io.npz import save_reconstruction
from inference.segments import USER_AUTHOR, Segment
from inference.session import Session, load_session, save_session
from sm_studio.cli import main

from describe_support import clip


@pytest.fixture
def session_file(tmp_path: Path) -> Path:
    recon = clip("handshake", 0).reconstruction
    segments = [Segment(40, 80, id="shake"), Segment(0, 20, id="before"),
                Segment(90, 110, id="edited").with_text("B lets go of A's hand.", USER_AUTHOR)]
    path = tmp_path / "clip.smsession"
    save_session(Session(recon, segments=segments), path)
    return path


def test_describe_session_writes_history_and_reuses_the_cache(session_file: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert main(["describe", str(session_file), *cache]) == 0
    out = capsys.readouterr().out
    assert "shake frames 40-79 [offline describer v3]: A and B shake hands." in out
    assert "  contact: A's right hand → B's right hand, frames " in out and "(estimate)" in out  # the list, shown
    assert "kept the user's description of edited" in out
    session = load_session(session_file)
    shake = session.segment("shake")
    assert shake.latest.author == "offline describer v3" and shake.description.startswith("A and B shake hands.")
    assert session.segment("edited").description == "B lets go of A's hand."  # the user's text stays current

    assert main(["describe", str(session_file), "--segment", "shake", *cache]) == 0
    assert "offline describer v3, cached]" in capsys.readouterr().out
    assert len(load_session(session_file).segment("shake").history) == 1  # same text, no new version

    assert main(["describe", str(session_file), "--segment", "edited", "--replace-user", *cache]) == 0
    history = load_session(session_file).segment("edited").history
    assert [v.author for v in history] == [USER_AUTHOR, "offline describer v3"]


def test_describe_npz_prints_the_whole_clip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "walk.npz"
    save_reconstruction(clip("walk_together", 0).reconstruction, path)
    assert main(["describe", str(path), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("whole frames 0-119 [offline describer v3]: A and B walk side by side, B on A's right")


def test_describe_a_frame_range_writes_nothing(session_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = session_file.read_bytes()
    assert main(["describe", str(session_file), "--frames", "50:70", "--no-cache"]) == 0
    assert capsys.readouterr().out.startswith("frames-50-70 frames 50-69 [offline describer v3]: A and B shake hands.")
    assert session_file.read_bytes() == before
    assert main(["describe", str(session_file), "--frames", "70:50", "--no-cache"]) == 1
    assert "START:STOP" in capsys.readouterr().err


def test_describe_reports_bad_requests(session_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["describe", str(session_file), "--segment", "nope", "--no-cache"]) == 1
    assert "no segment with id 'nope'" in capsys.readouterr().err
    assert main(["describe", str(session_file), "--backend", "vlm", "--no-cache"]) == 1
    assert "--model-dir" in capsys.readouterr().err
