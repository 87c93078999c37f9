"""Reading pickles written by other tools (4DHumans/PHALP, WHAM, TRAM) without ever running code from them.

A pickle is a program: loading one with ``pickle.load`` or ``joblib.load`` lets its author call any importable
function. Here every global the stream asks for goes through :func:`SafeUnpickler.find_class`; only numpy
arrays/dtypes/scalars, joblib's array wrapper, plain containers and torch tensors (rebuilt from a storage that
torch's own ``weights_only`` loader reads) are admitted. Anything else (``os.system`` in a malicious file) becomes
an :class:`Inert` placeholder that is never called with effect: it swallows its arguments and state, and the
importer that needs a field holding one reports it by name. Files from joblib (optionally compressed), plain
pickles and ``.npy`` files of Python objects all load.

A pickle is also an allocation program: a 40-byte file can ask for ``bytes(5_000_000_000)``, a list of a huge
``range``, an array of 10^11 elements, or a 2^40-byte string. Every length is checked before anything is allocated
(:mod:`inference.io.limits`): the stream may not promise more bytes than the file holds (or, decompressed, more
than the read limit), the admitted constructors refuse absurd sizes, and array headers are checked before their
data is read.
"""

from __future__ import annotations

import io
import math
import pickle
from pathlib import Path
from typing import Any, BinaryIO, Callable, Optional, Union

from ..io.limits import MAX_MEMBER_BYTES, check_regular_file
from ..motion import MotionError

MAX_ITEMS = 10_000_000  # elements of one container a pickle may build from a range or sequence

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


class Oversized(pickle.UnpicklingError):
    """A length in the stream is beyond the limits: refused before allocating."""


def _sized(value: Any, limit: int, what: str) -> None:
    try:
        size = len(value)
    except (TypeError, OverflowError):  # no length (an int counts as its value) or beyond sys.maxsize
        size = value if isinstance(value, int) else (None if not isinstance(value, range) else limit + 1)
    if size is not None and size > limit:
        raise Oversized(f"{what} of {size:,} elements")


def _guard_builtin(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
    """An admitted builtin with its argument's size checked first. ``str`` builds only from text and numbers:
    ``str`` of a container that repeats itself through the memo would be gigabytes from a few bytes."""
    def call(*args: Any, **kwargs: Any) -> Any:
        if args and name == "range":
            _sized(real(*args), MAX_ITEMS, "range")
        elif args and name == "str" and not isinstance(args[0], (str, bytes, int, float)):
            raise Oversized(f"str() of a {type(args[0]).__name__}")
        elif args and name == "bytes":
            _sized(args[0], MAX_MEMBER_BYTES, "bytes")
        elif args and name in ("list", "tuple", "set", "frozenset", "dict"):
            _sized(args[0], MAX_ITEMS, name)
        return real(*args, **kwargs)

    call.__name__ = name
    return call


def _guarded_reconstruct(real: Callable[..., Any]) -> Callable[..., Any]:
    """numpy's ``_reconstruct(cls, shape, dtype)`` allocates its shape at once: bounded first."""
    def call(cls: Any, shape: Any, dtype: Any) -> Any:
        import numpy as np

        dims = tuple(int(d) for d in (shape if isinstance(shape, (tuple, list)) else (shape,)))
        _array_bytes(dims, np.dtype(dtype).itemsize)
        return real(cls, dims, dtype)

    return call


def _array_bytes(shape: Any, itemsize: int) -> int:
    nbytes = math.prod(int(d) for d in shape) * int(itemsize)
    if nbytes > MAX_MEMBER_BYTES or min((int(d) for d in shape), default=0) < 0:
        raise Oversized(f"an array of shape {tuple(shape)} ({nbytes:,} bytes)")
    return nbytes


class _BoundedStream:
    """The pickle stream with a budget: a read longer than what is left (the file's remaining bytes, or the
    decompression limit) is refused before ``read`` allocates its buffer."""

    def __init__(self, raw: Any, budget: int, label: str) -> None:
        self._raw, self.left, self._label = raw, budget, label

    def _take(self, n: Optional[int]) -> int:
        if n is None or n < 0:
            n = self.left
        if n > self.left:
            raise Oversized(f"a length of {n:,} bytes in the stream, beyond the {self.left:,} bytes left")
        return n

    def read(self, n: Optional[int] = -1) -> bytes:
        data = self._raw.read(self._take(n))
        self.left -= len(data)
        return data

    def readline(self, n: Optional[int] = -1) -> bytes:
        line = self._raw.readline(self._take(n))
        self.left -= len(line)
        return line

    def readinto(self, buffer: Any) -> int:
        got = self._raw.readinto(memoryview(buffer)[:self._take(len(buffer))])
        self.left -= got
        return got


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
            real = super().find_class(module, name)
            if module == "builtins" and name in ("range", "str", "bytes", "list", "tuple", "set", "frozenset",
                                                 "dict"):
                return _guard_builtin(name, real)
            if name == "_reconstruct":
                return _guarded_reconstruct(real)
            return real
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
            nbytes = _array_bytes(self.shape, self.dtype.itemsize)
            left = getattr(unpickler.file_handle, "left", None)
            if left is not None and nbytes > left:
                raise Oversized(f"an array of {nbytes:,} bytes, beyond the {left:,} bytes left")
            return super().read(unpickler, ensure_native_byte_order)

    return CheckedArrayWrapper


def _open_binary(path: Union[str, Path]) -> BinaryIO:
    """``open(path, "rb")`` of a regular file, with a MotionError naming the file when it is missing, not a
    regular file (a FIFO would block) or unreadable."""
    check_regular_file(path)
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
                plain = fobj is raw
                budget = check_regular_file(path) - raw.tell() if plain else MAX_MEMBER_BYTES
                unpickler = SafeUnpickler(label, _BoundedStream(fobj, budget, label))
                obj = unpickler.load()
        except MotionError:
            raise
        except Oversized as exc:
            raise MotionError(f"{label}: refused before allocating: {exc}") from None
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

    from ..io.npz import read_npy_header

    label = str(path)
    with _open_binary(path) as f:
        try:
            size = check_regular_file(path)
            _, _, dtype, _ = read_npy_header(f, size, label, objects=True)
            left = size - f.tell()
            if not dtype.hasobject:
                f.seek(0)
                return np.load(f, allow_pickle=False), set()
            unpickler = SafeUnpickler(label, _BoundedStream(f, left, label))
            obj = unpickler.load()
        except MotionError:
            raise
        except Oversized as exc:
            raise MotionError(f"{label}: refused before allocating: {exc}") from None
        except Exception as exc:  # malformed header or pickle: the file is not readable, whatever broke
            raise MotionError(f"{label}: not a readable .npy file ({type(exc).__name__}: {exc})") from None
    if isinstance(obj, np.ndarray) and obj.dtype == object and obj.shape == ():
        obj = obj.item()
    return obj, unpickler.refused
