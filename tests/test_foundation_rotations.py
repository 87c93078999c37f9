import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from inference import rotations as rot

RNG = np.random.default_rng(0)


def random_rotvecs(n: int) -> np.ndarray:
    """Random rotations, plus the hard cases: identity, tiny angles and angles near pi."""
    r = Rotation.random(n, random_state=1).as_rotvec()
    axis = RNG.normal(size=(3, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    special = np.concatenate([np.zeros((1, 3)), axis[:1] * 1e-7, axis[1:2] * (np.pi - 1e-5), axis[2:] * np.pi * 0.999])
    return np.concatenate([r, special])


def test_axis_angle_to_matrix_matches_scipy():
    aa = random_rotvecs(500)
    ours = rot.axis_angle_to_matrix(torch.tensor(aa)).numpy()
    np.testing.assert_allclose(ours, Rotation.from_rotvec(aa).as_matrix(), atol=1e-9)


def test_matrix_to_quaternion_matches_scipy_up_to_sign():
    m = Rotation.random(500, random_state=2).as_matrix()
    q = rot.matrix_to_quaternion(torch.tensor(m)).numpy()
    ref = Rotation.from_matrix(m).as_quat(scalar_first=True)
    ref *= np.sign(ref[:, :1])
    np.testing.assert_allclose(q, ref, atol=1e-9)


def test_quaternion_to_matrix_matches_scipy():
    q = Rotation.random(300, random_state=3).as_quat(scalar_first=True)
    np.testing.assert_allclose(rot.quaternion_to_matrix(torch.tensor(q)).numpy(),
                               Rotation.from_quat(q, scalar_first=True).as_matrix(), atol=1e-9)


def test_axis_angle_round_trips_through_every_representation():
    aa = torch.tensor(random_rotvecs(400))
    for there, back in [(rot.axis_angle_to_quaternion, rot.quaternion_to_axis_angle),
                        (rot.axis_angle_to_matrix, rot.matrix_to_axis_angle),
                        (rot.axis_angle_to_rot6d, rot.rot6d_to_axis_angle)]:
        again = back(there(aa))
        # compare as rotations (axis-angle near pi is sign-ambiguous)
        np.testing.assert_allclose(Rotation.from_rotvec(again.numpy()).as_matrix(),
                                   Rotation.from_rotvec(aa.numpy()).as_matrix(), atol=1e-7)


def test_rot6d_projects_arbitrary_vectors_onto_rotations():
    m = rot.rot6d_to_matrix(torch.randn(100, 6, dtype=torch.float64))
    eye = torch.eye(3, dtype=torch.float64).expand(100, 3, 3)
    torch.testing.assert_close(m.transpose(-1, -2) @ m, eye, atol=1e-12, rtol=0)
    torch.testing.assert_close(torch.linalg.det(m), torch.ones(100, dtype=torch.float64))


def test_batch_shapes_are_kept():
    aa = torch.randn(4, 5, 22, 3)
    assert rot.axis_angle_to_matrix(aa).shape == (4, 5, 22, 3, 3)
    assert rot.axis_angle_to_rot6d(aa).shape == (4, 5, 22, 6)
    assert rot.axis_angle_to_quaternion(aa).shape == (4, 5, 22, 4)


def test_gradients_are_finite_at_zero_rotation():
    aa = torch.zeros(2, 3, requires_grad=True)
    rot.axis_angle_to_matrix(aa).sum().backward()
    assert torch.isfinite(aa.grad).all()


@pytest.mark.parametrize("t", [0.0, 0.3, 1.0])
def test_slerp_matches_scipy(t):
    from scipy.spatial.transform import Slerp

    key = Rotation.random(2, random_state=5)
    ref = Slerp([0, 1], key)([t]).as_matrix()[0]
    q = torch.tensor(key.as_quat(scalar_first=True))
    ours = rot.quaternion_to_matrix(rot.quaternion_slerp(q[0], q[1], torch.tensor(t, dtype=torch.float64)))
    np.testing.assert_allclose(ours.numpy(), ref, atol=1e-9)
