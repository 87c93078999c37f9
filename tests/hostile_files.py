"""Hostile inputs, built in code: bombs (a few bytes that expand to gigabytes), liars (headers promising more
than the file holds), hostile JSON and absurd frame rates, each a file plus the command line that reads it.

Run as a script (``python tests/hostile_files.py FOLDER [LIMIT_MB]``) it writes every case into FOLDER, caps its
own address space (``RLIMIT_AS``, default 1.5 GB) *before* importing numpy, torch or the readers, runs each case
through the real command line (:func:`sm_studio.cli.main`, in-process) and prints one JSON line per case: exit
code, what reached stderr, and the process's peak RSS. Under the cap a regression ends in a ``MemoryError`` of
this child process, never in the CI machine swapping; the test reads the lines and fails the build.
"""

from __future__ import annotations

import io
import json
import os
import struct
import sys
import zipfile
from pathlib import Path
from typing import Callable

CaseFn = Callable[[Path], list[str]]  # writes the file(s) into a folder; returns the CLI argv that reads them


def _valid_npz_arrays() -> dict:
    import numpy as np

    sys.path.insert(0, str(Path(__file__).parent))
    from app_support import make_reconstruction

    from inference.io.npz import reconstruction_arrays

    return {k: np.asarray(v) for k, v in reconstruction_arrays(make_reconstruction(12)).items()}


def _npz_bytes(arrays: dict) -> bytes:
    from inference.io.npz import npz_bytes

    return npz_bytes(arrays)


def _npy_header(shape: tuple, descr: str = "<f4") -> bytes:
    import numpy as np

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _replace_member(npz: bytes, name: str, content: bytes, compress: int = zipfile.ZIP_STORED) -> bytes:
    src, out = zipfile.ZipFile(io.BytesIO(npz)), io.BytesIO()
    with zipfile.ZipFile(out, "w", compress) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, content if info.filename == name else src.read(info))
    return out.getvalue()


def _declare_size(zip_bytes: bytes, member: str, size: int) -> bytes:
    """The zip with ``member``'s uncompressed size in the central directory changed to ``size`` (a liar)."""
    data = bytearray(zip_bytes)
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + name_len] == name:
            struct.pack_into("<I", data, at + 24, size)
            return bytes(data)
        at = data.find(b"PK\x01\x02", at + 4)
    raise KeyError(member)


def _npz_with(**changes: object) -> bytes:
    import numpy as np

    arrays = _valid_npz_arrays()
    arrays.update({k: np.asarray(v) for k, v in changes.items()})
    return _npz_bytes(arrays)


def _session(folder: Path, manifest_text: str = "", current: bytes = b"") -> Path:
    """A session file from a valid one with its manifest text or current.npz replaced."""
    sys.path.insert(0, str(Path(__file__).parent))
    from app_support import make_reconstruction

    from inference.session import Session, save_session

    path = folder / "s.smsession"
    save_session(Session(make_reconstruction(12)), path)
    parts = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            parts[info.filename] = zf.read(info)
    if manifest_text:
        parts["manifest.json"] = manifest_text.encode()
    if current:
        parts["current.npz"] = current
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    return path


def _manifest(**changes: str) -> str:
    """A valid manifest's text with fields replaced by raw JSON text (so non-standard JSON can be written)."""
    fields = {"format": '"sm-studio-session"', "version": "2", "video_path": "null", "meta": "{}",
              "segments": "[]", "view": '{"frame": 0, "selected": ""}',
              "arrays": '{"current": "current.npz", "original": "original.npz"}'}
    fields.update(changes)
    return "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}"


def _segment(start: str = "0", stop: str = "4") -> str:
    return '[{"id": "s1", "start": %s, "stop": %s, "who": "A", "kind": "occluded", "history": []}]' % (start, stop)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _info(name: str, data: Callable[[], bytes]) -> CaseFn:
    return lambda folder: ["info", str(_write(folder / name, data()))]


def _import(name: str, data: Callable[[], bytes], *extra: str) -> CaseFn:
    return lambda folder: ["import", str(_write(folder / name, data())), "-o", str(folder / "out.npz"), *extra]


