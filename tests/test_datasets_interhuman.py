"""InterHuman (InterGen) sequences in the published layout → our reconstruction and training clips."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from inference.engine.dataset import load_clips
from inference.importers import import_motion
from inference.importers.up_axis import rest_skeleton
from inference.motion import MotionError
from tests.dataset_files import truth_people, world_joints, write_interhuman

TEXTS = ["One person waves at the other, who waves back.", "", "two people greet each other by waving"]


@pytest.fixture(scope="module")
def rest():
    return rest_skeleton()


@pytest.fixture
def root(tmp_path, rest):
    root = tmp_path / "interhuman"
    truth = {sid: write_interhuman(root, sid, truth_people(12 + int(sid), seed=int(sid)), rest, TEXTS[:1 + int(sid)])
             for sid in ("1", "2", "10")}
    (root / "split").mkdir()
    (root / "split" / "train.txt").write_text("1\n10\n")
    (root / "split" / "test.txt").write_text("2\n")
    return root, truth


def test_sequence_imports_with_joints_text_and_rate_of_the_file(root, rest):
    root, truth = root
    recon = import_motion([root / "motions_processed" / "person2" / "2.npy"])  # either person's file names the pair
    assert recon.fps == 30.0
    assert recon.meta["text"] == TEXTS[0] and recon.meta["texts"] == [TEXTS[0], TEXTS[2]]  # blank line dropped
    assert recon.meta["rot6d_layout"] == "R[:, :2] row-major"
    for person, expected in zip(recon.people, truth["2"]):  # person1 is A
        joints, _ = world_joints(person, rest)
        np.testing.assert_allclose(joints, expected, atol=1e-4)
        assert np.all(joints[:, 15, 1] > joints[:, 0, 1] + 0.3)  # head above pelvis: +Y up
        assert np.all(person.betas == 0)


def test_6d_layout_is_chosen_by_the_stored_joints(tmp_path, rest):
    people = truth_people(10, seed=5)
    truth = write_interhuman(tmp_path, "3", people, rest, ["x"], layout="columns (c0, c1)")
    recon = import_motion([tmp_path / "motions_processed" / "person1" / "3.npy"])
    assert recon.meta["rot6d_layout"] == "columns (c0, c1)"
    np.testing.assert_allclose(world_joints(recon.people[1], rest)[0], truth[1], atol=1e-4)


def test_clips_of_a_split_at_the_model_rate(root):
    root, _ = root
    clips = load_clips(f"interhuman:{root}:train")
    assert [c.name for c in clips] == ["1", "10"]
    assert [c.num_frames for c in clips] == [13, 22]
    assert clips[0].text == TEXTS[0] and clips[0].fps == 30.0
    assert len(load_clips(f"interhuman:{root}")) == 3
    with pytest.raises(MotionError, match="val.txt"):
        load_clips(f"interhuman:{root}:val")


def test_ignore_list_is_respected(root):
    root, _ = root
    (root / "ignore_list.txt").write_text("10\n")
    assert [c.name for c in load_clips(f"interhuman:{root}")] == ["1", "2"]


@pytest.mark.parametrize("damage, message", [
    (lambda a: a.__setitem__((3, 5), np.nan), r"columns 0:66 \(joints\) has a non-finite value .* \(3, 5\)"),
    (lambda a: a.__setitem__((2, 200), np.inf), r"columns 186:312 \(rotations\) has a non-finite"),
])
def test_bad_values_are_reported_with_file_and_columns(root, damage, message):
    root, _ = root
    path = root / "motions_processed" / "person1" / "1.npy"
    data = np.load(path)
    damage(data)
    np.save(path, data)
    with pytest.raises(MotionError, match=message) as err:
        import_motion([path])
    assert "1.npy" in str(err.value)


def test_wrong_width_missing_partner_and_object_arrays_are_refused(root):
    root, _ = root
    narrow = root / "motions_processed" / "person1" / "2.npy"
    np.save(narrow, np.zeros((5, 100), np.float32))
    with pytest.raises(MotionError, match=r"expected shape \(T, >= 312\).*\(5, 100\)"):
        import_motion([narrow])
    (root / "motions_processed" / "person2" / "10.npy").unlink()
    with pytest.raises(MotionError, match="lacks .*person2/10.npy"):
        import_motion([root / "motions_processed" / "person1" / "10.npy"])
    np.save(root / "motions_processed" / "person1" / "1.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(MotionError, match="1.npy holds Python objects, which are not loaded"):
        import_motion([root / "motions_processed" / "person1" / "1.npy"])


class _Boom:
    def __reduce__(self):
        return (pytest.fail, ("the raw pickle was executed",))


def test_raw_pickles_are_refused_unexecuted_with_a_pointer(root, tmp_path):
    root, _ = root
    (root / "motions").mkdir()
    raw = root / "motions" / "1.pkl"
    raw.write_bytes(pickle.dumps({"person1": _Boom(), "person2": {}}))
    with pytest.raises(MotionError, match="motions_processed/person1/1.npy"):
        import_motion([raw])
    elsewhere = tmp_path / "copy.pkl"  # outside the layout: recognised by its content (restricted unpickler)
    elsewhere.write_bytes(pickle.dumps({"person1": {"trans": np.zeros((4, 3))}, "person2": {}, "frames": 4}))
    with pytest.raises(MotionError, match="raw InterHuman pickle"):
        import_motion([elsewhere])
