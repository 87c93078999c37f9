"""Fuzzing the importers: BVH text, the restricted unpickler with the PHALP/WHAM readers behind it, and GVHMR's
``torch.load(weights_only=True)`` reader. Arbitrary input, corrupted valid files and valid layouts with wrong
fields must end in a :class:`~inference.motion.MotionError` naming the file (or a correct import), never in
another exception, a hang, or code from the file running. Bounded (60 derandomized cases per test) so it runs on
every submission; ``FUZZ_EXAMPLES=2000`` runs a deeper, random search locally."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

from inference.body import load_body_model
from inference.importers import import_motion
from inference.importers.bvh import load_bvh
from inference.importers.bvh_file import parse_bvh
from inference.motion import MotionError

from app_support import make_reconstruction
from importer_files import write_family_bvh, write_gvhmr, write_phalp, write_wham

# torch warns about the odd protocol byte of a flipped .pt file before refusing it: expected here
pytestmark = pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")
_DEEP = int(os.environ.get("FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=_DEEP or 60, derandomize=not _DEEP, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FRAMES = 6


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict:
    """One valid file of each kind (tiny: 6 frames), the rest skeleton, and a scratch folder."""
    folder = tmp_path_factory.mktemp("fuzz-importers")
    recon = make_reconstruction(FRAMES)
    rest = load_body_model().rest(torch.as_tensor(recon.people[0].betas))[1].numpy().astype(np.float64)
    zero = [np.zeros(3), np.zeros(3)]
    write_family_bvh(folder / "seed.bvh", "mixamo", recon.people[0], rest, units=100.0)
    write_phalp(folder / "phalp.pkl", recon, zero, extra_track=False)
    write_wham(folder / "wham.pkl", recon, zero, 0.3, np.zeros(3))
    for pid in range(2):
        write_gvhmr(folder / f"gvhmr{pid}.pt", recon, pid, np.zeros(3), 0.2, np.zeros(3))
    return {"dir": folder, "rest": rest, "bvh": (folder / "seed.bvh").read_text(),
            "phalp": (folder / "phalp.pkl").read_bytes(), "wham": (folder / "wham.pkl").read_bytes(),
            "gvhmr": (folder / "gvhmr0.pt").read_bytes(),
            "phalp_obj": pickle.loads(pickle.dumps(_plain_load(folder / "phalp.pkl"))),
            "wham_obj": _plain_load(folder / "wham.pkl"),
            "gvhmr_obj": torch.load(folder / "gvhmr0.pt", weights_only=True)}


def _plain_load(path: Path):
    import joblib

    return joblib.load(path)  # our own seed file, written a moment ago: the trusted loader is fine here


def _import_ok_or_motion_error(fn) -> None:
    try:
        recon = fn()
    except MotionError as exc:
        assert str(exc)  # a message, not an empty error
        return
    assert recon.num_frames >= 1
    for p in recon.people:
        assert np.isfinite(p.body_pose).all() and np.isfinite(p.transl).all()


# ----------------------------------------------------------------------------------------- BVH

TOKENS = st.sampled_from(["", "{", "}", "ROOT", "JOINT", "End", "Site", "OFFSET", "CHANNELS", "MOTION", "Frames:",
                          "Frame", "Time:", "0", "-1", "3", "6", "99999999", "1e309", "nan", "inf", "-0.0", "x",
                          "Xrotation", "Zposition", "\n"])


@FUZZ
@given(st.text(max_size=400))
def test_bvh_parser_on_arbitrary_text(seeds, text) -> None:
    try:
        parse_bvh(text, "fuzz.bvh")
    except MotionError:
        pass


@FUZZ
@given(st.lists(st.tuples(st.floats(0, 1), TOKENS), min_size=1, max_size=6), st.floats(0.05, 1.0))
def test_bvh_import_on_mutated_files(seeds, edits, keep) -> None:
    words = seeds["bvh"].split(" ")
    for where, token in edits:
        words[int(where * (len(words) - 1))] = token
    text = " ".join(words)
    text = text[: max(1, int(len(text) * keep))]  # and maybe cut short, as a broken download is
    path = seeds["dir"] / "mutated.bvh"
    path.write_text(text)
    _import_ok_or_motion_error(lambda: load_bvh([path, seeds["dir"] / "seed.bvh"], rest_fn=lambda _b: seeds["rest"]))


# ------------------------------------------------------------------------------ pickles (PHALP, WHAM)

@FUZZ
@given(st.binary(max_size=1024))
def test_pickle_import_on_arbitrary_bytes(seeds, data) -> None:
    path = seeds["dir"] / "bytes.pkl"
    path.write_bytes(data)
    _import_ok_or_motion_error(lambda: import_motion([path]))


FLIPS = st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=12)


@FUZZ
@given(st.sampled_from(["phalp", "wham"]), FLIPS)
def test_pickle_import_on_corrupted_files(seeds, kind, flips) -> None:
    data = bytearray(seeds[kind])
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    path = seeds["dir"] / f"flipped-{kind}.pkl"
    path.write_bytes(bytes(data))
    _import_ok_or_motion_error(lambda: import_motion([path]))


ODD_VALUES = st.one_of(
    st.none(), st.text(max_size=4), st.integers(-3, 100), st.sampled_from([10**9, 2**63 - 1, -(2**40)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.builds(lambda shape, fill: np.full(shape, fill), st.lists(st.integers(0, 5), max_size=4).map(tuple),
              st.sampled_from([0.0, np.nan, np.inf, 1e30])),
    st.builds(lambda n: [np.eye(3)] * n, st.integers(0, 3)),
    st.builds(dict), st.builds(list),
)


def _mutate_fields(obj, path: list, value):
    """Replace the entry at ``path`` (keys/indices, each chosen modulo the container's size) with ``value``."""
    node = obj
    for step in path[:-1]:
        if isinstance(node, dict) and node:
            node = node[list(node)[step % len(node)]]
        elif isinstance(node, list) and node:
            node = node[step % len(node)]
        else:
            break
    if isinstance(node, dict) and node:
        node[list(node)[path[-1] % len(node)]] = value
    elif isinstance(node, list) and node:
        node[path[-1] % len(node)] = value


@FUZZ
@given(st.sampled_from(["phalp_obj", "wham_obj"]), st.lists(st.integers(0, 1000), min_size=1, max_size=4),
       ODD_VALUES)
def test_tracker_readers_on_wrong_fields(seeds, kind, where, value) -> None:
    obj = pickle.loads(pickle.dumps(seeds[kind]))
    _mutate_fields(obj, where, value)
    path = seeds["dir"] / f"fields-{kind}.pkl"
    path.write_bytes(pickle.dumps(obj))
    _import_ok_or_motion_error(lambda: import_motion([path]))


@pytest.mark.parametrize("kind", ["phalp_obj", "wham_obj"])
def test_a_huge_frame_index_is_refused_not_filled(seeds, kind) -> None:
    """One absurd frame index must not make the importer fill a timeline up to it (fuzzing found 23 GB used)."""
    obj = pickle.loads(pickle.dumps(seeds[kind]))
    if kind == "phalp_obj":
        obj[list(obj)[-1]]["time"] = 10**9
    else:
        obj[0]["frame_ids"] = np.array(obj[0]["frame_ids"])
        obj[0]["frame_ids"][-1] = 10**9
    path = seeds["dir"] / f"huge-{kind}.pkl"
    path.write_bytes(pickle.dumps(obj))
    with pytest.raises(MotionError, match="longest supported"):
        import_motion([path])


# ----------------------------------------------------------------------------------------- GVHMR

@FUZZ
@given(FLIPS)
def test_gvhmr_import_on_corrupted_files(seeds, flips) -> None:
    data = bytearray(seeds["gvhmr"])
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    path = seeds["dir"] / "flipped.pt"
    path.write_bytes(bytes(data))
    _import_ok_or_motion_error(lambda: import_motion([path, seeds["dir"] / "gvhmr1.pt"]))


TENSORS = st.one_of(
    st.none(), st.integers(), st.text(max_size=3),
    st.builds(lambda shape, fill: torch.full(shape, fill), st.lists(st.integers(0, 7), max_size=3).map(tuple),
              st.sampled_from([0.0, float("nan"), float("inf")])),
)


@FUZZ
@given(st.lists(st.integers(0, 1000), min_size=1, max_size=3), TENSORS)
def test_gvhmr_reader_on_wrong_fields(seeds, where, value) -> None:
    obj = {k: (dict(v) if isinstance(v, dict) else v) for k, v in seeds["gvhmr_obj"].items()}
    _mutate_fields(obj, where, value)
    path = seeds["dir"] / "fields.pt"
    torch.save(obj, path)
    _import_ok_or_motion_error(lambda: import_motion([path, seeds["dir"] / "gvhmr1.pt"]))
