"""BVH import on real rigs and BVH folders as training data: the pelvis turns as the source's does, feet stand on
the source's floor, a conversion's T-pose frame 0 is dropped, ``cmu:``/``bvh:`` folder specs (pairs, single
takes, true rates, the fixed split). Real CMU files are read from ``../shared/data`` when present; the rest of
the tests write tiny BVH files themselves."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from importer_files import world_pose, write_family_bvh
from inference.body import load_body_model
from inference.engine.dataset import load_clips
from inference.generator import generate_clip
from inference.importers import dataset_sequences, dataset_single_people, import_motion
from inference.importers.bvh import (FOOT, OurBody, body_rest_fn, load_bvh_people, sole_heights, source_motion)
from inference.importers.bvh_file import read_bvh
from inference.motion import MotionError
from inference.rotations import axis_angle_to_matrix

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
CMU = DATA / "cmu"
needs_data = pytest.mark.skipif(not (CMU / "manifest.json").is_file(), reason="../shared/data not present")


@pytest.fixture(scope="module")
def motion():
    clip = generate_clip("walk_together", 3, seconds=2.0, fps=20.0)
    body = load_body_model()
    betas = clip.reconstruction.people[0].betas
    vertices, joints = body.rest(torch.as_tensor(betas))
    rest = joints.numpy().astype(np.float64)
    return clip.reconstruction, betas, rest, OurBody(rest, float(vertices[:, 1].min()))


def _with_tpose(path: Path, out: Path) -> None:
    """``path`` with a rest-pose frame 0 put in front, as cgspeed's conversions do."""
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Frames:"))
    first = lines[at + 2].split()
    tpose = first[:3] + ["0.0"] * (len(first) - 3)  # root where the capture starts, every rotation zero
    frames = int(lines[at].split()[1]) + 1
    out.write_text("\n".join(lines[:at] + [f"Frames: {frames}", lines[at + 1], " ".join(tpose)]
                             + lines[at + 2:]) + "\n")


def test_synthetic_tpose_frame_dropped_and_frames_range(tmp_path, motion):
    recon, betas, rest, ours = motion
    plain = [tmp_path / f"p{k}.bvh" for k in range(2)]
    for p, path in zip(recon.people, plain):
        write_family_bvh(path, "mixamo", p, rest, units=100.0)
    padded = [tmp_path / f"t{k}.bvh" for k in range(2)]
    for a, b in zip(plain, padded):
        _with_tpose(a, b)
    got = load_bvh_people(padded, rest_fn=lambda b: ours, betas=betas)
    ref = load_bvh_people(plain, rest_fn=lambda b: ours, betas=betas)
    assert got.dropped_tpose and got.first_frame == 1 and not ref.dropped_tpose
    np.testing.assert_allclose(world_pose(got.people[0], rest)[0], world_pose(ref.people[0], rest)[0], atol=1e-6)
    part = load_bvh_people(padded, frames=(5, 15), rest_fn=lambda b: ours, betas=betas)
    assert part.people[0].num_frames == 10 and not part.dropped_tpose and part.first_frame == 5
    np.testing.assert_allclose(part.people[0].body_pose, ref.people[0].body_pose[4:14], atol=1e-6)
    with pytest.raises(MotionError, match="keeps no frames"):
        load_bvh_people(padded, frames=(0, 1), rest_fn=lambda b: ours, betas=betas)


def test_feet_on_the_source_floor_wherever_the_file_puts_it(tmp_path, motion):
    """A source whose floor is 9 cm below the file's y = 0 (its feet sink) and one on a floor above it: both
    land on our floor exactly as the original."""
    recon, betas, rest, ours = motion
    person = recon.people[0]
    results = []
    for shift in (0.0, -0.09, 0.05):
        moved = person.copy()
        moved.transl = moved.transl + np.array([0.0, shift, 0.0], np.float32)
        path = tmp_path / f"s{shift}.bvh"
        write_family_bvh(path, "mixamo", moved, rest, units=100.0)
        results.append(world_pose(load_bvh_people([path], rest_fn=lambda b: ours, betas=betas).people[0], rest)[0])
    for other in results[1:]:
        assert np.abs(other - results[0]).max() < 1e-4
    sole = sole_heights(results[0], ours.flat_feet, np.arange(len(FOOT))).min(1)
    assert np.percentile(sole, 5) == pytest.approx(0.0, abs=1e-6) and sole.min() > -0.005


def _pitch_deg(orient: np.ndarray) -> np.ndarray:
    forward = axis_angle_to_matrix(torch.as_tensor(orient, dtype=torch.float64)).numpy()[:, :, 2]
    return np.degrees(np.arcsin(np.clip(forward[:, 1], -1, 1)))


@needs_data
def test_cmu_motionbuilder_pelvis_turns_as_the_source_does():
    """CMU 02_01 (cgspeed MotionBuilder rig): the pelvis took a 25° forward pitch from aiming its rest bones;
    now its rotation is the source Hips rotation itself."""
    path = DATA / "locomotion" / "cmu_02" / "02_01.bvh"
    got = import_motion([path, path])
    assert abs(np.median(_pitch_deg(got.people[0].global_orient))) < 5.0
    src, _, _ = source_motion(read_bvh(path))
    ours = axis_angle_to_matrix(torch.as_tensor(got.people[0].global_orient, dtype=torch.float64)).numpy()
    assert np.abs(ours - src.rotations[:, 0]).max() < 1e-4


