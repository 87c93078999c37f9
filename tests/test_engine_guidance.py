"""Each guidance term, switched on alone, reduces its own violation; a zero weight changes nothing."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from engine_support import generated, single_thread  # noqa: F401 (fixture)
from inference.engine.bodies import pair_rest_joints
from inference.engine.guidance import (ContactConstraint, GuidanceProblem, GuidanceWeights, apply_guidance,
                                       guidance_terms, window_joints)
from inference.engine.window_io import read_window
from inference.skeleton import JOINT_INDEX

pytestmark = pytest.mark.usefixtures("single_thread")
FRAMES = 20


@pytest.fixture(scope="module")
def window():
    recon = generated("dance_hold", 6, seconds=2.0)
    rest = pair_rest_joints(recon)
    return recon, read_window(recon, 10, 10 + FRAMES, np.ones((FRAMES, 2), bool), rest)


def _problem(window, **extra) -> GuidanceProblem:
    free = np.zeros((FRAMES, 2), bool)
    free[5:15] = True
    return GuidanceProblem(window.rest_joints, window.frame, torch.as_tensor(free), **extra)


def _only(term: str, weight: float = 1.0) -> GuidanceWeights:
    return replace(GuidanceWeights.none(), **{term: weight})


def _reduces(features, problem, term, iterations=15):
    w = _only(term)
    before = guidance_terms(features, problem, w)[term].item()
    guided = apply_guidance(features, problem, w, iterations)
    after = guidance_terms(guided, problem, w)[term].item()
    assert before > 0 and after < 0.8 * before, (term, before, after)
    return guided


def test_reprojection_pulls_joints_onto_keypoints(window):
    recon, win = window
    cam = recon.camera
    K = torch.as_tensor(cam.K, dtype=torch.float32)
    R = torch.as_tensor(cam.R[10:10 + FRAMES], dtype=torch.float32)
    t = torch.as_tensor(cam.t[10:10 + FRAMES], dtype=torch.float32)
    world = win.frame.points_to_world(window_joints(win.features, win.rest_joints))
    uvz = torch.einsum("tij,tpnj->tpni", R, world) + t[:, None, None]
    uv = torch.einsum("ij,tpnj->tpni", K, uvz / uvz[..., 2:3])[..., :2]
    kp = torch.cat([uv + 25.0, torch.ones_like(uv[..., :1])], -1)  # keypoints 25 px off
    _reduces(win.features, _problem(win, keypoints=kp, camera=(K, R, t)), "reprojection")


def test_contact_brings_the_named_joints_together(window):
    _, win = window
    contact = ContactConstraint(0, FRAMES, JOINT_INDEX["left_wrist"], JOINT_INDEX["head"], distance=0.05)
    _reduces(win.features, _problem(win, contacts=[contact]), "contact")


def test_ground_lifts_feet_out_of_the_floor(window):
    _, win = window
    feet_y = win.frame.points_to_world(window_joints(win.features, win.rest_joints))[..., 1].min().item()
    _reduces(win.features, _problem(win, floor=feet_y + 0.05), "ground")


def test_skating_and_continuity_reduce_sliding_and_jumps(window):
    _, win = window
    noisy = win.features.clone()
    noisy[5:15, :, -3:] += torch.randn(10, 2, 3, generator=torch.Generator().manual_seed(0)) * 0.03
    floor = win.frame.points_to_world(window_joints(win.features, win.rest_joints))[..., 1].min().item()
    _reduces(noisy, _problem(win, floor=floor + 0.03), "skating")
    _reduces(noisy, _problem(win), "continuity")


def test_penetration_and_anchor(window):
    _, win = window
    squeezed = win.features.clone()
    squeezed[:, 1, -3:] = squeezed[:, 0, -3:] + torch.tensor([0.0, 0.0, 0.1])  # B's pelvis inside A
    _reduces(squeezed, _problem(win), "penetration")
    _reduces(squeezed, _problem(win, anchor=win.features), "anchor")


def test_zero_weights_and_fixed_entries_stay_untouched(window):
    _, win = window
    problem = _problem(win, floor=10.0)
    assert torch.equal(apply_guidance(win.features, problem, GuidanceWeights.none(), 5), win.features)
    moved = apply_guidance(win.features, problem, _only("ground"), 5)
    assert torch.equal(moved[:5], win.features[:5]) and torch.equal(moved[15:], win.features[15:])
    assert not torch.equal(moved[5:15], win.features[5:15])
