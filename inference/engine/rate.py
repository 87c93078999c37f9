"""The networks run at the frame rate they were trained at; these helpers move a problem onto that clock.

The motion itself is resampled by :mod:`inference.resample`; what else is timed in frames (contact constraints)
is mapped here, the same way for the infiller and the refiner.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .guidance import ContactConstraint


def off_model_rate(fps: float, model_fps: float) -> bool:
    """Whether a sequence must be resampled for a network trained at ``model_fps`` (more than 2 % apart)."""
    return abs(fps - model_fps) > 0.02 * model_fps


def contacts_at(times: np.ndarray, contacts: list[ContactConstraint]) -> list[ContactConstraint]:
    """Contacts over source frames → over the resampled frames whose source times ``times`` fall in them."""
    out = []
    for c in contacts:
        frames = np.flatnonzero((times >= c.start) & (times < c.stop))
        if frames.size:
            out.append(replace(c, start=int(frames[0]), stop=int(frames[-1]) + 1))
    return out
