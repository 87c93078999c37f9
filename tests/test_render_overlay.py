"""Offscreen GL overlay (real EGL rendering), occlusion maps, the 2D fallback and MP4 writing."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from inference.body import load_body_model
from inference.generator import look_at_camera
from inference.motion import Camera
from inference.render import BACKGROUND_ID, OverlayRenderer, PersonStyle, RenderError, gl_available, project
from inference.render.skeleton2d import SkeletonOverlay, draw_skeleton
from inference.render.video_writer import Mp4Writer
from inference.render.visibility import hidden_by_other
from inference.skeleton import JOINT_INDEX

W, H = 320, 240


@pytest.fixture(scope="module")
def body():
    return load_body_model(device="cpu")


@pytest.fixture(scope="module")
def renderer(body):
    with OverlayRenderer(W, H, body.faces) as r:
        yield r


def _pose(body, x: float, z: float, yaw: float = 0.0, arm: float = 0.0):
    """A standing body at (x, z) facing yaw; ``arm`` lowers the left arm (radians about z)."""
    pose = torch.zeros(1, 21, 3)
    pose[0, JOINT_INDEX["left_shoulder"] - 1, 2] = -arm
    rest = body.rest(torch.zeros(body.num_betas))[1]
    transl = torch.tensor([[x, 0.0, z]]) - rest[0:1] * torch.tensor([[1.0, 0.0, 1.0]])
    out = body.forward(torch.tensor([[0.0, yaw, 0.0]]), pose, transl, torch.zeros(body.num_betas))
    verts, joints = out.vertices[0].numpy(), out.joints[0].numpy()
    lift = -verts[:, 1].min()
    return verts + [0, lift, 0], joints + [0, lift, 0]


def _camera(eye, target):
    R, t = look_at_camera(np.asarray(eye, float), np.asarray(target, float))
    return Camera.from_fov(W, H, 60.0, 1, R, t).K, R, t


def test_gl_is_available_here():
    assert gl_available()  # CI and this machine render with EGL on llvmpipe; the fallback is for others


def test_posed_body_covers_its_projected_pelvis(body, renderer):
    verts, joints = _pose(body, 0.0, 0.0)
    K, R, t = _camera([0.0, 1.0, 3.5], [0.0, 0.9, 0.0])
    img = renderer.render(None, [verts, None], K, R, t)
    assert img.shape == (H, W, 3) and img.dtype == np.uint8
    bg = (np.asarray(renderer.background) * 255).round().astype(int)
    covered = np.abs(img.astype(int) - bg).sum(-1) > 12
    assert 0.03 < covered.mean() < 0.5
    u, v, _ = project(joints[None, 0], K, R, t)[0]
    assert covered[int(v), int(u)]
    ys, xs = np.nonzero(covered)
    assert abs(xs.mean() - W / 2) < W * 0.1  # the body is centred where the camera looks


def test_composite_keeps_the_background_where_there_is_no_mesh(body, renderer):
    verts, _ = _pose(body, 0.0, 0.0)
    K, R, t = _camera([0.0, 1.0, 3.5], [0.0, 0.9, 0.0])
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    out = renderer.render(frame, [verts, None], K, R, t)
    ids = renderer.id_depth([verts, None], K, R, t).ids
    empty = ids == BACKGROUND_ID
    # away from the silhouette's anti-aliased edge the frame is untouched
    far = cv2.erode(empty.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert far.mean() > 0.5
    np.testing.assert_array_equal(out[far], frame[far])
    assert np.abs(out[~empty].astype(int) - frame[~empty]).mean() > 20


def test_opacity_blends_with_the_frame(body, renderer):
    verts, _ = _pose(body, 0.0, 0.0)
    K, R, t = _camera([0.0, 1.0, 3.5], [0.0, 0.9, 0.0])
    frame = np.full((H, W, 3), 200, np.uint8)
    solid = renderer.render(frame, [verts], K, R, t, [PersonStyle((0.0, 0.0, 1.0), 1.0)])
    half = renderer.render(frame, [verts], K, R, t, [PersonStyle((0.0, 0.0, 1.0), 0.5)])
    inside = renderer.id_depth([verts], K, R, t).ids == 0
    inside = cv2.erode(inside.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    red_solid, red_half = solid[inside, 0].mean(), half[inside, 0].mean()
    assert red_solid < 60  # a blue body (specular highlights add a little red)
    assert abs(red_half - (0.5 * 200 + 0.5 * red_solid)) < 12  # half of the frame shows through


def test_each_person_has_their_own_opacity(body, renderer):
    a, _ = _pose(body, -0.5, 0.0)
    b, _ = _pose(body, 0.5, 0.0)
    K, R, t = _camera([0.0, 1.0, 4.0], [0.0, 0.9, 0.0])
    frame = np.full((H, W, 3), 200, np.uint8)
    styles = [PersonStyle((0.0, 0.0, 1.0), 1.0), PersonStyle((0.0, 0.0, 1.0), 0.25)]
    out = renderer.render(frame, [a, b], K, R, t, styles)
    ids = renderer.id_depth([a, b], K, R, t).ids
    kernel = np.ones((3, 3), np.uint8)
    red = [out[cv2.erode((ids == i).astype(np.uint8), kernel).astype(bool), 0].mean() for i in (0, 1)]
    assert red[0] < 60 and red[1] > 130  # B is mostly see-through, A is not


def test_nearer_person_occludes_the_farther(body, renderer):
    near, near_j = _pose(body, 0.0, 1.0)
    far, far_j = _pose(body, 0.05, -1.0)
    K, R, t = _camera([0.0, 1.2, 5.0], [0.0, 0.9, 0.0])
    for order in ([near, far], [far, near]):  # draw order must not matter
        id_depth = renderer.id_depth(order, K, R, t)
        nearer = 0 if order[0] is near else 1
        u, v, z = project(near_j[None, JOINT_INDEX["spine2"]], K, R, t)[0]
        assert id_depth.ids[int(v), int(u)] == nearer
        assert abs(id_depth.depth[int(v), int(u)] - (z - 0.1)) < 0.15  # front surface of the near chest
        assert (id_depth.ids == 1 - nearer).any()  # the far person still peeks out
        # visibility: the far person's trunk joints are hidden, the near person's are not
        far_uvz = project(far_j, K, R, t)
        near_uvz = project(near_j, K, R, t)
        hidden_far = hidden_by_other(far_uvz, 1 - nearer, id_depth)
        assert hidden_far[[JOINT_INDEX[n] for n in ("pelvis", "spine1", "spine2", "spine3")]].all()
        assert not hidden_by_other(near_uvz, nearer, id_depth).any()


def test_vertex_updates_move_the_mesh(body, renderer):
    """The in-place vertex-buffer update path: a second pose must show up, not the first one's cached buffer."""
    K, R, t = _camera([0.0, 1.0, 4.0], [0.0, 0.9, 0.0])
    left, _ = _pose(body, -0.6, 0.0)
    right, _ = _pose(body, 0.6, 0.0)
    cols = []
    for verts in (left, right, left):
        ids = renderer.id_depth([verts, None], K, R, t).ids
        cols.append(np.nonzero(ids == 0)[1].mean())
        img = renderer.render(None, [verts, None], K, R, t)
        assert img.any()
    assert cols[0] < W / 2 - 20 and cols[1] > W / 2 + 20 and abs(cols[2] - cols[0]) < 1


