"""Tiny rendered clips for the batch tests and a per-clip function that crashes its worker once."""

from __future__ import annotations

import os
from pathlib import Path

# BlazePose (VIDEO mode) finds both rendered people on most frames of these; on smaller or sparser renders (e.g.
# 192x144 at 8 fps) it loses one person for whole clips, which the batch then records as "fewer than two people"
CLIP_KINDS = (("hug", 3), ("wave", 7), ("arm_around_shoulders", 8))
CLIP_SIZE = (256, 192)
CLIP_FPS = 15.0


def make_clips(directory: Path, kinds: tuple[tuple[str, int], ...] = CLIP_KINDS,
               size: tuple[int, int] = CLIP_SIZE, fps: float = CLIP_FPS, seconds: float = 2.0,
               corrupt: bool = True) -> list[Path]:
    """Render one clip per (kind, seed) as ``KIND.mp4`` (its footage files, e.g. the noisy ``initial.npz``, in
    ``KIND_footage/``), plus a corrupt ``broken.mp4`` when ``corrupt``; returns the good videos."""
    from inference.generator import generate_clip
    from inference.generator.footage import make_footage

    directory.mkdir(parents=True, exist_ok=True)
    videos = []
    for kind, seed in kinds:
        clip = generate_clip(kind, seed, fps=fps, seconds=seconds, width=size[0], height=size[1])
        _, files = make_footage(clip, directory / f"{kind}_footage")
        video = directory / f"{kind}.mp4"
        files.video.rename(video)
        videos.append(video)
    if corrupt:
        (directory / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000))
    return videos


def crash_once(spec, stages, clip_dir, attempt=1, report=None):  # type: ignore[no-untyped-def]
    """``process_clip``, except that the first clip to get here (per marker folder) kills its worker process
    half-way through its stages, the way the OOM killer would."""
    from inference.batch import process_clip

    marker = Path(clip_dir).parent.parent / "crash-marker"
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return process_clip(spec, stages, clip_dir, attempt, report)
    os.close(fd)

    def die_after_first_stage(stage: str) -> None:
        os._exit(17)

    return process_clip(spec, stages, clip_dir, attempt, die_after_first_stage)


def record_run(spec, stages, clip_dir, attempt=1, report=None):  # type: ignore[no-untyped-def]
    """A quick stand-in for the pipeline in tests of *which* clips a batch runs: logs the video's name and formats
    to ``runs.log`` beside the clips folder and commits a finished record through the real status files."""
    import time

    from inference.batch.status import DONE, ClipRecord, commit, new_staging_dir

    with open(Path(clip_dir).parent.parent / "runs.log", "a") as log:
        log.write(f"{spec.video.name} {','.join(spec.options.formats)}\n")
    record = ClipRecord(clip=spec.id, status=DONE, video=str(spec.video), attempt=attempt, identity=spec.identity,
                        finished_at=time.time(), stages={s: 0.0 for s in stages})
    commit(new_staging_dir(Path(clip_dir)), Path(clip_dir), record)
    return record
