"""One floor for both people, and each person's depth where their feet meet it.

A single view fixes depth only through a size prior: a torso of known length spans so many pixels. That estimate
is noisy per frame (a leaning torso is foreshortened) and independent per person, so two people standing side by
side can end up metres apart. A floor shared by both people turns the problem around: once the camera's height
and tilt above the floor are known, the image row of a foot on the floor gives its depth directly (at 4 m and
1.5 m camera height a pixel of row is about 1 cm of depth), for both people on one scale.

The floor is estimated over the whole clip from both people's feet: the camera height and two tilt angles that
make the depths read off the feet agree, in a robust least-squares sense, with the torso-size depths of every
frame where feet and torso are confidently seen. The size prior then sets only the overall scale (one number
for the clip), while the feet set how far each person is, frame by frame and relative to the other. Frames where
a person's foot depth disagrees strongly with their size (a lifted foot, a misdetection) or a person was not found
take their depth from the neighbouring frames in time.

Conventions (shared with :mod:`.fit`): camera coordinates x right, y down, z forward; the floor's upward normal
``n(ax, az) = (sin az, -cos ax cos az, sin ax cos az)``; a point ``X`` lies ``n · X + height`` above the floor, so
``height`` is the camera's height above it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from ..skeleton import JOINT_INDEX as J

CONTACT_JOINTS = ("left_foot", "right_foot", "left_ankle", "right_ankle")  # what stands on the floor (the fit)
# what depth is read at: the ankles, which lie under the pelvis whichever way a person faces (the balls of the
# feet are ~14 cm forward: two partners facing each other would be read ~30 cm too close together)
DEPTH_JOINTS = ("left_ankle", "right_ankle")


@dataclass
class Floor:
    tilt: tuple[float, float]  # (ax, az) radians: the normal's tilt towards -z (camera looking down) and x
    height: float  # camera height above the floor (m)

    @property
    def normal(self) -> np.ndarray:
        ax, az = self.tilt
        return np.array([np.sin(az), -np.cos(ax) * np.cos(az), np.sin(ax) * np.cos(az)])

    def depth_of(self, pixels: np.ndarray, K: np.ndarray, lift: np.ndarray | float = 0.0) -> np.ndarray:
        """Depth (camera z) of image points ``(..., 2)`` lying ``lift`` m above the floor; NaN above the horizon."""
        return _depth(pixels, K, self.normal, self.height, lift)


def _depth(pixels: np.ndarray, K: np.ndarray, normal: np.ndarray, height: float, lift) -> np.ndarray:
    rays = np.concatenate([(pixels - K[:2, 2]) / np.diag(K)[:2], np.ones(pixels.shape[:-1] + (1,))], -1)
    down = -(rays @ normal)  # how fast the ray descends towards the floor per unit depth
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (height - lift) / down
    return np.where(down > 1e-3, z, np.nan)


def contact_points(kp: np.ndarray, lifts: dict[str, float], min_conf: float = 0.5) -> tuple[np.ndarray, np.ndarray,
                                                                                               np.ndarray]:
    """Per frame of one person's keypoints ``(T, 22, 3)``: the lowest confident ankle in the image (the one most
    likely on the floor), its rest height above the sole, and whether there was one."""
    idx = np.array([J[n] for n in DEPTH_JOINTS])
    lift = np.array([lifts[n] for n in DEPTH_JOINTS])
    pts = kp[:, idx]
    row = np.where(pts[..., 2] > min_conf, pts[..., 1], -np.inf)
    best = np.argmax(row, -1)
    frames = np.arange(len(kp))
    return pts[frames, best, :2], lift[best], np.isfinite(row[frames, best])


def estimate_floor(kp: np.ndarray, size_depth: np.ndarray, size_valid: np.ndarray, K: np.ndarray,
                   lifts: dict[str, float], neck_height: float, max_tilt_deg: float = 40.0,
                   upright_weight: float = 0.5) -> Floor | None:
    """The floor (camera height, tilt) from ``kp (2, T, 22, 3)`` and the torso-size depths ``(2, T)`` (valid
    where ``size_valid``); ``None`` when fewer than 8 frames show both a foot and a torso.

    Two kinds of evidence: the depth read off the feet must agree with the size depth (this sets the height),
    and a neck ``neck_height`` m above the foot on the floor's normal must project where the neck is seen (people
    stand roughly upright, so the image direction of their bodies tells how the camera looks down at them:
    this pins the tilt, which feet at similar image rows alone leave free)."""
    pix, lift, ok = [], [], []
    for p in range(kp.shape[0]):
        a, b, c = contact_points(kp[p], lifts)
        pix.append(a)
        lift.append(b)
        ok.append(c & size_valid[p] & (kp[p, :, J["neck"], 2] > 0.3))
    pixels, lifts_a, use = np.concatenate(pix), np.concatenate(lift), np.concatenate(ok)
    target = np.concatenate(size_depth)
    necks = np.concatenate([kp[p, :, J["neck"], :2] for p in range(kp.shape[0])])
    if use.sum() < 8:
        return None
    pixels, lifts_a, target, necks = pixels[use], lifts_a[use], target[use], necks[use]
    body_px = np.maximum(np.linalg.norm(necks - pixels, axis=-1), 1.0)
    # start: a level camera at the height that matches the median size depth
    rays_down = (pixels[:, 1] - K[1, 2]) / K[1, 1]
    below = rays_down > 0.02
    h0 = float(np.median((target * rays_down + lifts_a)[below])) if below.any() else 1.5
    limit = np.radians(max_tilt_deg)

    def residual(x: np.ndarray) -> np.ndarray:
        ax, az, h = x
        n = np.array([np.sin(az), -np.cos(ax) * np.cos(az), np.sin(ax) * np.cos(az)])
        z = _depth(pixels, K, n, h, lifts_a)
        seen = np.isfinite(z) & (z > 0)
        z = np.where(seen, z, target)
        r = np.where(seen, np.log(np.clip(z, 1e-3, None) / target), 3.0)
        foot = np.concatenate([(pixels - K[:2, 2]) / np.diag(K)[:2], np.ones((len(z), 1))], -1) * z[:, None]
        neck = foot + n * (neck_height - lifts_a)[:, None]
        uv = neck[:, :2] / np.maximum(neck[:, 2:], 1e-3) * np.diag(K)[:2] + K[:2, 2]
        upright = upright_weight * (uv - necks) / body_px[:, None]
        return np.concatenate([r, upright.reshape(-1), [az / np.radians(5.0)]])  # cameras are seldom rolled

    fit = least_squares(residual, x0=[0.0, 0.0, max(h0, 0.3)], loss="soft_l1", f_scale=0.1,
                        bounds=([-limit, -limit / 2, 0.1], [limit, limit / 2, 10.0]))
    ax, az, h = fit.x
    return Floor((float(ax), float(az)), float(h))


def floor_depths(kp: np.ndarray, floor: Floor, K: np.ndarray, lifts: dict[str, float], size_depth: np.ndarray,
                 size_valid: np.ndarray, agree: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame depth ``(2, T)`` of each person from their feet on ``floor``, and where it came from the feet.

    A foot depth further than ``agree`` (relative) from the frame's size depth — or twice that from the clip's
    typical size depth where the torso was not measured — is not trusted (a lifted foot, a partner's foot taken
    for one's own, feet near the horizon of a misjudged floor); such frames and frames without a foot are interpolated in time
    between trusted ones (held at the ends), falling back to the size depth when a person has none."""
    out = np.zeros(kp.shape[:2])
    from_feet = np.zeros(kp.shape[:2], bool)
    for p in range(kp.shape[0]):
        pix, lift, ok = contact_points(kp[p], lifts)
        z = floor.depth_of(pix, K, lift)
        good = ok & np.isfinite(z) & (z > 0.3)
        if size_valid[p].any():
            # against the frame's own size where it was measured, else (looser) the clip's typical size
            typical = float(np.median(size_depth[p][size_valid[p]]))
            ref = np.where(size_valid[p], size_depth[p], typical)
            tol = np.where(size_valid[p], np.log1p(agree), np.log1p(2 * agree))
            good &= np.abs(np.log(np.where(good, z, ref) / ref)) < tol
        t = np.arange(kp.shape[1])
        if good.sum() >= 2:
            out[p] = np.interp(t, t[good], z[good])
        else:
            out[p] = size_depth[p]
        from_feet[p] = good
    return out, from_feet