def test_wireframe_covers_fewer_pixels_than_solid(body, renderer):
    verts, _ = _pose(body, 0.0, 0.0)
    K, R, t = _camera([0.0, 1.3, 0.7], [0.0, 1.3, 0.0])  # close-up of the chest: triangles many pixels wide
    frame = np.zeros((H, W, 3), np.uint8)
    solid = renderer.render(frame, [verts], K, R, t, [PersonStyle((1.0, 1.0, 1.0))])
    wire = renderer.render(frame, [verts], K, R, t, [PersonStyle((1.0, 1.0, 1.0), wireframe=True)])
    body_px = solid.sum(-1) > 60
    dark_in_wire = (wire.sum(-1) < 30) & body_px
    assert body_px.mean() > 0.2
    assert 0.1 < dark_in_wire.sum() / body_px.sum() < 0.9  # the frame shows between the edges


def test_bad_input_is_reported(body, renderer):
    K, R, t = _camera([0.0, 1.0, 3.0], [0.0, 0.9, 0.0])
    with pytest.raises(RenderError, match="vertices shape"):
        renderer.render(None, [np.zeros((10, 3))], K, R, t)
    with pytest.raises(RenderError, match="frame shape"):
        renderer.render(np.zeros((10, 10, 3), np.uint8), [None], K, R, t)
    with pytest.raises(RenderError, match="faces"):
        OverlayRenderer(16, 16, np.zeros((4, 2), int))


def test_skeleton_fallback_draws_where_the_joints_project(body):
    _, joints = _pose(body, 0.0, 0.0)
    K, R, t = _camera([0.0, 1.0, 3.5], [0.0, 0.9, 0.0])
    img = SkeletonOverlay(W, H).render(None, [joints, None], K, R, t)
    u, v, _ = project(joints[None, JOINT_INDEX["spine2"]], K, R, t)[0]
    patch = img[int(v) - 3:int(v) + 4, int(u) - 3:int(u) + 4].astype(int)
    assert (np.abs(patch - np.array(PersonStyle((0.93, 0.55, 0.25)).color_u8)).sum(-1) < 40).any()
    kp = np.zeros((22, 3))
    with pytest.raises(ValueError, match="keypoints"):
        draw_skeleton(img, kp[:5])


def test_mp4_is_readable_by_opencv_with_the_right_frames(tmp_path, body, renderer):
    verts, _ = _pose(body, 0.0, 0.0)
    path = tmp_path / "clip.mp4"
    with Mp4Writer(path, W, H, 30.0) as out:
        for i in range(12):
            K, R, t = _camera([np.sin(i / 4) * 3.0, 1.0, np.cos(i / 4) * 3.0], [0.0, 0.9, 0.0])
            out.write(renderer.render(None, [verts], K, R, t))
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == 12
    assert frames[0].shape == (H, W, 3)
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(30.0)
    with pytest.raises(ValueError, match="even"):
        Mp4Writer(tmp_path / "odd.mp4", 15, 16, 30.0)
