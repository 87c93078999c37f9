"""The networks run at the frame rate they were trained at; these helpers move a problem onto that clock.

The motion itself is resampled by :mod:`inference.resample`; what else is timed in frames (contact constraints)
is mapped here, and the result is read back onto the sequence's own clock, the same way for the infiller and the
refiner.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..motion import Reconstruction
from ..resample import resample
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


def read_back(recon: Reconstruction, low: Reconstruction, start: int, frames: np.ndarray,
              people: tuple[int, ...] = (0, 1)) -> Reconstruction:
    """``recon`` whose motion (root, body pose, translation) of ``people`` on ``frames`` is read from ``low``,
    its resampling at ``low.fps`` from frame ``start`` on; evidence and everything else stay ``recon``'s."""
    ratio = recon.fps / low.fps  # source frames per model frame
    back = resample(low, np.minimum((frames - start) / ratio, low.num_frames - 1))
    out = list(recon.people)
    for i in people:
        person = out[i].copy()
        for name in ("global_orient", "body_pose", "transl"):
            getattr(person, name)[frames] = getattr(back.people[i], name)
        out[i] = person
    return recon.replace_people(*out)
