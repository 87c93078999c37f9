"""Long occlusions in the front end: the person in front stays trusted, the one behind is flagged occluded, and
a person the detector misses in plain view is not called occluded."""

from __future__ import annotations

import numpy as np
import torch

from inference.body import load_body_model
from inference.frontend.flags import MISSED_RELIABILITY, detect_flags, fit_evidence
from inference.frontend.occlusion import hidden_joints
from inference.segments import SegmentKind
from inference.skeleton import BODY_PARENTS

K = np.array([[1000.0, 0.0, 640.0], [0.0, 1000.0, 360.0], [0.0, 0.0, 1.0]])


def _walk_behind(frames: int = 60) -> np.ndarray:
    """Two standing bodies (the body model's rest joints) in camera coordinates ``(2, T, 22, 3)``: A still at
    3 m, B 0.6 m behind, standing 2 m to A's right (clear of A in the image, arms spread as they are) until
    frame 10, walking to straight behind A (frames 25–34) and back by frame 50."""
    body = load_body_model(device="cpu")
    with torch.no_grad():
        rest = body.rest(torch.zeros(body.num_betas))[1].double().numpy()
    skeleton = rest * [1.0, -1.0, -1.0]  # y up, facing +z → camera axes (y down), facing the camera
    skeleton = skeleton - skeleton[0] + [0.0, 0.1, 0.0]
    x = np.interp(np.arange(frames), [0, 10, 25, 35, 50, frames - 1], [2.0, 2.0, 0.0, 0.0, 2.0, 2.0])
    a = np.broadcast_to(skeleton + [0.0, 0.0, 3.0], (frames,) + skeleton.shape)
    b = skeleton[None] + np.stack([x, np.zeros(frames), np.full(frames, 3.6)], -1)[:, None]
    return np.stack([a, b])


def _keypoints(joints: np.ndarray) -> np.ndarray:
    uv = joints[..., :2] / joints[..., 2:3] * np.diag(K)[:2] + K[:2, 2]
    return np.concatenate([uv, np.full(uv.shape[:-1] + (1,), 0.9)], -1)


def test_the_occluder_stays_trusted_through_a_long_occlusion():
    """B is hidden behind A for seconds and not detected there; A, in front and fully seen, keeps reliability 1
    on every frame, B is occluded (reliability 0) where the bodies say so and trusted elsewhere."""
    joints = _walk_behind()
    kp = _keypoints(joints)
    behind = hidden_joints(joints, K).sum(-1) >= 4  # (2, T): the truth of this scene
    assert not behind[0].any() and behind[1].sum() >= 15  # half a second and more at 30 fps
    found = ~behind
    kp[1, ~found[1], :, 2] = 0.0  # the detector lost B where B is hidden
    flags = detect_flags(kp, found, BODY_PARENTS, **fit_evidence(joints, K, kp))
    rel = flags.reliability(kp)
    assert (rel[0] == 1.0).all() and not flags.occluded[0].any() and not flags.ambiguous[0].any()
    assert (flags.occluded[1] == behind[1]).all()
    assert (rel[1][~behind[1]] == 1.0).all()
    occluded = [(s.who, s.start, s.stop) for s in flags.segments() if s.kind == SegmentKind.OCCLUDED]
    start, stop = np.flatnonzero(behind[1])[[0, -1]]
    assert occluded == [("B", int(start), int(stop) + 1)]


def test_a_person_missed_in_plain_view_is_not_called_occluded():
    """The detector also misses B on frames 0–5, where B stands beside A and nothing hides them: those frames
    are not trusted (the pose is filled in from time) but are *missed in view*, not occluded — unless no fit says
    where B is, when a missed person can only be taken as occluded."""
    joints = _walk_behind()
    kp = _keypoints(joints)
    behind = hidden_joints(joints, K).sum(-1) >= 4
    found = ~behind
    found[1, :6] = False
    kp[1, ~found[1], :, 2] = 0.0
    flags = detect_flags(kp, found, BODY_PARENTS, **fit_evidence(joints, K, kp))
    assert not flags.occluded[1, :6].any() and flags.missed[1, :6].all() and flags.ambiguous[1, :6].all()
    assert (flags.reliability(kp)[1, :6] == MISSED_RELIABILITY).all()
    assert (flags.occluded[1] == behind[1]).all()
    assert any(s.who == "B" and s.kind == SegmentKind.AMBIGUOUS and s.start == 0 and s.stop == 6
               for s in flags.segments())
    without_fit = detect_flags(kp, found, BODY_PARENTS)
    assert without_fit.occluded[1, :6].all()


def test_a_person_missed_over_the_partner_is_marked_behind():
    """Before any fit: B, lost while hidden behind A, is marked behind A on exactly those frames; a miss while
    standing clear of A (frames 0–5) and a two-frame miss are not."""
    from inference.frontend.occlusion import missed_behind

    joints = _walk_behind()
    kp = _keypoints(joints)
    behind = hidden_joints(joints, K).sum(-1) >= 4
    found = ~behind
    found[1, :6] = False
    found[1, 18:20] = False  # B half over A, missed for two frames only
    kp[~found] = 0.0
    marked = missed_behind(kp, found)
    assert not marked[0].any() and not marked[1, :6].any() and not marked[1, 18:20].any()
    assert (marked[1, 6:] == behind[1, 6:]).all() and marked[1].sum() >= 15
    assert not missed_behind(kp, np.ones_like(found)).any()
    never = found.copy()
    never[1] = False  # B never found: no box to lie on A, nothing to say
    assert not missed_behind(kp, never).any()
