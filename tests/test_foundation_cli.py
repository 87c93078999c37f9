import subprocess
import sys

import numpy as np

from inference.io.npz import save_reconstruction
from inference.session import Session, save_session
from inference.segments import Segment
from sm_studio.cli import main


def test_info_and_convert_round_trip_bit_exact(recon, tmp_path, capsys):
    src, out = tmp_path / "in.npz", tmp_path / "out.npz"
    save_reconstruction(recon, src)
    assert main(["info", str(src)]) == 0
    text = capsys.readouterr().out
    assert "frames: 24 at 25 fps" in text and "people: 2" in text and "camera: 640x360" in text
    assert main(["convert", str(src), str(out)]) == 0
    a, b = np.load(src), np.load(out)
    assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)


def test_info_on_session_lists_segments(recon, tmp_path, capsys):
    path = tmp_path / "s.smsession"
    save_session(Session(recon, None, [Segment(2, 8, "A").with_text("A hugs B", "user")]), path)
    assert main(["info", str(path)]) == 0
    assert "segments: 1" in capsys.readouterr().out


def test_bad_input_is_one_clear_line(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"garbage")
    assert main(["info", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sm-studio: error:") and "bad.npz" in err and "Traceback" not in err


def test_python_dash_m_entry_point(tmp_path):
    result = subprocess.run([sys.executable, "-m", "sm_studio", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "info" in result.stdout and "convert" in result.stdout


def test_generate_writes_a_loadable_clip(tmp_path, capsys):
    from inference.io.npz import load_reconstruction

    assert main(["generate", "handshake", "--seed", "3", "--seconds", "2", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    recon = load_reconstruction(tmp_path / "truth.npz")
    assert recon.num_frames == 60 and recon.camera is not None and "label:" in out and "shake" in out


def test_info_and_convert_on_the_embedded_demo(tmp_path, capsys):
    from inference.demo import demo_paths

    demo = demo_paths()
    assert main(["info", str(demo.video.parent)]) == 0
    text = capsys.readouterr().out
    assert "frames at 30 fps" in text and "people: 2" in text and "segments: " in text and "occluded" in text
    out = tmp_path / "demo.npz"
    assert main(["convert", str(demo.initial), str(out)]) == 0
    a, b = np.load(demo.initial), np.load(out)
    assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)
