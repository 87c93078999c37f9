"""Overlay video export: real footage written with PyAV, the overlay read back with PyAV and checked."""

from __future__ import annotations

import numpy as np
import pytest

from export_helpers import VIDEO_FPS, VIDEO_H, VIDEO_T, VIDEO_W, StickBody, filmed_recon, footage, read_video
from inference.export import ExportCancelled, ExportError, export
from inference.export.video import OverlayDrawer
from inference.render import gl_available
from inference.session import Session

W, H, FPS, T = VIDEO_W, VIDEO_H, VIDEO_FPS, VIDEO_T

def _warm(img: np.ndarray) -> np.ndarray:
    """Pixels in person A's orange (red well above blue); the footage is grey."""
    img = img.astype(int)
    return (img[..., 0] - img[..., 2]) > 60


def _cool(img: np.ndarray) -> np.ndarray:
    img = img.astype(int)
    return (img[..., 2] - img[..., 0]) > 60


def _box(recon, body, pid, frame, margin=6):
    joints = body.pose_motion(recon.person(pid)).joints[frame].double().numpy()
    uv = recon.camera.slice(frame, frame + 1).project(joints[None])[0, :, :2]
    lo, hi = np.floor(uv.min(0)).astype(int) - margin, np.ceil(uv.max(0)).astype(int) + margin
    return slice(max(lo[1], 0), hi[1]), slice(max(lo[0], 0), hi[0])


def test_overlay_video_draws_people_at_source_size_and_rate(tmp_path):
    source, out = tmp_path / "in.mp4", tmp_path / "overlay.mp4"
    footage(source)
    recon, body = filmed_recon(), StickBody()
    calls = []
    assert export(recon, out, body=body, video=source, frames=(5, 15),
                  progress=lambda d, t: calls.append((d, t))) == [out]
    frames, stream = read_video(out)
    assert len(frames) == 10 and (stream.width, stream.height) == (W, H)
    assert stream.average_rate == 25 and stream.codec == "h264"
    assert calls[0] == (0, 10) and calls[-1] == (10, 10)
    image = frames[3]  # source frame 8
    assert _warm(image[_box(recon, body, "A", 8)]).sum() > 5
    assert _cool(image[_box(recon, body, "B", 8)]).sum() > 5
    corner = image[:4, :4].reshape(-1, 3).astype(int)
    assert np.abs(corner - (90 + 8)).max() < 8  # the footage of source frame 8 shows through


@pytest.mark.parametrize("use_gl", [True, False])
def test_overlay_drawers_draw_each_person_where_it_projects(use_gl):
    if use_gl and not gl_available():
        pytest.skip("no offscreen OpenGL here")
    recon, body = filmed_recon(), StickBody()
    drawer = OverlayDrawer(recon, body, ("A",), use_gl=use_gl)
    try:
        image = drawer(np.full((H, W, 3), 100, np.uint8), 12)
    finally:
        drawer.close()
    inside = np.zeros((H, W), bool)
    inside[_box(recon, body, "A", 12)] = True
    assert _warm(image[inside]).sum() > 5
    assert not _warm(image[~inside]).any() and not _cool(image).any()  # only A was asked for


def test_overlay_cancel_leaves_no_file(tmp_path):
    source, out = tmp_path / "in.mp4", tmp_path / "overlay.mp4"
    footage(source)
    seen = []
    with pytest.raises(ExportCancelled):
        export(filmed_recon(), out, body=StickBody(), video=source, progress=lambda d, t: seen.append(d),
               cancel=lambda: len(seen) >= 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


def test_session_export_needs_an_explicit_version_and_uses_its_video(tmp_path):
    source = tmp_path / "in.mp4"
    footage(source)
    original = filmed_recon()
    corrected = original.copy()
    corrected.people[0].transl[:] += 0.5
    session = Session(current=corrected, original=original, video_path=str(source))
    with pytest.raises(ExportError, match="choose one explicitly"):
        export(session, tmp_path / "x.npz")
    (orig,) = export(session, tmp_path / "orig.npz", version="original", people=("A",))
    (corr,) = export(session, tmp_path / "corr.npz", version="corrected", people=("A",))
    a, b = np.load(orig), np.load(corr)
    np.testing.assert_allclose(b["transl"] - a["transl"], 0.5, atol=1e-6)
    (video,) = export(session, tmp_path / "s.mp4", version="corrected", body=StickBody(), frames=(0, 4))
    assert len(read_video(video)[0]) == 4
    with pytest.raises(ExportError, match="keeps the stored"):
        export(session, tmp_path / "z.npz", version="original", up="z")
