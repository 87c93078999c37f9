"""BlazePose → our joints, two-person tracking through a crossing, occlusion/ambiguity flags and segments."""

from __future__ import annotations

import numpy as np
import pytest

from inference.frontend.flags import FlagConfig, detect_flags
from inference.frontend.keypoints import BP, Detection, KeypointError, blazepose_to_body22
from inference.frontend.tracking import track_detections
from inference.segments import SegmentKind
from inference.skeleton import BODY_PARENTS, JOINT_INDEX

# a standing person facing the camera, BlazePose-33 layout, unit height (y down), centred on x = 0
_TEMPLATE = np.zeros((33, 2))
for name, xy in {"nose": (0, -0.92), "left_ear": (0.05, -0.9), "right_ear": (-0.05, -0.9),
                 "left_shoulder": (0.12, -0.8), "right_shoulder": (-0.12, -0.8), "left_elbow": (0.16, -0.6),
                 "right_elbow": (-0.16, -0.6), "left_wrist": (0.18, -0.42), "right_wrist": (-0.18, -0.42),
                 "left_hip": (0.08, -0.48), "right_hip": (-0.08, -0.48), "left_knee": (0.09, -0.25),
                 "right_knee": (-0.09, -0.25), "left_ankle": (0.09, -0.03), "right_ankle": (-0.09, -0.03),
                 "left_heel": (0.09, 0.0), "right_heel": (-0.09, 0.0), "left_foot_index": (0.1, 0.0),
                 "right_foot_index": (-0.1, 0.0)}.items():
    _TEMPLATE[BP[name]] = xy
for i in range(33):  # the face and hand points we do not name sit near the head / wrists
    if not _TEMPLATE[i].any():
        _TEMPLATE[i] = (0.0, -0.9)


def person(cx: float, foot_y: float, height: float, conf: float = 0.95) -> np.ndarray:
    pts = _TEMPLATE * height + [cx, foot_y]
    return np.concatenate([pts, np.full((33, 1), conf)], 1)


def test_blazepose_mapping_direct_and_synthesised_joints():
    lm = person(100.0, 400.0, 300.0)
    lm[BP["left_ear"], 2] = 0.5
    kp = blazepose_to_body22(lm)
    assert kp.shape == (22, 3)
    np.testing.assert_allclose(kp[JOINT_INDEX["left_wrist"]], lm[BP["left_wrist"]])
    np.testing.assert_allclose(kp[JOINT_INDEX["pelvis"], :2], (lm[BP["left_hip"], :2] + lm[BP["right_hip"], :2]) / 2)
    # synthesised joints are less trusted than the landmarks they come from, and take the weakest source
    assert kp[JOINT_INDEX["spine2"], 2] == pytest.approx(0.95 * 0.7)
    assert kp[JOINT_INDEX["head"], 2] == pytest.approx(0.5 * 0.7)
    # the spine goes up from pelvis to neck to head (y down in images)
    ys = [kp[JOINT_INDEX[n], 1] for n in ("pelvis", "spine1", "spine2", "spine3", "neck", "head")]
    assert all(a > b for a, b in zip(ys, ys[1:]))
    # batches map too; wrong shapes are refused
    assert blazepose_to_body22(np.stack([lm, lm]))[1].shape == (22, 3)
    with pytest.raises(KeypointError, match=r"expected shape \(\.\.\., 33, 3\)"):
        blazepose_to_body22(np.zeros((17, 3)))


def _crossing(frames: int = 40, missing: tuple[int, ...] = ()) -> tuple[list[list[Detection]], np.ndarray]:
    """A walks right, B walks left; they cross mid-clip. Detections come in shuffled order."""
    rng = np.random.default_rng(0)
    truth = np.zeros((2, frames, 33, 3))
    dets = []
    for t in range(frames):
        a = person(100 + 10 * t, 420, 300)
        b = person(500 - 10 * t, 400, 280)
        truth[0, t], truth[1, t] = a, b
        frame = [Detection.from_landmarks(a)]
        if t not in missing:
            frame.append(Detection.from_landmarks(b))
        rng.shuffle(frame)
        dets.append(frame)
    return dets, truth


