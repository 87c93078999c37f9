"""Run many clips on Ray: a task per clip with declared resources, bounded retries, resumable output.

Why Ray: the same code runs on a laptop (``ray.init(num_cpus=N)`` starts a local instance) and on a cluster
(``address=`` joins it); the scheduler places each clip where its declared resources are free (one GPU per clip
when the cluster has GPUs, else ``cpus_per_clip`` CPUs) and re-runs a clip whose worker process died (killed,
out of memory) up to ``retries`` times. Worker processes are reused across tasks, so the per-process model
caches (see ``stages``) load each model once per worker, not once per clip.

Exceptions inside a clip are not retried: they are the clip's own failure (a corrupt video does not get better)
and are recorded in its ``status.json`` by :func:`~inference.batch.stages.process_clip`. A rerun of the batch
skips finished clips whose inputs and options are unchanged (:mod:`.identity`), reprocesses those whose inputs or
options changed (saying why), retries failed ones, and redoes everything with ``force``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from .clips import BatchError, ClipSpec
from .identity import changes, clip_identity
from .stages import STAGES, StageReport, process_clip
from .status import DONE, FAILED, ClipRecord, clean_leftovers, commit, new_staging_dir, read_record

CLIPS_DIR = "clips"
BATCH_FILE = "batch.json"
ClipFn = Callable[..., ClipRecord]  # process_clip's signature: (spec, stages, clip_dir, attempt, report)


@dataclass
class BatchOptions:
    stages: tuple[str, ...] = STAGES
    force: bool = False  # redo finished clips too
    retries: int = 2  # re-runs of a clip whose worker died (not of a clip that raised)
    address: Optional[str] = None  # a Ray cluster to join; None starts a local instance
    num_cpus: Optional[int] = None  # CPUs of the local instance (None: all)
    cpus_per_clip: float = 1.0
    gpus_per_clip: Optional[float] = None  # None: 1 when the cluster has GPUs, else 0
    worker_logs: bool = False  # show the workers' output (else it stays in Ray's session logs)


@dataclass
class Progress:
    """What the progress display shows: clips finished (and failed), per-stage counts, an ETA."""

    total: int  # clips to process in this run (skipped ones excluded)
    skipped: int
    stages: tuple[str, ...]
    done: int = 0
    failed: int = 0
    stage_counts: dict[str, int] = field(default_factory=dict)
    dropped_steps: int = 0  # stages that failed clips will never run
    started: float = field(default_factory=time.perf_counter)

    @property
    def eta_s(self) -> Optional[float]:
        """Remaining time from the stage steps finished so far (None until one has)."""
        finished_steps = sum(self.stage_counts.values()) + self.dropped_steps
        if finished_steps == 0:
            return None
        remaining = self.total * len(self.stages) - finished_steps
        return max(0.0, (time.perf_counter() - self.started) * remaining / finished_steps)


ProgressFn = Callable[[Progress], None]


@dataclass
class BatchResult:
    records: dict[str, ClipRecord]  # clip id → record, in input order
    ran: list[str]  # clip ids processed in this run
    skipped: list[str]  # finished before, not redone
    out_dir: Path
    seconds: float
    reprocessed: dict[str, str] = field(default_factory=dict)  # finished before, redone: clip id → what changed

    @property
    def failed(self) -> list[str]:
        return [k for k, r in self.records.items() if r.status != DONE]


def _run_clip(clip_fn: ClipFn, spec: ClipSpec, stages: tuple[str, ...], clip_dir: str, attempt: int,
              counter: Any) -> dict[str, Any]:
    """The Ray task body: process one clip, reporting each finished stage to the driver's counter actor."""
    report: StageReport = lambda stage: counter.add.remote(spec.id, stage)  # noqa: E731
    return clip_fn(spec, stages, Path(clip_dir), attempt, report).to_json()


class _StageCounter:
    """A tiny actor the tasks report finished stages to, so the driver can show live per-stage counts (a clip
    retried after its worker died reports its stages again; they count once)."""

    def __init__(self) -> None:
        self.finished: dict[str, set[str]] = {}

    def add(self, clip: str, stage: str) -> None:
        self.finished.setdefault(stage, set()).add(clip)

    def get(self) -> dict[str, int]:
        return {stage: len(clips) for stage, clips in self.finished.items()}


def _start_ray(options: BatchOptions) -> bool:
    """Connect to Ray; True when this call started it (so the batch shuts it down at the end)."""
    import ray

    if ray.is_initialized():
        return False
    if options.address:
        ray.init(address=options.address, logging_level="WARNING", log_to_driver=options.worker_logs)
    else:  # clips pass only small records through the object store: keep its shared memory small
        ray.init(num_cpus=options.num_cpus, include_dashboard=False, logging_level="WARNING",
                 log_to_driver=options.worker_logs, object_store_memory=200 * 1024 * 1024)
    return True


