"""What a BVH import did, in words: dropped T-pose frame, family, and the retargeting errors per person."""

from __future__ import annotations

# (key in the report, column title, format)
COLUMNS = (("limbs_deg", "limbs °", "{:.2f}"), ("rechained_mm", "re-chained mm", "{:.1f}"),
           ("joints_mm", "joints mm", "{:.1f}"), ("joints_max_mm", "worst mm", "{:.0f}"),
           ("feet_mm", "feet mm", "{:.1f}"), ("feet_max_mm", "feet worst mm", "{:.0f}"))


def bvh_summary(meta: dict, full: bool = False) -> str:
    """A line per person (family, mean joint error, feet height error) or, with ``full``, the whole table;
    preceded by a line when a synthetic T-pose frame 0 was dropped. ``meta``: a BVH reconstruction's meta."""
    lines = []
    if meta.get("bvh_dropped_tpose"):
        lines.append("dropped frame 0 of the BVH files: a synthetic T-pose added by the conversion, not capture")
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
