"""Procedural two-person interactions with ground truth: motion, camera, a sentence, and labelled contacts.

Used to make training data for the text-conditioned infiller, test footage with real mutual occlusion
(``footage.py``) and the embedded demo. ``generate_clip(kind, seed)`` is deterministic and fast (no mesh is
posed: only joints, by forward kinematics, with hands placed by analytic IK).
"""

from .clip import INTERACTION_KINDS, Contact, GeneratedClip, generate_clip, look_at_camera

__all__ = ["INTERACTION_KINDS", "Contact", "GeneratedClip", "generate_clip", "look_at_camera"]
