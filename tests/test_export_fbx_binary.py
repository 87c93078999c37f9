"""Our binary FBX container writer and the Euler curves, checked against ufbx's raw DOM and scipy."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from export_helpers import StickBody, make_recon, run_reader
from inference.export import export
from inference.export.euler import matrices_to_euler
from inference.export.fbx import KTIME_PER_SECOND
from inference.export.fbx_binary import FBX_VERSION, Float32, Int16, Int64, Node, encode_document, encode_property


def _children(node: dict, name: str) -> list[dict]:
    return [c for n, c in node["children"] if n == name]


def test_scalar_properties_round_trip_through_ufbx(tmp_path):
    header = Node("FBXHeaderExtension")
    header.add("FBXVersion", FBX_VERSION)
    custom = Node("Custom", [7, Int64(2**40 + 3), 3.25, Float32(1.5), "name", True, Int16(-3)])
    custom.add("Nested").add("Deeper", -12)
    custom.add("Empty")
    path = tmp_path / "dom.fbx"
    path.write_bytes(encode_document([header, custom]))
    dom = run_reader("ufbx_dom.py", str(path), "Custom", "FBXHeaderExtension")
    values = dom["Custom"]["values"]
    assert [v[0] for v in values] == ["NUMBER", "NUMBER", "NUMBER", "NUMBER", "STRING", "NUMBER", "NUMBER"]
    assert values[0][1] == 7 and values[1][1] == 2**40 + 3 and values[2][2] == 3.25 and values[3][2] == 1.5
    assert values[4][1] == "name" and values[5][1] == 1 and values[6][1] == -3
    deeper = _children(_children(dom["Custom"], "Nested")[0], "Deeper")[0]
    assert deeper["values"][0][1] == -12
    assert _children(dom["FBXHeaderExtension"], "FBXVersion")[0]["values"][0][1] == FBX_VERSION


def test_large_arrays_are_zlib_compressed_small_ones_raw():
    big = np.arange(1000, dtype=np.float64) * 0.5
    enc = encode_property(big)
    code, count, encoding, length = enc[:1], *struct.unpack("<III", enc[1:13])
    assert (code, count, encoding, length) == (b"d", 1000, 1, len(enc) - 13)
    np.testing.assert_array_equal(np.frombuffer(zlib.decompress(enc[13:]), "<f8"), big)
    small = encode_property(np.array([1, -2, 3], np.int32))
    assert small[:1] == b"i" and struct.unpack("<III", small[1:13]) == (3, 0, 12)
    with pytest.raises(TypeError):
        encode_property(np.zeros(3, np.complex64))


def test_scene_arrays_read_back_exactly(tmp_path):
    fps = 30.0
    recon, body = make_recon(16, fps), StickBody()
    (path,) = export(recon, tmp_path / "a.fbx", body=body, people=("A",))
    dom = run_reader("ufbx_dom.py", str(path), "Objects", "GlobalSettings")
    objects = dom["Objects"]
    (geometry,) = _children(objects, "Geometry")
    vertices = np.array(_children(geometry, "Vertices")[0]["array"][1]).reshape(-1, 3)
    import torch

    rest_v, _ = body.rest(torch.as_tensor(recon.person("A").betas, dtype=torch.float32))
    np.testing.assert_array_equal(vertices, rest_v.double().numpy())
    polygons = np.array(_children(geometry, "PolygonVertexIndex")[0]["array"][1]).reshape(-1, 3)
    np.testing.assert_array_equal(polygons[:, :2], body.faces[:, :2])
    np.testing.assert_array_equal(~polygons[:, 2], body.faces[:, 2])
    curves = _children(objects, "AnimationCurve")
    assert len(curves) == 3 * 22 + 3  # XYZ rotation of every bone, XYZ translation of the root
    key_time = np.array(_children(curves[0], "KeyTime")[0]["array"][1])
    np.testing.assert_array_equal(key_time, np.round(np.arange(16) * KTIME_PER_SECOND / fps).astype(np.int64))
    settings = {c["values"][0][1]: c["values"] for c in _children(_children(dom["GlobalSettings"],
                                                                             "Properties70")[0], "P")}
    assert settings["CustomFrameRate"][-1][2] == fps and settings["TimeMode"][-1][1] == 6  # eFrames30


@pytest.mark.parametrize("seq", ["xyz", "ZXY"])
def test_euler_curves_are_exact_and_continuous(seq):
    # a slow spin about each axis in turn, passing through gimbal lock of both orders, plus a wobble
    t = np.linspace(0, 1, 400)[:, None]
    rotvecs = np.concatenate([2.5 * np.pi * t, 0.4 * np.sin(9 * t), 0.3 * np.cos(5 * t)], 1)[:, [1, 0, 2]]
    mats = (Rotation.from_rotvec(rotvecs) * Rotation.from_euler("y", 3 * np.pi * t)).as_matrix()
    euler = matrices_to_euler(mats[:, None], seq)[:, 0]
    np.testing.assert_allclose(Rotation.from_euler(seq, euler, degrees=True).as_matrix(), mats, atol=1e-9)
    # what a reader does between two keys: interpolate each angle linearly. With no 360°/180° jumps the result
    # stays next to the true in-between rotation (keys are a few degrees apart; close to gimbal lock the first
    # and third angles swing together, which still describes a small rotation).
    halfway = Rotation.from_euler(seq, 0.5 * (euler[1:] + euler[:-1]), degrees=True)
    true = Rotation.from_matrix(mats)
    slerp_mid = true[:-1] * Rotation.from_rotvec(0.5 * (true[:-1].inv() * true[1:]).as_rotvec())
    assert np.degrees((halfway.inv() * slerp_mid).magnitude()).max() < 3.0


def test_euler_exactly_at_gimbal_lock_is_exact_and_quiet(recwarn):
    mats = Rotation.from_euler("xyz", [[10, 90, 0], [0, 90, 30], [0, -90, 0]], degrees=True).as_matrix()
    euler = matrices_to_euler(mats, "xyz")
    np.testing.assert_allclose(Rotation.from_euler("xyz", euler, degrees=True).as_matrix(), mats, atol=1e-9)
    assert not [w for w in recwarn if "Gimbal" in str(w.message)]
