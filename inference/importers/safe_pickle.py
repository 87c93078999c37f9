"""Reading pickles written by other tools (4DHumans/PHALP, WHAM, TRAM) without ever running code from them.

A pickle is a program: loading one with ``pickle.load`` or ``joblib.load`` lets its author call any importable
function. Here every global the stream asks for goes through :func:`SafeUnpickler.find_class`; only numpy
arrays/dtypes/scalars, joblib's array wrapper, plain containers and torch tensors (rebuilt from a storage that
torch's own ``weights_only`` loader reads) are admitted. Anything else (``os.system`` in a malicious file) becomes
an :class:`Inert` placeholder that is never called with effect: it swallows its arguments and state, and the
importer that needs a field holding one reports it by name. Files from joblib (optionally compressed), plain
pickles and ``.npy`` files of Python objects all load.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any, BinaryIO, Union

from ..motion import MotionError

# module -> names admitted from it. numpy moved ``core`` to ``_core`` in 2.0; pickles name either.
_ALLOWED: dict[str, frozenset[str]] = {
    "numpy": frozenset({"ndarray", "dtype"}),
    "numpy.core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy._core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy.dtypes": frozenset({f"{k}DType" for k in (
        "Bool", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float16", "Float32",
        "Float64", "Str", "Bytes", "Long", "ULong", "LongLong", "ULongLong", "Short", "UShort", "Byte", "UByte")}),
    "joblib.numpy_pickle": frozenset({"NumpyArrayWrapper"}),
    "builtins": frozenset({"dict", "list", "tuple", "set", "frozenset", "int", "float", "complex", "str", "bytes",
                           "bool", "slice", "range"}),
    "collections": frozenset({"OrderedDict", "defaultdict"}),
    "_codecs": frozenset({"encode"}),  # protocol-2 pickles spell ``bytes`` as _codecs.encode(str, "latin1")
    "copyreg": frozenset({"_reconstructor"}),
}


class Inert:
    """Stands in for a class or function the unpickler refused: calling, building or filling it does nothing."""

    refused: str = "?"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass

    def __repr__(self) -> str:
        return f"<refused {self.refused}>"

    # pickle's APPEND/SETITEM opcodes call these on whatever object is on the stack
    def append(self, item: Any) -> None:
        pass

    def extend(self, items: Any) -> None:
        pass

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


def _inert_class(module: str, name: str) -> type:
    return type("Inert", (Inert,), {"refused": f"{module}.{name}"})


def _copyreg_reconstructor_guard(cls: Any, base: Any, state: Any) -> Any:
    """``copyreg._reconstructor`` limited to admitted bases (``object.__new__`` of an Inert is harmless)."""
    if isinstance(cls, type) and issubclass(cls, Inert):
        return cls()
    raise pickle.UnpicklingError(f"copyreg._reconstructor on {cls!r} refused")


def _joblib_unpickler_base() -> type:
    from joblib.numpy_pickle import NumpyUnpickler

    return NumpyUnpickler


def _storage_from_bytes(data: bytes) -> Any:
    """``torch.storage._load_from_bytes`` (a plain pickle's torch tensor storage), but through torch's own
    restricted loader: the bytes are a ``torch.save`` stream, which ``weights_only=True`` reads without running
    code."""
    import torch

    return torch.load(io.BytesIO(bytes(data)), map_location="cpu", weights_only=True)


def _torch_globals() -> dict[tuple[str, str], Any]:
    """Torch tensors inside plain pickles (TRAM's ``.npy`` dicts, PHALP's ``embedding``): rebuilt from a storage
    read by the restricted loader above."""
    import torch._utils

    return {("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
            ("torch.storage", "_load_from_bytes"): _storage_from_bytes}


class SafeUnpickler(_joblib_unpickler_base()):  # type: ignore[misc]
    """joblib's unpickler (so its out-of-band array data is read) with every global checked against a list."""

    def __init__(self, filename: str, file_handle: Any) -> None:
        super().__init__(filename, file_handle, ensure_native_byte_order=True, mmap_mode=None)
        self.refused: set[str] = set()

    def find_class(self, module: str, name: str) -> Any:
        torch_global = _torch_globals().get((module, name))
        if torch_global is not None:
            return torch_global
        if name in _ALLOWED.get(module, ()):
            if (module, name) == ("copyreg", "_reconstructor"):
                return _copyreg_reconstructor_guard
            if module == "joblib.numpy_pickle":
                return _checked_array_wrapper()
            return super().find_class(module, name)
        self.refused.add(f"{module}.{name}")
        return _inert_class(module, name)

    def persistent_load(self, pid: Any) -> Any:  # torch.save-style external storage: never followed
        self.refused.add("persistent_id")
        return _inert_class("persistent", "id")()


def _checked_array_wrapper() -> type:
    """joblib's array wrapper, refusing object arrays (their payload is a nested pickle) before reading data."""
    from joblib.numpy_pickle import NumpyArrayWrapper

    class CheckedArrayWrapper(NumpyArrayWrapper):
        def read(self, unpickler: Any, ensure_native_byte_order: bool) -> Any:
            import numpy as np

            if not isinstance(self.dtype, np.dtype) or self.dtype.hasobject:
                raise pickle.UnpicklingError("array of Python objects refused")
            if self.subclass is not np.ndarray:
                raise pickle.UnpicklingError("ndarray subclass refused")
            return super().read(unpickler, ensure_native_byte_order)

    return CheckedArrayWrapper


def _open_binary(path: Union[str, Path]) -> BinaryIO:
    """``open(path, "rb")`` with a MotionError naming the file when it is missing or unreadable."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise MotionError(f"{path}: file not found") from None
    except OSError as exc:
        raise MotionError(f"{path}: cannot be opened ({exc})") from None


def safe_load(path: Union[str, Path]) -> tuple[Any, set[str]]:
    """Load a joblib or plain pickle file; returns the object and the set of globals that were refused.

    Raises :class:`MotionError` naming the file when it is missing, not a pickle, or corrupt."""
    from joblib.numpy_pickle_utils import _validate_fileobject_and_memmap

    label = str(path)
    with _open_binary(path) as raw:
        try:
            with _validate_fileobject_and_memmap(raw, label, None) as (fobj, _):
                if isinstance(fobj, str):  # joblib < 0.10 layout with companion files: not supported
                    raise MotionError(f"{label}: written by joblib < 0.10 (companion .npy files); re-save it")
                unpickler = SafeUnpickler(label, fobj)
                obj = unpickler.load()
        except MotionError:
            raise
        # pickle's opcode handlers raise whatever garbage makes them hit (struct.error, OverflowError,
        # RecursionError, UnpicklingError, EOFError…): for a file, all of it means "not readable"
        except Exception as exc:
            raise MotionError(f"{label}: not a readable pickle ({type(exc).__name__}: {exc})") from None
    return obj, unpickler.refused


def safe_load_npy(path: Union[str, Path]) -> tuple[Any, set[str]]:
    """An ``.npy`` file; one holding Python objects (``np.save`` of a dict, as TRAM writes) is unpickled with
    :class:`SafeUnpickler` instead of ``np.load(allow_pickle=True)``. Returns the array (or the object a 0-d
    object array holds) and the refused globals."""
    import numpy as np

    label = str(path)
    with _open_binary(path) as f:
        try:
            version = np.lib.format.read_magic(f)
            reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            _, _, dtype = reader(f)
            if not dtype.hasobject:
                f.seek(0)
                return np.load(f, allow_pickle=False), set()
            unpickler = SafeUnpickler(label, f)
            obj = unpickler.load()
        except MotionError:
            raise
        except Exception as exc:  # malformed header or pickle: the file is not readable, whatever broke
            raise MotionError(f"{label}: not a readable .npy file ({type(exc).__name__}: {exc})") from None
    if isinstance(obj, np.ndarray) and obj.dtype == object and obj.shape == ():
        obj = obj.item()
    return obj, unpickler.refused
