"""Fuzzing the file readers: arbitrary bytes and mutated valid files raise our documented errors, nothing else.

Bounded (a few hundred cases, derandomized so a run is reproducible) so it runs in CI on every submission;
``FUZZ_EXAMPLES=3000`` searches deeper with fresh random cases.
"""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from inference.io.npz import load_reconstruction_bytes, npz_bytes, reconstruction_arrays
from inference.motion import MotionError, Reconstruction
from inference.session import Session, SessionError, load_session, save_session

from conftest import make_person

_DEEP = int(os.environ.get("FUZZ_EXAMPLES", "0"))  # e.g. 3000 for a deeper, random search locally
FUZZ = settings(max_examples=_DEEP or 150, derandomize=not _DEEP, database=None, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _valid_npz() -> bytes:
    return npz_bytes(reconstruction_arrays(Reconstruction((make_person(6, 0, True), make_person(6, 1)), 30.0)))


VALID_NPZ = _valid_npz()


@FUZZ
@given(st.binary(max_size=2048))
def test_npz_reader_on_arbitrary_bytes(data):
    try:
        load_reconstruction_bytes(data, "fuzz.npz")
    except MotionError:
        pass


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(VALID_NPZ) - 1), st.integers(0, 255)), min_size=1, max_size=20))
def test_npz_reader_on_corrupted_valid_files(flips):
    data = bytearray(VALID_NPZ)
    for pos, value in flips:
        data[pos] = value
    try:
        load_reconstruction_bytes(bytes(data), "fuzz.npz")
    except MotionError:
        pass


ARRAY = st.one_of(
    st.builds(np.zeros, st.tuples(st.integers(0, 7), st.integers(0, 70))),
    st.builds(np.array, st.text(max_size=5)),
    st.builds(np.array, st.floats(allow_nan=True, allow_infinity=True)),
    st.builds(lambda n: np.full((6, 3), np.nan), st.just(0)),
)


@FUZZ
@given(st.dictionaries(st.sampled_from(["A_global_orient", "A_body_pose", "A_transl", "A_betas", "B_global_orient",
                                        "B_body_pose", "B_transl", "mocap_framerate", "camera_K", "camera_size",
                                        "A_gender", "up_axis", "units", "meta_json", "A_keypoints_2d"]), ARRAY))
def test_npz_reader_on_wrong_keys_and_shapes(replacements):
    arrays = dict(np.load(io.BytesIO(VALID_NPZ)))
    arrays.update(replacements)
    try:
        load_reconstruction_bytes(npz_bytes(arrays), "fuzz.npz")
    except MotionError:
        pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["manifest.json", "current.npz", "original.npz"]), st.binary(max_size=300))
def test_session_reader_on_replaced_parts(tmp_path_factory, part, data):
    path = tmp_path_factory.mktemp("fuzz") / "s.smsession"
    recon = Reconstruction((make_person(6, 0), make_person(6, 1)), 30.0)
    save_session(Session(recon), path)
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts[part] = data
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    try:
        load_session(path)
    except SessionError:
        pass
