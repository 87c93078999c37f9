"""How close a BVH import came to its source, and what it says about it on the command line.

The figures (per file, accumulated a slice of frames at a time):

* ``limbs_deg`` — mean angle between our limb bones and the source's (thighs, shins, feet, upper arms, forearms,
  head): what retargeting sets, so ~0;
* ``rechained_mm`` — the source's bone directions laid out with our bone lengths from our pelvis, against our
  joints (mean): bones fixed to the pelvis (hips, lower spine) differ by the rigs' geometry and shift everything
  below them;
* ``joints_mm`` / ``joints_max_mm`` — the source joints themselves, scaled to our size and standing on our floor,
  against ours (mean and worst over joints and frames): adds the two skeletons' different proportions and joint
  placement;
* ``feet_mm`` / ``feet_max_mm`` — each foot's sole height above the floor, ours against the source's.
"""

from __future__ import annotations

import numpy as np

from ..skeleton import BODY_PARENTS, JOINT_INDEX, NUM_BODY_JOINTS
from .bvh_body import FOOT, OurBody, sole_heights
from .bvh_source import SourceMotion

_LIMBS = [(f"{s}_{a}", f"{s}_{b}") for s in ("left", "right")
          for a, b in (("hip", "knee"), ("knee", "ankle"), ("ankle", "foot"), ("shoulder", "elbow"),
                       ("elbow", "wrist"))] + [("neck", "head")]
# (key, column title, format)
COLUMNS = (("limbs_deg", "limbs °", "{:.2f}"), ("rechained_mm", "re-chained mm", "{:.1f}"),
           ("joints_mm", "joints mm", "{:.1f}"), ("joints_max_mm", "worst mm", "{:.0f}"),
           ("feet_mm", "feet mm", "{:.1f}"), ("feet_max_mm", "feet worst mm", "{:.0f}"))


class ErrorTally:
    """Sums and maxima of the figures over slices of one file's frames."""

    def __init__(self, our: OurBody, mapped: np.ndarray) -> None:
        self.our, self.mapped = our, mapped
        self.feet = np.array([k for k, j in enumerate(FOOT) if mapped[j]])
        self.sums = {"limbs_deg": 0.0, "rechained_mm": 0.0, "joints_mm": 0.0, "feet_mm": 0.0}
        self.counts = dict.fromkeys(self.sums, 0)
        self.worst = {"joints_max_mm": 0.0, "feet_max_mm": 0.0}

    def _add(self, key: str, values: np.ndarray) -> None:
        self.sums[key] += float(values.sum())
        self.counts[key] += values.size

    def add(self, src: SourceMotion, joints: np.ndarray) -> None:
        """One slice: the source (scaled) and our joints ``(F, 22, 3)`` on the same vertical reference."""
        m = self.mapped
        chained = np.zeros_like(joints)
        chained[:, 0] = joints[:, 0]
        for j in range(1, NUM_BODY_JOINTS):
            a = int(BODY_PARENTS[j])
            while not m[a]:
                a = int(BODY_PARENTS[a])
            if m[j]:
                d = src.positions[:, j] - src.positions[:, a]
                d /= np.linalg.norm(d, axis=-1, keepdims=True)
                chained[:, j] = chained[:, a] + d * np.linalg.norm(self.our.joints[j] - self.our.joints[a])
        self._add("rechained_mm", np.linalg.norm(chained[:, m] - joints[:, m], axis=-1) * 1000)
        for a, b in _LIMBS:
            ia, ib = JOINT_INDEX[a], JOINT_INDEX[b]
            if m[ia] and m[ib]:
                u, v = src.positions[:, ib] - src.positions[:, ia], joints[:, ib] - joints[:, ia]
                cos = np.sum(u * v, -1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)
                self._add("limbs_deg", np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
        dist = np.linalg.norm(src.positions[:, m] - joints[:, m], axis=-1) * 1000
        self._add("joints_mm", dist)
        flat = self.our.flat_feet
        feet = np.abs(sole_heights(src.positions, flat, self.feet) - sole_heights(joints, flat, self.feet)) * 1000
        self._add("feet_mm", feet)
        self.worst["joints_max_mm"] = max(self.worst["joints_max_mm"], float(dist.max()))
        self.worst["feet_max_mm"] = max(self.worst["feet_max_mm"], float(feet.max()))

    def summary(self) -> dict[str, float]:
        out = {k: self.sums[k] / max(1, self.counts[k]) for k in self.sums}
        return {**out, **self.worst}


def bvh_summary(meta: dict, full: bool = False) -> str:
    """A line per person (family, mean joint error, feet height error) or, with ``full``, the whole table;
    preceded by a line when a synthetic T-pose frame 0 was dropped. ``meta``: a BVH reconstruction's meta."""
    lines = []
    if meta.get("bvh_dropped_tpose"):
        last = meta.get("bvh_first_frame", 1) - 1
        lines.append(f"dropped frame{'s 0–' + str(last) if last else ' 0'} of the BVH files: a synthetic T-pose "
                     f"the conversion added{' and its blend into the capture' if last else ', not capture'}")
    for name, frames in meta.get("bvh_glitch_frames", {}).items():
        lines.append(f"warning: {name}: a joint moves faster than 12 m/s (a capture glitch, or a wrong frame rate: "
                     f"--fps) at {len(frames)} frame{'s' if len(frames) > 1 else ''}, "
                     f"{', '.join(map(str, frames[:6]))}{'…' if len(frames) > 6 else ''}")
    report = meta.get("retarget_mm", {})
    if full:
        head = ["file", "family"] + [title for _, title, _ in COLUMNS]
        rows = [[name, str(r["family"])] + [fmt.format(r[key]) for key, _, fmt in COLUMNS]
                for name, r in report.items()]
        widths = [max(len(row[i]) for row in [head] + rows) for i in range(len(head))]
        lines += ["  ".join(cell.rjust(w) if i > 1 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths)))
                  for row in [head] + rows]
        lines.append("limbs: angle between our limb bones and the source's; re-chained: source directions on our "
                     "bone lengths; joints/worst: source joints (scaled to our size, on our floor) against ours; "
                     "feet: sole height above the floor, ours against the source's")
    else:
        lines += [f"{name} ({r['family']}): joints {r['joints_mm']:.0f} mm from the source on average "
                  f"(worst {r['joints_max_mm']:.0f}), limbs within {r['limbs_deg']:.1f}°, feet height "
                  f"{r['feet_mm']:.0f} mm (worst {r['feet_max_mm']:.0f}); --report for the table"
                  for name, r in report.items()]
    return "\n".join(lines)
