"""Interpolation across a segment: the baseline the infiller has to beat, and a cheap fallback.

Joint rotations are SLERPed between the last kept frame before the segment and the first after it; the pelvis is
interpolated linearly. At either end of the sequence the nearest kept pose is held.
"""

from __future__ import annotations

import numpy as np
import torch

from ..motion import Reconstruction
from ..rotations import axis_angle_to_quaternion, quaternion_slerp, quaternion_to_axis_angle
from ..segments import Segment


def interpolate_segment(recon: Reconstruction, segment: Segment) -> Reconstruction:
    """A copy of ``recon`` whose ``segment`` frames (of ``segment.who``) are interpolated from their borders."""
    who = (0, 1) if segment.who == "both" else (("A", "B").index(segment.who),)
    before, after = segment.start - 1, segment.stop
    people = list(recon.people)
    if before < 0 and after >= recon.num_frames:
        return recon.copy()
    frames = np.arange(segment.start, segment.stop)
    if before < 0:
        before = after
    if after >= recon.num_frames:
        after = before
    t = torch.as_tensor((frames - before) / max(1, after - before), dtype=torch.float32)
    for i in who:
        p = people[i].copy()
        pose = torch.as_tensor(p.pose_axis_angle())
        q0 = axis_angle_to_quaternion(pose[before])[None].expand(len(frames), -1, -1)
        q1 = axis_angle_to_quaternion(pose[after])[None].expand(len(frames), -1, -1)
        aa = quaternion_to_axis_angle(quaternion_slerp(q0, q1, t[:, None].expand(-1, pose.shape[1]))).numpy()
        p.global_orient[frames] = aa[:, 0]
        p.body_pose[frames] = aa[:, 1:]
        w = t.numpy()[:, None]
        p.transl[frames] = (1 - w) * p.transl[before] + w * p.transl[after]
        people[i] = p
    return recon.replace_people(*people)
