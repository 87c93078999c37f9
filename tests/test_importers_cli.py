"""``sm-studio import``: real files in, NPZ / session out, errors as one line."""

from __future__ import annotations

import numpy as np
import torch

from importer_files import write_phalp
from inference.body import load_body_model
from inference.generator import generate_clip
from inference.importers.phalp import phalp_intrinsics
from inference.io.npz import load_reconstruction, save_person, save_reconstruction
from inference.motion import Camera
from inference.session import load_session
from sm_studio.cli import main


def _phalp_file(tmp_path):
    recon = generate_clip("handshake", 1, seconds=2.0).reconstruction
    cam = recon.camera
    recon.camera = Camera(phalp_intrinsics(cam.width, cam.height), cam.R, cam.t, cam.width, cam.height)
    body = load_body_model()
    pelvis = [body.rest(torch.as_tensor(p.betas))[1][0].numpy() for p in recon.people]
    path = tmp_path / "demo.pkl"
    write_phalp(path, recon, pelvis)
    return path, recon


def test_import_phalp_to_session_and_npz(tmp_path, capsys):
    path, recon = _phalp_file(tmp_path)
    out = tmp_path / "s.smsession"
    assert main(["import", str(path), "-o", str(out), "--tracks", "7,3", "--fps", "25", "--video", "v.mp4"]) == 0
    assert "tracks 7 (A) and 3 (B)" in capsys.readouterr().out
    session = load_session(out)
    assert session.current.fps == 25 and session.video_path == "v.mp4"
    assert session.current.meta["tracks"] == [7, 3]
    np.testing.assert_allclose(session.current.people[0].body_pose, recon.people[1].body_pose, atol=1e-4)
    npz = tmp_path / "o.npz"
    assert main(["import", str(path), "-o", str(npz)]) == 0
    assert load_reconstruction(npz).num_frames == recon.num_frames


def test_import_npz_pair_and_errors(tmp_path, capsys):
    recon = generate_clip("push", 0, seconds=2.0).reconstruction
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    save_person(recon.people[0], recon.fps, a)
    save_person(recon.people[1], recon.fps, b)
    out = tmp_path / "pair.npz"
    assert main(["import", str(a), str(b), "-o", str(out)]) == 0
    assert load_reconstruction(out).people[1].equals(recon.people[1])
    save_reconstruction(recon, tmp_path / "both.npz")
    assert main(["import", str(tmp_path / "both.npz"), "-o", str(tmp_path / "x.txt")]) == 1
    assert "x.txt: import writes .npz or .smsession" in capsys.readouterr().err
    assert main(["import", str(a), "-o", str(out), "--tracks", "1,2"]) == 1
    assert "track selection applies to PHALP/WHAM" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "nope.xyz"), "-o", str(out)]) == 1
    assert "unknown file type '.xyz'" in capsys.readouterr().err
