"""Batch processing of many videos on Ray: resumable, one folder and one status record per clip.

``read_inputs`` turns a folder or a manifest into :class:`ClipSpec`\\ s, ``run_batch`` processes them (see
``runner`` for the scheduling, ``stages`` for what happens to a clip, ``status`` for the folder layout and
``summary`` for the tables). ``sm-studio batch`` is the command-line front.
"""

from .clips import BatchError, ClipOptions, ClipSpec, read_inputs
from .runner import BatchOptions, BatchResult, Progress, run_batch
from .stages import STAGES, ClipError, check_stages, process_clip
from .status import DONE, FAILED, ClipRecord, read_record

__all__ = ["BatchError", "BatchOptions", "BatchResult", "ClipError", "ClipOptions", "ClipRecord", "ClipSpec", "DONE",
           "FAILED", "Progress", "STAGES", "check_stages", "process_clip", "read_inputs", "read_record", "run_batch"]