def _session_info(**kwargs: object) -> CaseFn:
    return lambda folder: ["info", str(_session(folder, **kwargs))]  # type: ignore[arg-type]


def _liar_npz() -> bytes:
    """``A_transl`` whose header claims 10^11 rows; 12 bytes of data follow."""
    return _replace_member(_npz_with(), "A_transl.npy", _npy_header((10 ** 11, 3)) + b"\0" * 12)


def _truncated_member_npz() -> bytes:
    return _replace_member(_npz_with(), "A_transl.npy", _npy_header((12, 3)) + b"\0" * 20)


def _declared_bomb_npz() -> bytes:
    return _declare_size(_npz_with(), "A_body_pose.npy", 0xFFFF_FFF0)


def _deflate_bomb_npz() -> bytes:
    """A real bomb: 100 MB of zeros deflated to ~100 KB as ``A_transl``."""
    rows = 100 * (1 << 20) // 12
    out = io.BytesIO()
    src = zipfile.ZipFile(io.BytesIO(_npz_with()))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "A_transl.npy":
                dst.writestr(info.filename, src.read(info))
                continue
            with dst.open("A_transl.npy", "w", force_zip64=True) as member:
                member.write(_npy_header((rows, 3)))
                zeros = b"\0" * (1 << 20)
                for _ in range(rows * 12 // len(zeros)):
                    member.write(zeros)
                member.write(b"\0" * (rows * 12 % len(zeros)))
    return out.getvalue()


def _pickle_reduce(module: str, name: str, arg: bytes) -> bytes:
    return b"\x80\x02c" + f"{module}\n{name}\n".encode() + arg + b"\x85R."


def _long(value: int) -> bytes:
    raw = value.to_bytes((value.bit_length() + 8) // 8, "little")
    return b"\x8a" + bytes([len(raw)]) + raw


def _range_list() -> bytes:
    return b"\x80\x02cbuiltins\nlist\ncbuiltins\nrange\n" + _long(10 ** 10) + b"\x85R\x85R."


def _str_of_repeated_list() -> bytes:
    """``str([L] * 1000)`` with ``L = list(range(10**6))`` through the memo: ~7 GB of text from ~3 KB."""
    inner = b"cbuiltins\nlist\ncbuiltins\nrange\nJ" + struct.pack("<i", 10 ** 6) + b"\x85R\x85Rq\x01"
    return b"\x80\x02cbuiltins\nstr\n](" + inner + b"h\x01" * 999 + b"e\x85R."


def _huge_reconstruct() -> bytes:
    return (b"\x80\x03cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n" + _long(10 ** 11) + b"\x85C\x01b\x87R.")


def _joblib_wrapper() -> bytes:
    import pickle

    import numpy as np
    from joblib.numpy_pickle import NumpyArrayWrapper

    return pickle.dumps(NumpyArrayWrapper(np.ndarray, (10 ** 11,), "C", np.dtype("f8")), protocol=2)


def _zlib_joblib() -> bytes:
    import zlib

    return zlib.compress(b"\x80\x04\x8e" + (600 << 20).to_bytes(8, "little") + b"\0" * 4096)


def _torch_record_bomb(folder: Path) -> list[str]:
    """Two GVHMR-style ``.pt`` files, the first with a tensor record declaring 4 GB."""
    import torch

    paths = [folder / "a.pt", folder / "b.pt"]
    for path in paths:
        torch.save({"smpl_params_incam": {"body_pose": torch.zeros(4, 63)}}, path)
    data = paths[0].read_bytes()
    record = next(n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if "/data/" in n)
    paths[0].write_bytes(_declare_size(data, record, 0xFFFF_FFF0))
    return ["import", *map(str, paths), "-o", str(folder / "out.npz")]


def _fifo(folder: Path) -> list[str]:
    path = folder / "pipe.npz"
    os.mkfifo(path)
    return ["info", str(path)]


CASES: dict[str, CaseFn] = {
    # bombs and liars
    "npz header claims 10^11 rows": _info("liar.npz", _liar_npz),
    "npz member truncated": _info("short.npz", _truncated_member_npz),
    "npz member declares 4 GB": _info("declared.npz", _declared_bomb_npz),
    "npz deflate bomb": _info("bomb.npz", _deflate_bomb_npz),
    "session holding a liar npz": lambda folder: ["info", str(_session(folder, current=_liar_npz()))],
    "pickle bytes(5e9)": _import("bytes.pkl", lambda: _pickle_reduce("builtins", "bytes", _long(5 * 10 ** 9))),
    "pickle list(range(1e10))": _import("range.pkl", _range_list),
    "pickle BINBYTES8 2^40": _import("binbytes.pkl", lambda: b"\x80\x04\x8e" + (1 << 40).to_bytes(8, "little") + b"x"),
    "pickle str of a repeated list": _import("str.pkl", _str_of_repeated_list),
    "pickle ndarray of 10^11": _import("ndarray.pkl", _huge_reconstruct),
    "joblib wrapper of 10^11": _import("wrapper.pkl", _joblib_wrapper),
    "joblib zlib stream claiming 600 MB": _import("zlib.pkl", _zlib_joblib),
    "torch record declares 4 GB": _torch_record_bomb,
    # hostile JSON and fields
    "segments: [1]": _session_info(manifest_text=_manifest(segments="[1]")),
    'segments: ["x"]': _session_info(manifest_text=_manifest(segments='["x"]')),
    "stop: Infinity": _session_info(manifest_text=_manifest(segments=_segment(stop="Infinity"))),
    "stop: 1e999": _session_info(manifest_text=_manifest(segments=_segment(stop="1e999"))),
    "5000-digit int": _session_info(manifest_text=_manifest(view='{"frame": %s, "selected": ""}' % ("9" * 5000))),
    "deeply nested JSON": _session_info(manifest_text=_manifest(meta='{"x": ' + "[" * 100_000 + "]" * 100_000 + "}")),
    "camera_size NaN": _import("nan.npz", lambda: _npz_with(camera_size=[float("nan"), 240.0])),
    'meta_json "[1,2]"': _import("meta.npz", lambda: _npz_with(meta_json="[1,2]")),
    # absurd rates
    "fps 1e-300 in the file": _import("slow.npz", lambda: _npz_with(mocap_framerate=1e-300)),
    "fps 1e300 in the file": _import("fast.npz", lambda: _npz_with(mocap_framerate=1e300)),
    "fps 1e300 from the user": _import("user.npz", _npz_with, "--fps", "1e300"),
    # not a regular file
    "FIFO named .npz": _fifo,
}


def _run_case(name: str, fn: CaseFn, root: Path) -> dict:
    import contextlib
    import signal

    from sm_studio.cli import main

    folder = root / f"case{list(CASES).index(name)}"
    folder.mkdir(parents=True, exist_ok=True)
    argv = fn(folder)
    err, out = io.StringIO(), io.StringIO()

    def hang(*_args: object) -> None:
        raise TimeoutError("hung")

    signal.signal(signal.SIGALRM, hang)
    signal.alarm(20)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(argv)
    except BaseException as exc:  # noqa: BLE001 — recorded: whatever escapes the CLI is a failure of the test
        code = f"escaped {type(exc).__name__}: {exc}"
    finally:
        signal.alarm(0)
    return {"case": name, "argv": argv, "code": code, "stderr": err.getvalue(), "stdout": out.getvalue()[-300:]}


def _peak_rss_mb() -> float:
    """This process's own peak (VmHWM): ``getrusage``'s maxrss carries over the forking parent's across exec, so
    a child of a large pytest process would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    root = Path(sys.argv[1])
    limit = int(float(sys.argv[2]) * (1 << 20)) if len(sys.argv) > 2 else 1536 << 20
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import torch  # noqa: F401 — the readers' heaviest import, under the cap like everything else

    for name, fn in CASES.items():
        result = _run_case(name, fn, root)
        result["peak_rss_mb"] = _peak_rss_mb()
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
