import numpy as np
from scipy.spatial.transform import Rotation

from inference.alignment import procrustes_align


def test_similarity_transform_is_undone_exactly():
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(5, 22, 3))
    rot = Rotation.random(5, random_state=1).as_matrix()
    moved = 1.7 * np.einsum("nij,nkj->nki", rot, gt) + rng.normal(size=(5, 1, 3))
    np.testing.assert_allclose(procrustes_align(moved, gt), gt, atol=1e-9)


def test_reflection_is_not_used_to_fit():
    gt = np.random.default_rng(2).normal(size=(1, 22, 3))
    mirrored = gt * np.array([-1.0, 1.0, 1.0])
    aligned = procrustes_align(mirrored, gt)
    assert np.abs(aligned - gt).max() > 1e-3  # a proper rotation cannot undo a mirror