def test_tracking_keeps_identities_through_a_crossing_and_a_gap():
    dets, truth = _crossing(missing=(18, 19, 20))
    tracks = track_detections(dets)
    landmarks, found = tracks.landmarks, tracks.found
    assert found[0].all() and not found[1, 18:21].any() and found[1, 21:].all()
    np.testing.assert_allclose(landmarks[0], truth[0])
    keep = np.ones(40, bool)
    keep[18:21] = False
    np.testing.assert_allclose(landmarks[1, keep], truth[1, keep])
    assert (landmarks[1, 18:21, :, 2] == 0).all()  # held, with no confidence


def test_flags_mark_shared_evidence_missing_and_jumps_as_segments():
    dets, _ = _crossing(frames=40, missing=(30, 31, 32, 33))
    tracks = track_detections(dets)
    landmarks, found = tracks.landmarks, tracks.found
    kp = blazepose_to_body22(landmarks)
    kp[0, 8:, JOINT_INDEX["left_wrist"], :2] += 0  # unchanged
    kp[0, 5, JOINT_INDEX["left_wrist"], :2] += 200  # a snap: implausible motion
    # (thresholds looser than the defaults, which are calibrated for 3D evidence from a fit added to this one)
    flags = detect_flags(kp, found, BODY_PARENTS, FlagConfig(claim=0.03, min_hidden=3))
    assert flags.occluded[:, 20].all()  # the crossing: both skeletons claim the same pixels
    assert not flags.occluded[:, 0].any() and not flags.ambiguous[:, 0].any()
    assert not flags.occluded[:, 16].any()  # side by side just before crossing: close is not occluded
    assert flags.occluded[1, 30:34].all()  # B not found
    assert flags.ambiguous[0, 5] and flags.ambiguous[0, 6]  # jump there and back
    segs = flags.segments()
    assert any(s.who == "B" and s.start <= 30 and s.stop >= 34 for s in segs if s.kind == SegmentKind.OCCLUDED)
    rel = flags.reliability(kp)
    assert rel[1, 31] == 0 and rel[0, 0] > 0.9 and rel[0, 5] <= 0.5


def test_holding_hands_stays_trusted_and_a_hidden_body_does_not():
    """Touching is not occlusion: two people side by side with A's right wrist on B's left wrist keep full
    reliability; the same frames with the fit saying four of B's joints are behind A are occluded for B."""
    frames = 10
    a = np.stack([person(200.0, 400.0, 300.0)] * frames)
    b = np.stack([person(310.0, 400.0, 300.0)] * frames)
    a[:, BP["left_wrist"], :2] = b[:, BP["right_wrist"], :2] + 2.0  # hands held in the image
    kp = blazepose_to_body22(np.stack([a, b]))
    found = np.ones((2, frames), bool)
    flags = detect_flags(kp, found, BODY_PARENTS)
    assert not flags.occluded.any() and not flags.ambiguous.any()
    assert (flags.reliability(kp) > 0.9).all()
    hidden = np.zeros(kp.shape[:3], bool)
    hidden[1, 3:7, [JOINT_INDEX[n] for n in ("left_hip", "left_knee", "left_ankle", "left_foot")]] = True
    flags = detect_flags(kp, found, BODY_PARENTS, hidden=hidden)
    assert flags.occluded[1, 3:7].all() and not flags.occluded[1, :3].any() and not flags.occluded[0].any()
    assert [(s.who, s.start, s.stop) for s in flags.segments() if s.kind == SegmentKind.OCCLUDED] == [("B", 3, 7)]


def test_clothes_keep_identities_when_only_the_person_in_front_is_found():
    """B steps in front of A, so that only B is detected — where A was standing. By position alone the lone
    detection continues A's track; the colours of the clothes, sampled from real frames, give it to B."""
    from inference.frontend.keypoints import clothing_colour

    def frame_with(*people: tuple[np.ndarray, tuple[int, int, int]]) -> np.ndarray:
        img = np.full((480, 640, 3), 90, np.uint8)
        for lm, colour in people:
            x0, y0 = lm[:, :2].min(0).astype(int)
            x1, y1 = lm[:, :2].max(0).astype(int)
            img[y0:y1, x0:x1] = colour
        return img

    red, green = (200, 30, 30), (30, 160, 60)
    dets = []
    for t in range(20):
        a = person(200.0, 420.0, 300.0)
        b = person(330.0 if t < 10 else 215.0, 420.0, 300.0)
        rgb = frame_with((a, red), (b, green))  # B painted last: in front
        frame = [Detection.from_landmarks(b, rgb)] + ([Detection.from_landmarks(a, rgb)] if t < 10 else [])
        dets.append(frame)
    assert np.linalg.norm(clothing_colour(frame_with((person(200.0, 420.0, 300.0), red)),
                                          person(200.0, 420.0, 300.0))[:3] - np.array(red) / 255) < 1e-6
    found = track_detections(dets).found
    assert found[:, :10].all()
    assert found[1, 10:].all() and not found[0, 10:].any()
    # the same detections without colours: the lone detection is taken for A
    plain = [[Detection.from_landmarks(d.landmarks) for d in frame] for frame in dets]
    found_plain = track_detections(plain).found
    assert found_plain[0, 10:].all()


