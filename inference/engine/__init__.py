"""The engine: semantic-guided motion infiller and sequence-level temporal refiner (SocialMirror's two models).

Public API used by the app and the command line (pure Python, no Qt):

* :func:`infill_segment` — regenerate one segment's frames, conditioned on its text and guided by geometry;
* :func:`refine_sequence` — clean the whole sequence (learned refiner, or a smoothing filter);
* :func:`interpolate_segment` — the SLERP/linear baseline (instant; what the infiller is measured against);
* :class:`Cancelled` — raised between sampling steps when ``cancel()`` returns True.

Both take ``progress(fraction, message)`` and ``cancel() -> bool`` callbacks and return a new
``Reconstruction``; the input is never modified.
"""

from .baselines import interpolate_segment
from .diffusion import Cancelled
from .guidance import ContactConstraint, GuidanceWeights
from .infill import InfillOptions, infill_segment
from .refine import RefineOptions, refine_sequence

__all__ = ["Cancelled", "ContactConstraint", "GuidanceWeights", "InfillOptions", "RefineOptions", "infill_segment",
           "interpolate_segment", "refine_sequence"]
