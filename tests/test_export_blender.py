"""FBX and GLB exports opened in Blender, what most users import them with (``bpy`` in its own venv).

Skipped unless ``.venv-blender`` exists (or ``BLENDER_PYTHON`` names a Python with ``bpy``); set it up with
``python3.11 -m venv .venv-blender && .venv-blender/bin/pip install bpy`` (~400 MB; bpy needs numpy < 2, hence
its own venv). Blender converts files to Z-up metres, so every export is compared in that frame.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from export_helpers import ROOT, StickBody, make_recon, reference_joints, run_reader
from inference.export import export
from inference.skeleton import BODY_JOINT_NAMES, BODY_PARENTS

BLENDER_PYTHON = Path(os.environ.get("BLENDER_PYTHON", ROOT / ".venv-blender" / "bin" / "python"))
pytestmark = [pytest.mark.blender,
              pytest.mark.skipif(not BLENDER_PYTHON.exists(), reason="no Blender venv (.venv-blender with bpy)")]
FPS, FRAMES = 25.0, (0, 6, 17, 23)


def _blender(path: Path) -> dict:
    return run_reader("blender_check.py", str(path), repr(FPS), *map(str, FRAMES), python=str(BLENDER_PYTHON),
                      timeout=300)


def _check(got: dict, recon, body, people: str, prefixed: bool) -> None:
    assert got["fps"] == pytest.approx(FPS)
    for pid in people:
        prefix = f"{pid}_" if prefixed else ""
        arm = got["armatures"][pid]
        expected_parents = {prefix + n: (prefix + BODY_JOINT_NAMES[BODY_PARENTS[j]] if j else None)
                            for j, n in enumerate(BODY_JOINT_NAMES)}
        assert arm["bones"] == expected_parents  # names, hierarchy, and no added leaf bones
        ref = reference_joints(recon, body, pid, up="z", units="m")
        for f in FRAMES:
            heads = np.array([arm["heads"][str(f)][prefix + n] for n in BODY_JOINT_NAMES])
            np.testing.assert_allclose(heads, ref[f], atol=1e-3)


@pytest.mark.parametrize("up,units", [("y", "m"), ("z", "cm")])
def test_blender_imports_fbx(tmp_path, up, units):
    recon, body = make_recon(24, FPS), StickBody()
    (path,) = export(recon, tmp_path / "pair.fbx", body=body, combined=True, up=up, units=units)
    got = _blender(path)
    assert all(r == [0.0, 23.0] for r in got["action_ranges"])
    _check(got, recon, body, "AB", prefixed=True)
    for pid in "AB":
        mesh = got["meshes"][f"{pid}_body"]
        assert mesh["num_vertices"] == body.num_vertices
        for f in FRAMES:
            ours = body.pose_motion(recon.person(pid), slice(f, f + 1)).vertices[0].double().numpy()
            ours = np.stack([ours[:, 0], -ours[:, 2], ours[:, 1]], -1)
            np.testing.assert_allclose(np.array(mesh["evaluated"][str(f)]), ours, atol=1e-3)


def test_blender_imports_glb(tmp_path):
    recon, body = make_recon(24, FPS), StickBody()
    (path,) = export(recon, tmp_path / "pair.glb", body=body)
    _check(_blender(path), recon, body, "AB", prefixed=True)


def test_blender_imports_the_free_body_fbx(tmp_path):
    from inference.body import load_body_model

    body = load_body_model(device="cpu")
    recon = make_recon(24, FPS)
    (path,) = export(recon, tmp_path / "a.fbx", body=body, people=("A",), up="z", units="cm")
    got = _blender(path)
    _check(got, recon, body, "A", prefixed=False)
    mesh = got["meshes"]["A_body"]
    assert mesh["num_vertices"] == body.num_vertices
    ours = body.pose_motion(recon.person("A"), slice(17, 18)).vertices[0].double().numpy()
    ours = np.stack([ours[:, 0], -ours[:, 2], ours[:, 1]], -1)
    assert np.abs(np.array(mesh["evaluated"]["17"]) - ours).max() < 1e-3