@needs_data
def test_daz_salsa_pair_on_the_floor():
    """The test salsa pair (cgspeed Daz rig): T-pose dropped, true rate, limbs as the source, and the body's
    lowest vertex on the floor (within 2 cm) on frames where the source's foot is on its floor."""
    body = load_body_model()
    files = [CMU / "60" / "60_15.bvh", CMU / "61" / "61_15.bvh"]
    got = load_bvh_people(files, fps=60.0, frames=(0, 301), rest_fn=body_rest_fn(body))
    assert got.families == ["daz", "daz"] and got.dropped_tpose and got.fps == 60.0
    assert got.people[0].num_frames == 300
    ours = body_rest_fn(body)(np.zeros(10, np.float32))
    for person, path in zip(got.people, files):
        assert got.report[str(path)]["limbs_deg"] < 0.5
        src, _, _ = source_motion(read_bvh(path).frames(1, 301))
        src = src.scaled(got.scale)
        sole = sole_heights(src.positions, ours.flat_feet, np.array([0, 1, 2, 3])).min(1)
        planted = sole - np.percentile(sole, 5) < 0.01
        with torch.no_grad():
            out = body.forward(torch.as_tensor(person.global_orient), torch.as_tensor(person.body_pose),
                               torch.as_tensor(person.transl), torch.as_tensor(person.betas))
        lowest = out.vertices[..., 1].min(-1).values.numpy()
        assert planted.mean() > 0.1
        assert np.abs(lowest[planted]).mean() < 0.02


def _folder(tmp_path: Path, recon, rest, manifest: bool) -> Path:
    root = tmp_path / ("with" if manifest else "without")
    for rel, person in (("60/60_01.bvh", 0), ("61/61_01.bvh", 1), ("94/94_04.bvh", 0), ("135/135_03.bvh", 1),
                        ("60/60_15.bvh", 0), ("61/61_15.bvh", 1)):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        write_family_bvh(root / rel, "mixamo", recon.people[person], rest, units=100.0, fps=30.0)
    if manifest:
        files = {"60/60_01.bvh": {"true_fps": 15, "cmu_description": "salsa dance"},
                 "61/61_01.bvh": {"true_fps": 15, "cmu_description": "salsa dance"},
                 "94/94_04.bvh": {"true_fps": 60, "cmu_description": "Indian dance"},
                 "135/135_03.bvh": {"true_fps": 60, "cmu_description": "martial arts"}}
        (root / "manifest.json").write_text(json.dumps({"files": files, "pairs": [["60/60_01.bvh",
                                                                                    "61/61_01.bvh"]]}))
    return root


def test_bvh_folder_specs(tmp_path, motion):
    recon, betas, rest, ours = motion
    root = _folder(tmp_path, recon, rest, manifest=True)
    pairs = list(dataset_sequences(f"cmu:{root}"))
    assert [(n, r.fps, t) for n, r, t in pairs] == [("60_01+61_01", 15.0, "A and B dance salsa together")]
    singles = list(dataset_single_people(f"cmu:{root}"))
    assert [(n, f, t) for n, _, f, t in singles] == [
        ("135_03", 60.0, "a person practices martial arts"), ("60_15", 60.0, "a person dances salsa"),
        ("61_15", 60.0, "a person dances salsa"), ("94_04", 60.0, "a person dances")]  # the manifest pairs only take 01
    # without a manifest: pairs by CMU numbering, salsa at CMU's 60 fps, the fixed split by take
    bare = _folder(tmp_path, recon, rest, manifest=False)
    names = lambda sel: [n for n, _, _ in dataset_sequences(f"cmu:{bare}:{sel}")]  # noqa: E731
    assert names("all") == ["60_01+61_01", "60_15+61_15"] and names("test") == ["60_15+61_15"]
    assert names("train") == ["60_01+61_01"] and names("61_01,94_04") == ["60_01+61_01"]
    assert [n for n, _, _, _ in dataset_single_people(f"cmu:{bare}:train")] == ["135_03", "94_04"]
    assert list(dataset_single_people(f"cmu:{bare}:test")) == []
    assert next(iter(dataset_sequences(f"cmu:{bare}:test")))[1].fps == 60.0
    assert next(iter(dataset_sequences(f"bvh:{bare}:60_15")))[1].fps == pytest.approx(30.0)  # bvh: file rate
    with pytest.raises(MotionError, match="no take '60_99'"):
        list(dataset_sequences(f"cmu:{bare}:60_99"))
    # training clips: pairs as they are, single takes paired two by two
    clips = load_clips(f"cmu:{bare}:train", fps=15.0)
    assert [c.name for c in clips] == ["60_01+61_01", "135_03+94_04"]
    assert clips[0].text == "A and B dance salsa together" and clips[1].text == ""
