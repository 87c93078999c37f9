"""Resampling a reconstruction in time: exact at frame times, shortest-arc halfway between, evidence never
trusted more than its neighbours."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from inference.motion import MotionError
from inference.resample import frame_times, resample


def test_integer_times_give_the_frames_back(recon) -> None:
    out = resample(recon, np.arange(recon.num_frames, dtype=float))
    for a, b in zip(recon.people, out.people):
        np.testing.assert_allclose(Rotation.from_rotvec(b.body_pose.reshape(-1, 3)).as_matrix(),
                                   Rotation.from_rotvec(a.body_pose.reshape(-1, 3)).as_matrix(), atol=1e-5)
        np.testing.assert_allclose(b.transl, a.transl, atol=1e-6)
    np.testing.assert_allclose(out.camera.R, recon.camera.R, atol=1e-9)


def test_halfway_is_the_shortest_arc_midpoint_and_the_mean_position(recon) -> None:
    out = resample(recon, np.array([2.5]), fps=recon.fps * 2)
    for a, b in zip(recon.people, out.people):
        r0, r1 = Rotation.from_rotvec(a.global_orient[2]), Rotation.from_rotvec(a.global_orient[3])
        half = r0 * Rotation.from_rotvec((r0.inv() * r1).as_rotvec() / 2)
        assert (Rotation.from_rotvec(b.global_orient[0]).inv() * half).magnitude() < 1e-5
        np.testing.assert_allclose(b.transl[0], (a.transl[2] + a.transl[3]) / 2, atol=1e-6)
    assert out.fps == pytest.approx(recon.fps * 2)


def test_evidence_between_frames_is_the_weaker_neighbour(recon) -> None:
    person = recon.people[0].copy()
    person.reliability[:] = 1.0
    person.reliability[5] = 0.0
    person.keypoints_2d = np.ones((recon.num_frames, 22, 3), np.float32)
    person.keypoints_2d[6, :, 2] = 0.2
    out = resample(recon.replace_people(person, recon.people[1]), np.array([4.5, 5.5, 6.5, 7.0, 4.0, 5.0]))
    np.testing.assert_allclose(out.people[0].reliability, [0.0, 0.0, 1.0, 1.0, 1.0, 0.0])  # on a frame: its own
    np.testing.assert_allclose(out.people[0].keypoints_2d[:, 0, 2], [1.0, 0.2, 0.2, 1.0, 1.0, 1.0])


def test_times_outside_the_sequence_are_refused(recon) -> None:
    with pytest.raises(MotionError, match="resampling times"):
        resample(recon, np.array([0.0, recon.num_frames + 0.5]))


def test_frame_times_of_a_slower_clock() -> None:
    np.testing.assert_allclose(frame_times(10, 20, 60.0, 30.0), [10, 12, 14, 16, 18, 20])
    np.testing.assert_allclose(frame_times(0, 4, 25.0, 30.0), np.arange(0, 4.0001, 25 / 30))
