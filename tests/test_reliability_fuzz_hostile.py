"""Bombs, liars, hostile JSON and absurd frame rates, under a 1.5 GB address-space cap.

Every case must end in one sentence on stderr that names the file and the problem, exit code 1, no traceback, and
no ``MemoryError`` (a limit must refuse *before* allocating). The cap (``RLIMIT_AS``) is set in a child process
only: torch and Qt reserve address space freely, and a regression must fail this build, not swap the CI machine.

* ``test_every_hostile_file_is_refused_in_one_sentence`` — the named cases of :mod:`hostile_files` through the
  real command line, in one capped child process;
* ``test_generated_hostile_inputs_under_the_cap`` — runs the ``capped_*`` Hypothesis tests of this file in a
  capped child pytest (outside it they skip): random liars, pickle lengths, hostile JSON and rates.
"""

from __future__ import annotations

import io
import json
import math
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import hostile_files

CAP_MB = 1536
_CAPPED = os.environ.get("SM_STUDIO_FUZZ_CAP_MB")
if _CAPPED:  # the child pytest: cap before any case runs
    resource.setrlimit(resource.RLIMIT_AS, (int(_CAPPED) << 20, int(_CAPPED) << 20))
ROOT = Path(__file__).resolve().parents[1]
_DEEP = int(os.environ.get("FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=_DEEP or 60, derandomize=not _DEEP, database=None, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
capped = pytest.mark.skipif(not _CAPPED, reason="runs in the capped child of test_generated_hostile_inputs_under_the_cap")

# what each refusal must say (beyond naming the file)
EXPECTED = {
    "npz header claims 10^11 rows": "over the 512 MB limit",
    "npz member truncated": "is truncated",
    "npz member declares 4 GB": "would expand to 4,096 MB",
    "npz deflate bomb": "decompression bomb",
    "session holding a liar npz": "current.npz: key 'A_transl' claims",
    "pickle bytes(5e9)": "refused before allocating: bytes of 5,000,000,000",
    "pickle list(range(1e10))": "refused before allocating: range of",
    "pickle BINBYTES8 2^40": "refused before allocating: a length of 1,099,511,627,776 bytes",
    "pickle str of a repeated list": "refused before allocating: str",
    "pickle ndarray of 10^11": "refused before allocating: an array of shape",
    "joblib wrapper of 10^11": "refused before allocating: an array of shape",
    "joblib zlib stream claiming 600 MB": "refused before allocating: a length of 629,145,600 bytes",
    "torch record declares 4 GB": "would expand to 4,096 MB",
    "segments: [1]": "'segments' entry 1: should be an object",
    'segments: ["x"]': "'segments' entry 1: should be an object",
    "stop: Infinity": "Infinity is not a number JSON allows",
    "stop: 1e999": "1e999 overflows a float",
    "5000-digit int": "a 5000-digit integer",
    "deeply nested JSON": "nested too deeply",
    "camera_size NaN": "'camera_size' should be a positive (width, height)",
    'meta_json "[1,2]"': "'meta_json' should hold a JSON object",
    "fps 1e-300 in the file": "frame rate 1e-300 fps is outside 1–1000 fps",
    "fps 1e300 in the file": "frame rate 1e+300 fps is outside 1–1000 fps",
    "fps 1e300 from the user": "--fps: frame rate 1e+300 fps is outside",
    "FIFO named .npz": "is a pipe, not a regular file",
}


@pytest.fixture(scope="module")
def hostile_results(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("hostile")
    run = subprocess.run([sys.executable, str(Path(__file__).with_name("hostile_files.py")), str(folder),
                          str(CAP_MB)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    results = {}
    for line in run.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            results[row["case"]] = row
    assert set(results) == set(hostile_files.CASES), f"the capped child died: {run.stderr[-2000:]}"
    return results


def test_the_expectations_cover_every_case() -> None:
    assert set(EXPECTED) == set(hostile_files.CASES)


@pytest.mark.parametrize("case", list(hostile_files.CASES))
def test_every_hostile_file_is_refused_in_one_sentence(hostile_results, case: str) -> None:
    row = hostile_results[case]
    err = row["stderr"]
    assert row["code"] == 1, row
    assert err.count("\n") == 1 and err.startswith("sm-studio: error: "), err
    assert EXPECTED[case] in err, err
    named = next((a for a in row["argv"] if a.startswith("/")), None)
    assert case == "fps 1e300 from the user" or (named is not None and named in err), err
    for word in ("Traceback", "MemoryError", "internal error"):
        assert word not in err
    assert row["peak_rss_mb"] < CAP_MB


def test_generated_hostile_inputs_under_the_cap() -> None:
    env = {**os.environ, "SM_STUDIO_FUZZ_CAP_MB": str(CAP_MB)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "capped_",
                          str(Path(__file__))], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and " skipped" not in run.stdout


# ------------------------------------------------------------------- the capped child's generated cases

def _refused_cleanly(fn) -> None:  # type: ignore[no-untyped-def]
    from inference.motion import MotionError

    try:
        fn()
    except MotionError as exc:
        text = str(exc)
        assert text and "\n" not in text and "MemoryError" not in text, text


DIMS = st.one_of(st.integers(0, 40), st.integers(10 ** 6, 10 ** 13))


@capped
@FUZZ
@given(st.sampled_from(["A_transl", "A_body_pose", "B_global_orient", "camera_R", "A_keypoints_2d", "A_betas"]),
       st.lists(DIMS, min_size=0, max_size=4), st.sampled_from(["<f4", "<f8", "<i8", "|u1", "<U10", "|V8"]),
       st.integers(0, 256))
def test_capped_npz_header_liars(key, shape, descr, data_len) -> None:
    from inference.io.npz import load_reconstruction_bytes

    npz = hostile_files._replace_member(hostile_files._npz_with(), f"{key}.npy",
                                        hostile_files._npy_header(tuple(shape), descr) + b"\0" * data_len)
    _refused_cleanly(lambda: load_reconstruction_bytes(npz, "liar.npz"))


@capped
@FUZZ
@given(st.lists(DIMS, min_size=0, max_size=4), st.sampled_from(["<f4", "<f8", "|O", "<U10"]), st.integers(0, 256))
def test_capped_npy_header_liars(tmp_path_factory, shape, descr, data_len) -> None:
    """Plain ``.npy`` files (InterHuman motions, TRAM results) with any header."""
    from inference.importers.safe_pickle import safe_load_npy
    from inference.io.npz import read_npy

    path = tmp_path_factory.mktemp("npy") / "x.npy"
    path.write_bytes(hostile_files._npy_header(tuple(shape), descr) + b"\0" * data_len)
    _refused_cleanly(lambda: read_npy(path))
    _refused_cleanly(lambda: safe_load_npy(path))


@capped
@FUZZ
@given(st.sampled_from([b"\x8e", b"\x8d", b"\x8f", b"\x95", b"\x8b"]), st.integers(0, 2 ** 63 - 1),
       st.binary(max_size=64))
def test_capped_pickle_lengths(tmp_path_factory, opcode, length, tail) -> None:
    """BINBYTES8, BINUNICODE8, EMPTY_SET+ADDITEMS, FRAME and LONG4 with arbitrary lengths."""
    from inference.importers.safe_pickle import safe_load

    size = 4 if opcode == b"\x8b" else 8
    path = tmp_path_factory.mktemp("pkl") / "x.pkl"
    path.write_bytes(b"\x80\x04" + opcode + (length % (1 << (8 * size))).to_bytes(size, "little") + tail)
    _refused_cleanly(lambda: safe_load(path))


@capped
@FUZZ
@given(st.sampled_from(["bytes", "list", "tuple", "set", "frozenset", "dict", "str", "range"]),
       st.integers(-2, 10 ** 15))
def test_capped_pickle_constructors(tmp_path_factory, name, size) -> None:
    from inference.importers.safe_pickle import safe_load

    arg = hostile_files._long(abs(size)) if name in ("bytes", "range") else \
        b"cbuiltins\nrange\n" + hostile_files._long(abs(size)) + b"\x85R"
    path = tmp_path_factory.mktemp("pkl") / "c.pkl"
    path.write_bytes(hostile_files._pickle_reduce("builtins", name, arg))
    _refused_cleanly(lambda: safe_load(path))


JSON_ATOMS = st.one_of(st.sampled_from(["Infinity", "-Infinity", "NaN", "1e999", "-0", "true", "null", '"x"',
                                        "9" * 5000, "1" * 31, "[]", "{}"]),
                       st.integers(-10 ** 20, 10 ** 20).map(str), st.floats(allow_nan=False).map(repr))


@st.composite
def hostile_json(draw) -> str:  # type: ignore[no-untyped-def]
    depth = draw(st.one_of(st.integers(0, 5), st.integers(900, 200_000)))
    atom = draw(JSON_ATOMS)
    opener = draw(st.sampled_from(["[", '{"k": ']))
    closer = "]" if opener == "[" else "}"
    return opener * depth + atom + closer * depth


@capped
@FUZZ
@given(hostile_json())
def test_capped_hostile_json(text) -> None:
    from inference.io.limits import MAX_INT_DIGITS, parse_json

    try:
        value = parse_json(text, "x.json")
    except Exception as exc:  # noqa: BLE001 — must be our one-sentence refusal
        from inference.motion import MotionError

        assert isinstance(exc, MotionError) and "\n" not in str(exc), repr(exc)
        return
    while isinstance(value, (list, dict)) and value:
        value = value[0] if isinstance(value, list) else value["k"]
    assert not (isinstance(value, float) and not math.isfinite(value))
    assert not (isinstance(value, int) and len(str(abs(value))) > MAX_INT_DIGITS)


@capped
@FUZZ
@given(st.sampled_from(["segments", "view", "meta", "arrays", "version"]), hostile_json())
def test_capped_hostile_session_manifests(tmp_path_factory, field, text) -> None:
    from inference.session import load_session

    folder = tmp_path_factory.mktemp("session")
    path = hostile_files._session(folder, manifest_text=hostile_files._manifest(**{field: text}))
    _refused_cleanly(lambda: load_session(path))


@capped
@FUZZ
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10 ** 30, 10 ** 30)))
def test_capped_absurd_frame_rates(rate) -> None:
    import numpy as np

    from inference.io.npz import load_reconstruction_bytes

    npz = hostile_files._npz_with(mocap_framerate=np.float64(rate) if isinstance(rate, float) else
                                  np.array(float(rate)))
    try:
        recon = load_reconstruction_bytes(npz, "rate.npz")
    except Exception as exc:  # noqa: BLE001
        from inference.motion import MotionError

        assert isinstance(exc, MotionError) and "frame rate" in str(exc), repr(exc)
        return
    assert 1.0 <= recon.fps <= 1000.0


@capped
def test_capped_zip_members_declaring_more_than_they_hold() -> None:
    from inference.io.npz import load_reconstruction_bytes

    valid = hostile_files._npz_with()
    for name in zipfile.ZipFile(io.BytesIO(valid)).namelist():
        for size in (0, 1, 2 ** 31, 0xFFFF_FFF0):
            _refused_cleanly(lambda: load_reconstruction_bytes(hostile_files._declare_size(valid, name, size), "d"))
