"""``BodyModelError`` and the argument checks both body models share, so callers catch one type for "no usable body
model or bad body-model input"."""

from __future__ import annotations

from torch import Tensor

from ..motion import MotionError
from ..skeleton import NUM_BODY_JOINTS


class BodyModelError(MotionError):
    """A body-model file or directory is missing or malformed; the message names the path and the field/file.

    A ``MotionError`` (hence a ``ValueError``), so command-line verbs report it like any other bad input.
    """


def check_pose_shapes(global_orient: Tensor, body_pose: Tensor, transl: Tensor) -> int:
    """Shared by both body models: the batch size, or a ``BodyModelError`` naming the argument with the wrong shape."""
    batch = global_orient.shape[0] if global_orient.dim() == 2 else -1
    if global_orient.shape != (batch, 3):
        raise BodyModelError(f"global_orient: expected shape (B, 3), got {tuple(global_orient.shape)}")
    if body_pose.shape != (batch, NUM_BODY_JOINTS - 1, 3):
        raise BodyModelError(f"body_pose: expected shape ({batch}, {NUM_BODY_JOINTS - 1}, 3), "
                             f"got {tuple(body_pose.shape)}")
    if transl.shape != (batch, 3):
        raise BodyModelError(f"transl: expected shape ({batch}, 3), got {tuple(transl.shape)}")
    return batch