def test_a_person_detected_twice_does_not_become_the_partner():
    """The landmarker returns A twice (same clothes, skeletons 3% apart) on the first frames, before B is found:
    the repeat must not start B's track."""
    red, green = np.array([0.8, 0.1, 0.1, 0.3, 0.3, 0.3]), np.array([0.1, 0.6, 0.2, 0.3, 0.3, 0.3])

    def det(lm: np.ndarray, colour: np.ndarray) -> Detection:
        d = Detection.from_landmarks(lm)
        d.colour = colour
        return d

    dets = []
    for t in range(10):
        a = person(200.0, 420.0, 300.0)
        frame = [det(a, red), det(a + [9.0, 3.0, 0.0], red + 0.02)]
        if t >= 5:
            frame.append(det(person(420.0, 420.0, 300.0), green))
        dets.append(frame)
    tracks = track_detections(dets)
    landmarks, found = tracks.landmarks, tracks.found
    assert found[0].all() and not found[1, :5].any() and found[1, 5:].all()
    assert np.allclose(landmarks[1, 5:, BP["nose"], 0], 420.0)


def test_a_track_started_on_a_misplaced_skeleton_still_finds_its_person():
    """B's track starts on a skeleton whose "shirt" is the sky (landmarks off the body); from the next frame B is
    detected properly, a little aside. One frame's colours must not make B's own detections a stranger for good
    (a development clip of the real-motion benchmark lost a dancer in plain view on 92 % of frames so)."""
    sky, dark, light = (np.array(c) for c in ([0.75, 0.72, 0.70, 0.50, 0.48, 0.47],
                                                [0.36, 0.36, 0.37, 0.58, 0.56, 0.54],
                                                [0.80, 0.20, 0.20, 0.30, 0.30, 0.30]))

    def det(lm: np.ndarray, colour: np.ndarray) -> Detection:
        d = Detection.from_landmarks(lm)
        d.colour = colour
        return d

    dets = [[det(person(200.0, 420.0, 300.0), light), det(person(430.0, 380.0, 260.0), sky)]]
    for t in range(1, 30):
        dets.append([det(person(200.0, 420.0, 300.0), light), det(person(470.0 + t, 420.0, 300.0), dark)])
    tracks = track_detections(dets)
    landmarks, found = tracks.landmarks, tracks.found
    assert found.all()
    assert np.allclose(landmarks[1, 1:, BP["nose"], 0], 470.0 + np.arange(1, 30))


def test_without_a_fit_low_confidence_joints_count_as_hidden():
    """Flags from keypoints alone (a given reconstruction's): four joints a tool marked unsure make the frame
    occluded; once a fit says which joints are behind the partner, that evidence replaces the confidences."""
    frames = 6
    a = np.stack([person(200.0, 400.0, 300.0)] * frames)
    b = np.stack([person(420.0, 400.0, 300.0)] * frames)
    kp = blazepose_to_body22(np.stack([a, b]))
    unsure = [JOINT_INDEX[n] for n in ("left_elbow", "left_wrist", "left_knee", "left_ankle")]
    for j in unsure:
        kp[1, 2:4, j, 2] = 0.2
    found = np.ones((2, frames), bool)
    flags = detect_flags(kp, found, BODY_PARENTS)
    assert flags.occluded[1, 2:4].all() and not flags.occluded[1, [0, 1, 4, 5]].any() and not flags.occluded[0].any()
    fitted = detect_flags(kp, found, BODY_PARENTS, hidden=np.zeros(kp.shape[:3], bool))
    assert not fitted.occluded.any()