def _worker_died(spec: ClipSpec, clip_dir: Path, attempt: int, exc: BaseException, retries: int) -> ClipRecord:
    """The record (committed from the driver) of a clip whose worker died on every try."""
    reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    record = ClipRecord(clip=spec.id, status=FAILED, video=str(spec.video) if spec.video else None,
                        attempt=attempt, failed_stage="worker", finished_at=time.time(), identity=spec.identity,
                        error=f"worker died on all {retries + 1} tries: {reason}")
    commit(new_staging_dir(clip_dir), clip_dir, record)
    return record


def run_batch(specs: list[ClipSpec], out_dir: "str | Path", options: Optional[BatchOptions] = None,
              progress: Optional[ProgressFn] = None, clip_fn: ClipFn = process_clip) -> BatchResult:
    """Process ``specs`` into ``out_dir/clips/ID/`` and return every clip's record (finished ones included).

    ``clip_fn`` is the per-clip work (default :func:`process_clip`); it must commit the clip folder itself.
    """
    import ray

    options = options or BatchOptions()
    if options.retries < 0:  # Ray reads -1 as "retry forever"; a batch must end
        raise BatchError(f"retries: expected 0 or more, got {options.retries}")
    out = Path(out_dir)
    clips_root = out / CLIPS_DIR
    clips_root.mkdir(parents=True, exist_ok=True)
    clean_leftovers(clips_root)
    start = time.perf_counter()
    records: dict[str, ClipRecord] = {}
    pending: list[tuple[ClipSpec, int]] = []
    reprocessed: dict[str, str] = {}
    for spec in specs:
        spec.identity = clip_identity(spec, options.stages)
        previous = read_record(clips_root / spec.id)
        changed = changes(previous.identity, spec.identity) if previous is not None else ""
        if previous is not None and previous.status == DONE and not options.force and not changed:
            records[spec.id] = previous
        else:
            if previous is not None and previous.status == DONE and changed:
                reprocessed[spec.id] = changed
            pending.append((spec, previous.attempt + 1 if previous is not None else 1))
    skipped = list(records)
    state = Progress(total=len(pending), skipped=len(skipped), stages=options.stages)
    if pending:
        started_here = _start_ray(options)
        try:
            _run_pending(pending, clips_root, options, clip_fn, records, state, progress)
        finally:
            clean_leftovers(clips_root)
            if started_here:
                ray.shutdown()
    result = BatchResult({s.id: records[s.id] for s in specs}, [s.id for s, _ in pending], skipped, out,
                         time.perf_counter() - start, reprocessed)
    from .summary import write_summary

    write_summary(result, options.stages)
    _write_batch_file(result, options)
    return result


def _run_pending(pending: list[tuple[ClipSpec, int]], clips_root: Path, options: BatchOptions, clip_fn: ClipFn,
                 records: dict[str, ClipRecord], state: Progress, progress: Optional[ProgressFn]) -> None:
    import ray

    gpus = options.gpus_per_clip
    if gpus is None:
        gpus = 1.0 if ray.cluster_resources().get("GPU", 0) > 0 else 0.0
    task = ray.remote(_run_clip).options(num_cpus=options.cpus_per_clip, num_gpus=gpus,
                                         max_retries=options.retries, retry_exceptions=False)
    counter = ray.remote(_StageCounter).options(num_cpus=0).remote()
    refs = {task.remote(clip_fn, spec, options.stages, str(clips_root / spec.id), attempt, counter): (spec, attempt)
            for spec, attempt in pending}
    waiting = list(refs)
    try:
        while waiting:
            ready, waiting = ray.wait(waiting, num_returns=1, timeout=1.0)
            for ref in ready:
                spec, attempt = refs[ref]
                try:
                    record = ClipRecord.from_json(ray.get(ref))
                except ray.exceptions.RayError as exc:  # the worker died on every try (or the task could not run)
                    record = _worker_died(spec, clips_root / spec.id, attempt, exc, options.retries)
                records[spec.id] = record
                state.done += 1
                if record.status != DONE:
                    state.failed += 1
                    state.dropped_steps += len(options.stages) - len(record.stages)
            if progress is not None:
                state.stage_counts = ray.get(counter.get.remote())
                progress(state)
    except BaseException:  # Ctrl-C or a driver error: stop the clips in flight before their folders are cleaned
        for ref in waiting:
            ray.cancel(ref, force=True)
        raise


def _write_batch_file(result: BatchResult, options: BatchOptions) -> None:
    """``batch.json``: how the batch was run and its totals (the app's batch view can start from it)."""
    import ray

    from ..io.atomic import atomic_write

    info = {"stages": list(options.stages), "clips": list(result.records), "ran": result.ran,
            "skipped": result.skipped, "reprocessed": result.reprocessed, "failed": result.failed, "seconds": round(result.seconds, 2),
            "ray": ray.__version__, "address": options.address, "finished_at": time.time(),
            "summary": {"csv": "summary.csv", "markdown": "summary.md"}, "clips_dir": CLIPS_DIR}
    atomic_write(result.out_dir / BATCH_FILE, json.dumps(info, indent=1).encode())
