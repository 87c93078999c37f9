"""The on-screen GL painter against the offscreen pyrender renderer (one scene, same pixels), the playback proxy,
and renderers that cannot end each other's GL context."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gl_painter_support import OffscreenPainter
from inference.body import load_body_model
from inference.motion import Camera
from inference.render import OverlayRenderer, PersonStyle
from inference.render.gl_camera import gl_projection
from inference.render.proxy_mesh import proxy_mesh
from inference.render.scene import video_scene

W, H = 320, 240
STYLES = (PersonStyle((0.93, 0.55, 0.25), 1.0), PersonStyle((0.3, 0.55, 0.9), 1.0))


@pytest.fixture(scope="module")
def body():
    return load_body_model(device="cpu")


@pytest.fixture(scope="module")
def posed(body):
    pose = torch.zeros(2, 21, 3)
    pose[0, 15, 2], pose[1, 16, 2] = -0.9, 0.9  # one arm down each, so the two differ
    out = body.forward(torch.tensor([[0.0, 0.4, 0.0], [0.0, -0.4, 0.0]]), pose,
                       torch.tensor([[-0.45, 0.9, 0.0], [0.45, 0.9, 0.4]]), torch.zeros(body.num_betas))
    return [v.numpy() for v in out.vertices]


@pytest.fixture(scope="module")
def camera():
    return Camera.from_fov(W, H, 55.0, 1, R=np.diag([1.0, -1.0, -1.0]), t=np.array([0.1, 0.9, 3.5]))


@pytest.fixture(scope="module")
def painter():
    p = OffscreenPainter(W, H)
    yield p
    p.close()


GREEN = np.zeros((H, W, 3), np.uint8) + np.array([0, 200, 0], np.uint8)  # unlike either body's colour


def _covered(img: np.ndarray, video: np.ndarray) -> np.ndarray:
    return np.abs(img.astype(int) - video).sum(-1) > 80


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def test_projection_is_pyrenders(camera):
    import pyrender

    K = camera.K
    cam = pyrender.IntrinsicsCamera(K[0, 0], K[1, 1], K[0, 2], K[1, 2], znear=0.05, zfar=200.0)
    np.testing.assert_allclose(gl_projection(K, W, H), cam.get_projection_matrix(W, H))


def test_painter_and_pyrender_draw_the_same_bodies(body, posed, camera, painter):
    """One scene description, two renderers: the silhouettes must coincide (they never disagree in pose or
    camera), each person where the other renderer put them."""
    video = GREEN
    scene = video_scene(camera, 0, body.faces, posed, STYLES)
    with OverlayRenderer(W, H, body.faces) as renderer:
        reference = renderer.render_scene(video, scene)
    drawn = painter.paint(scene, video)
    assert _iou(_covered(reference, video), _covered(drawn, video)) > 0.95
    for i in (0, 1):  # each body alone: same place in both
        alone = video_scene(camera, 0, body.faces, [v if j == i else None for j, v in enumerate(posed)], STYLES)
        with OverlayRenderer(W, H, body.faces) as renderer:
            ref = _covered(renderer.render_scene(video, alone), video)
        assert _iou(ref, _covered(painter.paint(alone, video), video)) > 0.93
    orange = drawn[_covered(drawn, video)].astype(int)
    assert ((orange[:, 0] > orange[:, 2] + 40).mean() > 0.2 and (orange[:, 2] > orange[:, 0] + 40).mean() > 0.2)


def test_normals_given_with_the_pose_shade_as_computed_ones(body, posed, camera, painter):
    from inference.render.normals import VertexNormals

    normals = VertexNormals(body.faces, body.num_vertices)
    computed = painter.paint(video_scene(camera, 0, body.faces, posed, STYLES), GREEN).astype(int)
    given = painter.paint(video_scene(camera, 0, body.faces, posed, STYLES, normals=[normals(v) for v in posed]),
                          GREEN).astype(int)
    tilted = painter.paint(video_scene(camera, 0, body.faces, posed, STYLES, normals=[-normals(v) for v in posed]),
                           GREEN).astype(int)
    assert np.abs(computed - given).max() <= 1
    assert np.abs(computed - tilted).mean() > 5  # the given normals are the ones used


def test_video_shows_through_where_there_is_no_body(body, posed, camera, painter):
    rng = np.random.default_rng(0)
    video = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    drawn = painter.paint(video_scene(camera, 0, body.faces, [None, None], STYLES), video)
    np.testing.assert_array_equal(drawn, video)  # the texture is shown pixel for pixel


def test_translucent_bodies_blend_once(body, posed, camera, painter):
    """Opacity 0.5: half the video shows through, and the body's own far side never adds to it."""
    video = np.full((H, W, 3), 200, np.uint8)
    blue = (PersonStyle((0.0, 0.0, 1.0), 1.0), PersonStyle((0.0, 0.0, 1.0), 1.0))
    half = (PersonStyle((0.0, 0.0, 1.0), 0.5), PersonStyle((0.0, 0.0, 1.0), 0.5))
    solid = painter.paint(video_scene(camera, 0, body.faces, posed, blue), video)
    blended = painter.paint(video_scene(camera, 0, body.faces, posed, half), video)
    inside = _covered(solid, video)
    expected = 0.5 * 200 + 0.5 * solid[inside, 0].astype(float)
    assert np.abs(blended[inside, 0] - expected).mean() < 4


def test_proxy_is_small_and_covers_the_body(body, posed, camera, painter):
    rest = body.rest(torch.zeros(body.num_betas))[0].numpy()
    proxy = proxy_mesh(rest, body.faces, 2000)
    assert 1800 <= len(proxy.vertex_ids) <= 2000
    assert len(np.unique(proxy.vertex_ids)) == len(proxy.vertex_ids)
    assert proxy.faces.max() < len(proxy.vertex_ids) and len(proxy.faces) > 3000
    assert (np.bincount(proxy.faces.reshape(-1), minlength=len(proxy.vertex_ids)) > 0).mean() > 0.95
    video = GREEN
    full = painter.paint(video_scene(camera, 0, body.faces, posed, STYLES), video)
    coarse = painter.paint(video_scene(camera, 0, proxy.faces, [v[proxy.vertex_ids] for v in posed], STYLES), video)
    assert _iou(_covered(full, video), _covered(coarse, video)) > 0.9


def test_closing_a_renderer_leaves_the_others_drawing(body, posed, camera):
    """pyrender's EGL teardown terminated the process's one EGL display: closing any renderer (a view resized,
    an export finished) silently ended every other one."""
    video = np.full((H, W, 3), 60, np.uint8)
    scene = video_scene(camera, 0, body.faces, posed, STYLES)
    keeper = OverlayRenderer(W, H, body.faces)
    try:
        before = keeper.render_scene(video, scene)
        for size in ((64, 48), (W, H), (100, 80)):
            with OverlayRenderer(*size, body.faces) as other:
                other.render(None, posed, camera.K, camera.R[0], camera.t[0])
        after = keeper.render_scene(video, scene)
        np.testing.assert_array_equal(before, after)
        assert _covered(after, video).mean() > 0.05
        keeper.resize(W // 2, H // 2)  # one renderer, any size
        half = video_scene(camera, 0, body.faces, posed, STYLES, (W // 2, H // 2))
        small = keeper.render_scene(video[::2, ::2], half)
        assert small.shape == (H // 2, W // 2, 3) and _covered(small, video[::2, ::2]).mean() > 0.05
    finally:
        keeper.close()
