"""Recorded two-person motion as footage: a salsa pair cut, resampled, reshaped, on the floor, framed, and
rendered with clothed bodies whose colours are not the overlay's."""

from __future__ import annotations

import numpy as np
import pytest

from inference.generator import generate_clip



def test_mocap_clip_is_cut_resampled_reshaped_and_on_the_floor():
    from inference.generator.clip import default_body
    from inference.generator.mocap_footage import mocap_clip

    body = default_body()
    source = generate_clip("dance_hold", 1, fps=60.0, seconds=3.0).reconstruction  # stands in for a recording
    clip = mocap_clip(source, 0.5, 2.0, seed=3, eye_height=2.4, width=320, height=180, shape_sigma=1.0, body=body)
    recon = clip.reconstruction
    assert recon.num_frames == 60 and recon.fps == 30.0
    a, b = recon.people
    assert not np.allclose(a.betas, b.betas) and not np.allclose(a.betas, 0)
    for p in recon.people:
        lowest = body.pose_motion(p).vertices.numpy()[..., 1].min(-1)
        assert abs(np.median(lowest)) < 1e-3  # feet on y = 0
    cam = recon.camera
    eye = -cam.R[0].T @ cam.t[0]
    assert eye[1] == pytest.approx(2.4)
    uv = cam.project(np.concatenate([clip.joints["A"], clip.joints["B"]], 1))
    assert (uv[..., 0] > 0).all() and (uv[..., 0] < 320).all() and (uv[..., 2] > 0).all()
    with pytest.raises(ValueError, match="outside"):
        mocap_clip(source, 2.5, 2.0, seed=3, eye_height=1.5, body=body)


def test_clothed_render_has_shirt_trousers_and_no_overlay_colours(tmp_path):
    import cv2

    from inference.generator.clip import default_body
    from inference.generator.footage import render_footage
    from inference.render import OverlayRenderer
    from inference.render.style import DEFAULT_STYLES

    clip = generate_clip("handshake", 2, fps=10.0, seconds=2.0, width=320, height=180)
    render_footage(clip, tmp_path / "v.mp4", clothed=True)
    cap = cv2.VideoCapture(str(tmp_path / "v.mp4"))
    ok, bgr = cap.read()
    assert ok
    rgb = bgr[..., ::-1].astype(float) / 255
    body = default_body()
    cam = clip.reconstruction.camera
    verts = [body.pose_motion(p).vertices.numpy()[0] for p in clip.reconstruction.people]
    with OverlayRenderer(320, 180, body.faces, num_vertices=body.num_vertices) as r:  # who covers which pixel
        ids = r.id_depth(verts, cam.K, cam.R[0], cam.t[0]).ids
    for i in range(2):
        pixels = rgb[ids == i]
        assert len(pixels) > 200
        # several distinct garments/skin: the pixels spread over more than one colour
        assert np.linalg.norm(pixels.std(0)) > 0.08
        for style in DEFAULT_STYLES:  # hardly a pixel in the overlay's own colours
            near = np.linalg.norm(pixels - np.array(style.color), axis=-1) < 0.12
            assert near.mean() < 0.05
