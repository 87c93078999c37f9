"""Procedural two-person interactions with ground truth: motion, camera, a sentence, and labelled contacts.

Used to make training data for the text-conditioned infiller, test footage with real mutual occlusion
(``footage``: video, visibility-flagged keypoints, a degraded initial estimate, occluded segments) and the
embedded demo. ``generate_clip(kind, seed)`` is deterministic and fast (no mesh is posed: joints only, by forward
kinematics, with hands placed by analytic IK); for bulk generation run it with ``torch.set_num_threads(1)``.
"""

from .clip import INTERACTION_KINDS, Contact, GeneratedClip, generate_clip, look_at_camera
from .footage import Footage, FootageFiles, load_segments, make_footage, render_footage

__all__ = ["INTERACTION_KINDS", "Contact", "Footage", "FootageFiles", "GeneratedClip", "generate_clip",
           "load_segments", "look_at_camera", "make_footage", "render_footage"]
