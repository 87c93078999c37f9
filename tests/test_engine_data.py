"""Training data sources: generated clips, our two-person NPZ, AMASS-style single people paired."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine_support import generated, single_thread  # noqa: F401 (fixture)
from inference.engine.dataset import load_clips
from inference.engine.pair_frame import posed_heading
from inference.io.npz import save_reconstruction
from inference.motion import MotionError
from inference.rotations import rot6d_to_matrix

pytestmark = pytest.mark.usefixtures("single_thread")


def _amass(path, frames, fps, seed):
    rng = np.random.default_rng(seed)
    poses = rng.normal(0, 0.1, (frames, 156)).astype(np.float32)
    poses[:, :3] = [np.pi / 2, 0, 0]  # standing upright in a Z-up world
    trans = np.stack([np.linspace(0, 1, frames), np.full(frames, 3.0), np.full(frames, 0.95)], 1)
    np.savez(path, poses=poses, trans=trans.astype(np.float32), betas=np.zeros(16, np.float32),
             gender=np.array("neutral"), mocap_framerate=np.array(fps))


def test_amass_single_people_are_paired_facing_each_other(tmp_path):
    _amass(tmp_path / "a.npz", 120, 60.0, 0)
    _amass(tmp_path / "b.npz", 90, 60.0, 1)
    (clip,) = load_clips(str(tmp_path))
    assert clip.num_frames == 45 and clip.fps == 30.0  # 60 fps resampled, trimmed to the shorter one
    assert clip.text == ""
    rotmats = rot6d_to_matrix(torch.as_tensor(clip.rot6d[0]))
    yaw = posed_heading(rotmats, torch.as_tensor(clip.pelvis[0]), torch.as_tensor(clip.rest_joints)).numpy()
    assert abs(abs(yaw[0] - yaw[1]) - np.pi) < 1e-3  # B faces A
    gap = np.linalg.norm(clip.pelvis[0, 0, [0, 2]] - clip.pelvis[0, 1, [0, 2]])
    assert 0.7 <= gap <= 1.4
    assert 0.5 < clip.pelvis[0, 0, 1] < 1.5  # converted to Y-up


def test_two_person_npz_keeps_its_text(tmp_path):
    recon = generated("handshake", 2, seconds=2.0)
    recon.meta["text"] = "they shake hands"
    save_reconstruction(recon, tmp_path / "pair.npz")
    (clip,) = load_clips(str(tmp_path / "pair.npz"))
    assert clip.text == "they shake hands" and clip.num_frames == recon.num_frames
    assert clip.rot6d.shape == (recon.num_frames, 2, 22, 6) and clip.rest_joints.shape == (2, 22, 3)


def test_generated_spec_and_errors(tmp_path):
    clips = load_clips("generated:2:11")
    assert len(clips) == 2 and all(c.text for c in clips) and clips[0].name != clips[1].name
    with pytest.raises(MotionError, match="generated:COUNT"):
        load_clips("generated:many")
    with pytest.raises(MotionError, match="not found"):
        load_clips(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(MotionError, match="no .npz"):
        load_clips(str(tmp_path / "empty"))
