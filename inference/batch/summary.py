"""The batch's summary table (CSV for scripts, Markdown for people) and the one-line progress display.

``summary.csv`` has one row per clip: ``clip, status, attempt, frames, fps, segments, seconds, cpu_seconds``, one
``<stage>_s`` column per stage of the batch, the quality figures (see ``stages.quality_figures``), then
``failed_stage, error`` and ``session`` (the clip's session file relative to the batch folder, empty when none).
"""

from __future__ import annotations

import csv
import io
import math
from typing import TYPE_CHECKING, Any

from ..io.atomic import atomic_write
from .stages import SESSION_NAME

if TYPE_CHECKING:
    from .runner import BatchResult, Progress

QUALITY_COLUMNS = ("occluded_share", "ambiguous_share", "reliability_mean", "jitter_before", "jitter_refine_input",
                   "jitter_after", "penetration_mm", "penetration_frames_pct")


def summary_rows(result: "BatchResult", stages: tuple[str, ...]) -> list[dict[str, Any]]:
    from .runner import CLIPS_DIR

    rows = []
    for clip, rec in result.records.items():
        row: dict[str, Any] = {"clip": clip, "status": rec.status, "attempt": rec.attempt, "frames": rec.frames,
                               "fps": rec.fps, "segments": rec.segments, "seconds": round(rec.seconds, 2),
                               "cpu_seconds": rec.cpu_seconds}
        row.update({f"{s}_s": rec.stages.get(s) for s in stages})
        row.update({q: rec.quality.get(q) for q in QUALITY_COLUMNS})
        row.update(failed_stage=rec.failed_stage, error=rec.error,
                   session=f"{CLIPS_DIR}/{clip}/{SESSION_NAME}" if SESSION_NAME in rec.outputs else None)
        rows.append(row)
    return rows


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def write_summary(result: "BatchResult", stages: tuple[str, ...]) -> None:
    rows = summary_rows(result, stages)
    columns = list(rows[0]) if rows else ["clip", "status"]
    text = io.StringIO()
    writer = csv.DictWriter(text, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    atomic_write(result.out_dir / "summary.csv", text.getvalue().encode())
    atomic_write(result.out_dir / "summary.md", markdown_table(rows, result).encode())


def markdown_table(rows: list[dict[str, Any]], result: "BatchResult") -> str:
    shown = [c for c in (rows[0] if rows else {}) if c not in ("session",)]
    lines = [f"# Batch summary: {len(rows)} clips, {len(rows) - len(result.failed)} done, "
             f"{len(result.failed)} failed, {len(result.skipped)} skipped as already done", "",
             "| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
    for row in rows:
        cells = [_cell(row[c]).replace("|", "\\|").replace("\n", " ") for c in shown]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def progress_line(state: "Progress", width: int = 24) -> str:
    """``[#####-----] 3/8 clips (1 failed) | reconstruct 4 · flag 3 … | ETA 1m05s``."""
    filled = int(width * state.done / max(state.total, 1))
    counts = " · ".join(f"{s} {state.stage_counts.get(s, 0)}" for s in state.stages)
    eta = state.eta_s
    eta_text = "--" if eta is None else f"{int(eta // 60)}m{int(eta % 60):02d}s"
    failed = f" ({state.failed} failed)" if state.failed else ""
    return (f"[{'#' * filled}{'-' * (width - filled)}] {state.done}/{state.total} clips{failed} | {counts} "
            f"| ETA {eta_text}")
