import re

import numpy as np
import pytest

from inference.motion import Camera, MotionError, PersonMotion, Reconstruction
from inference.segments import Segment, SegmentKind, segments_from_mask

from conftest import make_person


def test_valid_person_is_coerced_to_float32():
    p = make_person(5, 0)
    assert p.body_pose.dtype == np.float32 and p.reliability.shape == (5,)


@pytest.mark.parametrize("field,value,message", [
    ("body_pose", np.zeros((5, 20, 3)), "body_pose: expected shape (5, 21, 3)"),
    ("transl", np.zeros((4, 3)), "transl: expected shape (5, 3)"),
    ("global_orient", np.array([[np.nan, 0, 0]] * 5), "global_orient: non-finite value"),
    ("transl", np.array([[0, np.inf, 0]] * 5), "transl: non-finite value (NaN or inf) at index (0, 1)"),
    ("betas", np.array(["a", "b"]), "betas: expected numbers"),
    ("reliability", np.full(5, 2.0), "reliability: values must lie in [0, 1]"),
    ("gender", "robot", "gender: expected one of"),
])
def test_bad_fields_are_named(field, value, message):
    kwargs = dict(global_orient=np.zeros((5, 3)), body_pose=np.zeros((5, 21, 3)), transl=np.zeros((5, 3)),
                  betas=np.zeros(10))
    kwargs[field] = value
    with pytest.raises(MotionError, match=re.escape(message)):
        PersonMotion(**kwargs)


def test_reconstruction_checks_people_and_camera(recon):
    with pytest.raises(MotionError, match="frame counts differ"):
        Reconstruction((make_person(5, 0), make_person(6, 1)), 30)
    with pytest.raises(MotionError, match="camera: 3 frames"):
        Reconstruction((make_person(5, 0), make_person(5, 1)), 30, Camera.from_fov(10, 10, 60, 3))
    with pytest.raises(MotionError, match="fps"):
        Reconstruction((make_person(5, 0), make_person(5, 1)), 0)


def test_camera_projects_the_principal_point():
    cam = Camera.from_fov(640, 480, 90.0, 2)
    uv = cam.project(np.array([[[0, 0, 2.0], [1, 0, 1.0]]] * 2))
    np.testing.assert_allclose(uv[0, 0], [320, 240, 2.0])
    np.testing.assert_allclose(uv[0, 1, 0], 320 + 320)  # 90° FOV: x/z = 1 lands on the image edge


def test_swap_identities_from_a_frame(recon):
    swapped = recon.swapped(10)
    a, b = recon.people
    np.testing.assert_array_equal(swapped.people[0].transl[:10], a.transl[:10])
    np.testing.assert_array_equal(swapped.people[0].transl[10:], b.transl[10:])
    np.testing.assert_array_equal(swapped.people[1].body_pose[10:], a.body_pose[10:])
    assert swapped.people[0].betas is not None and np.array_equal(swapped.people[0].betas, a.betas)
    assert recon.swapped(10).swapped(10).equals(recon)


def test_slice_and_with_frames(recon):
    part = recon.slice(5, 9)
    assert part.num_frames == 4 and part.camera.num_frames == 4
    a = recon.people[0]
    edited = a.with_frames(5, part.people[1])
    np.testing.assert_array_equal(edited.transl[5:9], part.people[1].transl)
    np.testing.assert_array_equal(edited.transl[:5], a.transl[:5])
    with pytest.raises(MotionError, match="outside"):
        a.with_frames(22, part.people[1])


def test_segments_edit_and_serialise():
    s = Segment(10, 40, "both", SegmentKind.OCCLUDED).with_text("A hugs B", "offline-3d").with_text("A hugs B tightly", "user")
    assert s.description == "A hugs B tightly" and s.latest.by_user and len(s.history) == 2
    left, right = s.split(25)
    assert (left.start, left.stop, right.start, right.stop) == (10, 25, 25, 40) and left.id != right.id
    assert left.merged(right).stop == 40
    assert Segment.from_json(s.to_json()) == s
    with pytest.raises(MotionError, match="start < stop"):
        Segment(5, 5)
    with pytest.raises(MotionError, match="should be a whole frame number"):
        Segment.from_json({"start": 1})
    with pytest.raises(MotionError, match="malformed"):
        Segment.from_json({"start": 1, "stop": 3})


def test_segments_from_mask_bridges_gaps_and_drops_flicker():
    mask = np.zeros(40, bool)
    mask[5:10] = mask[11:15] = True  # one-frame gap: bridged
    mask[30] = True  # flicker: dropped
    segs = segments_from_mask(mask, "A", SegmentKind.OCCLUDED)
    assert [(s.start, s.stop) for s in segs] == [(5, 15)]
