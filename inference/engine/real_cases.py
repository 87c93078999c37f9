"""Evaluation cases cut from real two-person motion (e.g. ``cmu:DIR:val``): fixed gap lengths, either person or both.

The generated cases (``evaluation.make_case``) draw one gap of random length; judging the engine on real motion
needs every kind of gap the product meets, measured separately: 0.5, 1 and 2 s, for A, for B and for both at
once, each in an excerpt with ``context`` seconds of visible motion on either side, observed like a monocular
estimate (``evaluation.observe``). Several seeds place the excerpts at other times of the take and draw other
noise, so the spread across seeds is reported beside the means.

Real captures carry no contact labels. A hand hold is read from the truth: wrists of A and B within
``TOUCH`` metres. The contact metric scores those frames inside the gap; the constraint given to the engine is
only what the visible frames show (a hold present at both borders of the gap, as a describer reading the
evidence around the gap would state it), never the truth inside.
"""

from __future__ import annotations

import zlib
from typing import Iterable

import numpy as np

from ..motion import Reconstruction
from ..segments import Segment
from ..skeleton import JOINT_INDEX
from . import metrics as M
from .bodies import pair_rest_joints
from .evaluation import EvalCase, observe
from .guidance import ContactConstraint
from .window_io import recon_joints

GAP_SECONDS = (0.5, 1.0, 2.0)
WHO = ("A", "B", "both")
CONTEXT_SECONDS = 2.0
TOUCH = 0.15  # m between wrist joint centres that counts as holding hands (the hands lie between them)
WRISTS = (JOINT_INDEX["left_wrist"], JOINT_INDEX["right_wrist"])


def _spans(flags: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` runs of True in a bool vector."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(int), [0]])))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def hand_contacts(truth: Reconstruction, segment: Segment) -> tuple[list[M.LabelledContact], list[ContactConstraint]]:
    """Wrist-to-wrist holds of the truth inside ``segment`` (labels, for the metric) and those present at both of
    its borders (constraints over the whole segment, at the border distance + 3 cm)."""
    joints = recon_joints(truth, pair_rest_joints(truth))
    before, after = max(0, segment.start - 1), min(truth.num_frames - 1, segment.stop)
    labels, constraints = [], []
    for ja in WRISTS:
        for jb in WRISTS:
            d = np.linalg.norm(joints[:, 0, ja] - joints[:, 1, jb], axis=-1)
            inside = np.zeros(truth.num_frames, bool)
            inside[segment.start:segment.stop] = d[segment.start:segment.stop] < TOUCH
            labels += [M.LabelledContact(0, ja, jb, s, e) for s, e in _spans(inside)]
            if d[before] < TOUCH and d[after] < TOUCH:
                constraints.append(ContactConstraint(segment.start, segment.stop, ja, jb,
                                                     float(max(d[before], d[after])) + 0.03))
    return labels, constraints


def gap_cases(name: str, truth: Reconstruction, seeds: Iterable[int], gaps: Iterable[float] = GAP_SECONDS,
              who: Iterable[str] = WHO, context: float = CONTEXT_SECONDS) -> list[EvalCase]:
    """One case per seed, gap length and hidden person(s), each an excerpt of ``truth`` around its gap."""
    cases = []
    for seed in seeds:
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        for gap in gaps:
            for w in who:
                pad, length = int(round(context * truth.fps)), max(2, int(round(gap * truth.fps)))
                total = length + 2 * pad
                if total > truth.num_frames:
                    continue
                start = int(rng.integers(0, truth.num_frames - total + 1))
                excerpt = truth.slice(start, start + total)
                segment = Segment(pad, pad + length, w)
                labels, constraints = hand_contacts(excerpt, segment)
                cases.append(EvalCase(f"{name}@{start}-{w}-{gap:g}s-s{seed}", excerpt,
                                      observe(excerpt, segment, rng), segment, "", labels, constraints,
                                      f"{w} {gap:g} s", seed))
    return cases
