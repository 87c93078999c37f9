"""A folder of BVH takes as training data: ``cmu:DIR[:SELECTOR]`` and ``bvh:DIR[:SELECTOR]``.

Any folder of BVH files (searched recursively) is read the same way; a take is one file, or two files recorded
together (a pair). Pairs come from ``DIR/manifest.json`` when it lists them (``"pairs": [[A, B], ...]``, paths
relative to DIR), otherwise from CMU's numbering: ``60_XX`` with ``61_XX`` (and the other two-person subject
pairs in :data:`CMU_PAIRED_SUBJECTS`). Every other file is a single-person take.

Frame rate: the manifest's ``true_fps`` per file when given, else CMU's index rate for subjects whose
conversions state a wrong one (:data:`CMU_SUBJECTS`, ``cmu:`` only), else the file's. The salsa files say 120 fps
but were captured at 60: at 120 their walking steps would be twice human speed.

Selectors: ``all`` (default); a comma list of take ids (file stems, e.g. ``60_03,94_04``; naming either person
of a pair selects the pair); and, for ``cmu:``, the project's fixed split **by take**: ``test`` = salsa pair 15,
``val`` = salsa pair 12, ``train`` = every other take (the other salsa pairs and all single-person takes).

Texts are neutral labels from the manifest's description or the file and folder names ("A and B dance salsa
together", "a person dances", "a person practices martial arts"), never claims about what happens when.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

from ..motion import MotionError, PersonMotion, Reconstruction

if TYPE_CHECKING:
    from ..body import BodyModel

CMU_PAIRED_SUBJECTS = ((18, 19), (20, 21), (22, 23), (60, 61))  # CMU subjects captured two at a time
# what CMU's index says of subjects whose cgspeed files state a wrong rate (120): (capture rate, description)
CMU_SUBJECTS = {60: (60.0, "salsa dance"), 61: (60.0, "salsa dance")}
CMU_SPLITS = {"test": ("60_15",), "val": ("60_12",)}  # salsa takes never trained on
_LABELS = (  # (word in the description or path, two-person text, one-person text)
    ("salsa", "A and B dance salsa together", "a person dances salsa"),
    ("martial", "A and B practise martial arts together", "a person practices martial arts"),
    ("danc", "A and B dance together", "a person dances"),
    ("run", "A and B run side by side", "a person runs"),
    ("walk", "A and B walk side by side", "a person walks"),
)


@dataclass
class Take:
    """One take of a BVH folder: one file, or two recorded together."""

    name: str  # "60_03+61_03" or "94_04"
    files: tuple[Path, ...]
    fps: Optional[float]  # the true rate when known better than the file's
    description: str

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(f.stem for f in self.files)

    @property
    def text(self) -> str:
        haystack = f"{self.description} {' '.join(str(f) for f in self.files)}".lower()
        pair = len(self.files) == 2
        for word, two, one in _LABELS:
            if word in haystack:
                return two if pair else one
        return "A and B move together" if pair else "a person moves"


def _manifest(root: Path) -> dict:
    path = root / "manifest.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MotionError(f"{path}: not readable JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("files", {}), dict) or not isinstance(
            data.get("pairs", []), list):
        raise MotionError(f"{path}: expected an object with 'files' (an object) and 'pairs' (a list)")
    return data


def _cmu_id(path: Path) -> Optional[tuple[int, str]]:
    match = re.fullmatch(r"(\d+)_(\d+)", path.stem)
    return (int(match.group(1)), match.group(2)) if match else None


def takes(root: Path, cmu: bool = False) -> list[Take]:
    """Every take under ``root``, pairs first, each sorted by name."""
    root = Path(root)
    if not root.is_dir():
        raise MotionError(f"{root}: not a folder of BVH files")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() == ".bvh" and p.is_file())
    if not files:
        raise MotionError(f"{root}: no .bvh files found")
    manifest = _manifest(root)
    info = {root / k: v for k, v in manifest.get("files", {}).items() if isinstance(v, dict)}
    pairs: list[tuple[Path, Path]] = []
    for entry in manifest.get("pairs", []):
        if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(e, str) for e in entry)):
            raise MotionError(f"{root / 'manifest.json'}: each pair should be two file paths, got {entry!r}")
        a, b = root / entry[0], root / entry[1]
        for p in (a, b):
            if p not in files:
                raise MotionError(f"{root / 'manifest.json'}: pair file {p} not found")
        pairs.append((a, b))
    if "pairs" not in manifest:
        by_id = {_cmu_id(p): p for p in files if _cmu_id(p) is not None}
        pairs = [(p, by_id[(b, take)]) for (s, take), p in by_id.items() for a, b in CMU_PAIRED_SUBJECTS
                 if s == a and (b, take) in by_id]

    def known(path: Path) -> tuple[Optional[float], str]:
        cid = _cmu_id(path)
        return CMU_SUBJECTS.get(cid[0], (None, "")) if cmu and cid is not None else (None, "")

    def rate(path: Path) -> Optional[float]:
        given = info.get(path, {}).get("true_fps")
        if isinstance(given, (int, float)) and not isinstance(given, bool):
            return float(given)
        return known(path)[0]

    def description(path: Path) -> str:
        entry = info.get(path, {})
        return str(entry.get("cmu_description") or entry.get("description") or known(path)[1])

    out = []
    paired = {p for pair in pairs for p in pair}
    for a, b in pairs:
        if rate(a) != rate(b):
            raise MotionError(f"{a} and {b}: a pair needs one frame rate (manifest says {rate(a)} and {rate(b)})")
        out.append(Take(f"{a.stem}+{b.stem}", (a, b), rate(a), description(a)))
    out.sort(key=lambda t: t.name)
    singles = [Take(p.stem, (p,), rate(p), description(p)) for p in files if p not in paired]
    return out + sorted(singles, key=lambda t: t.name)


def select(all_takes: list[Take], selector: Optional[str], cmu: bool) -> list[Take]:
    """The takes a selector names (see the module docstring)."""
    if selector in (None, "", "all"):
        return all_takes
    if cmu and selector in ("test", "val", "train"):
        held = {s: {t.name for t in all_takes if set(t.ids) & set(ids)} for s, ids in CMU_SPLITS.items()}
        if selector == "train":
            return [t for t in all_takes if t.name not in held["test"] | held["val"]]
        chosen = [t for t in all_takes if t.name in held[selector]]
    else:
        wanted = [w.strip() for w in selector.split(",") if w.strip()]
        known = {i for t in all_takes for i in t.ids}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            named = "test, val, train, all or " if cmu else "all or "
            raise MotionError(f"selector {selector!r}: no take '{unknown[0]}' (expected {named}a comma list of "
                              f"take ids such as {', '.join(sorted(known)[:3])})")
        chosen = [t for t in all_takes if set(t.ids) & set(wanted)]
    if not chosen:
        raise MotionError(f"selector {selector!r}: no such takes in this folder")
    return chosen


def load_take(take: Take, fps: Optional[float] = None, body: Optional["BodyModel"] = None):
    """A take on our body (:class:`~inference.importers.bvh.BvhPeople`), at ``fps`` if given, else its true rate."""
    from .bvh import body_rest_fn, load_bvh_people

    return load_bvh_people(take.files, fps=fps or take.fps, rest_fn=body_rest_fn(body))


def _takes_of(root: Path, selector: Optional[str], cmu: bool) -> list[Take]:
    return select(takes(root, cmu), selector, cmu)


def sequences(root: Path, selector: Optional[str] = None, fps: Optional[float] = None,
              body: Optional["BodyModel"] = None, cmu: bool = False) -> Iterator[tuple[str, Reconstruction, str]]:
    """``(name, reconstruction, text)`` of every selected two-person take."""
    for take in _takes_of(root, selector, cmu):
        if len(take.files) == 2:
            got = load_take(take, fps, body)
            meta = {"source": "bvh", "source_file": [str(f) for f in take.files], "bvh_family": got.families,
                    "text": take.text, "bvh_dropped_tpose": got.dropped_tpose}
            yield take.name, Reconstruction(tuple(got.people), got.fps, meta=meta), take.text  # type: ignore[arg-type]


def single_people(root: Path, selector: Optional[str] = None, fps: Optional[float] = None,
                  body: Optional["BodyModel"] = None,
                  cmu: bool = False) -> Iterator[tuple[str, PersonMotion, float, str]]:
    """``(name, person, fps, text)`` of every selected single-person take."""
    for take in _takes_of(root, selector, cmu):
        if len(take.files) == 1:
            got = load_take(take, fps, body)
            yield take.name, got.people[0], got.fps, take.text
