"""Monocular fitting of two people to 2D keypoints: an SMPLify-style optimisation over the whole sequence.

Both people's SMPL-X body parameters (root orientation and translation, 21 joint rotations, one shape each) are
optimised in the *camera* frame, then expressed in a world whose ground plane (estimated with them) is y = 0.
Terms, and why each is there:

* reprojection of the 22 body joints, confidence-weighted, through a Geman-McClure robust loss so a wrong
  keypoint (a wrist snapped to the partner's hand) pulls less than a right one;
* pose prior: L2 on the joint rotations plus joint-limit hinges (knees and elbows bend one way), the simple prior
  that keeps unobserved joints near rest;
* shape prior: L2 on betas (our shape space is ~N(0, 1));
* 3D pose evidence (when the keypoints come with BlazePose's world landmarks): each bone's direction in the camera
  pulled towards the landmarks' (:func:`world_bone_directions`), confidence-weighted, off where the person was
  not detected. Directions, not positions, because BlazePose's proportions are not our body's; in the camera
  because the world landmarks keep the image's axes, which also says which way a limb points in depth, what
  2D alone cannot;
* temporal smoothness: second differences of joints in 3D and of the root, so noise in 2D does not become
  jitter, and of the two people's *relative* placement, so their depth order stays consistent over time;
* ground: feet may not sink below a common plane, and the lower foot of each person touches it;
* no interpenetration between the two people: penalty on overlapping joint spheres;
* behind the partner (when person-frames are marked so, e.g. by :func:`.occlusion.missed_behind`): a hinge keeps
  that pelvis at least :attr:`FitConfig.behind_gap` farther than the partner's, moving only the hidden person,
  who also starts there (:func:`start_behind`). A person missed behind the other is otherwise carried from the
  frames around, which are read too near;
* proximity (an opt-in third stage, ``steps_placement``): a confident hand or elbow of one person meeting a
  confident joint of the other in the image may be at most :attr:`FitConfig.touch_m` apart in 3D, and each
  person may only slide along the camera ray through their pelvis to satisfy it. This ties the two people's
  depths together where a single view cannot; it is off by default because 2D adjacency is not always contact
  (it fixes hugs and breaks pushes, see ``docs/frontend_eval.md``).

Stages as in SMPLify: the roots first (torso joints only, once per facing hypothesis), then everything. Depth is
initialised where each person's ankles meet one floor estimated for both from the whole clip (:mod:`.floor`; the
floor then stays fixed and the lowest foot stands on it), or from torso length in pixels without one; facing from
the left/right order of shoulders and hips.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import torch
from torch import Tensor

from ..body.base import BodyModel
from ..body.kinematics import forward_kinematics, pose_joints
from ..motion import Camera, MotionError, PersonMotion, Reconstruction
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle
from ..skeleton import JOINT_INDEX, NUM_BODY_JOINTS
from .floor import CONTACT_JOINTS, estimate_floor, floor_depths
from .keypoints import NECK_SCALE, TORSO_SCALE

J = JOINT_INDEX
TORSO = [J[n] for n in ("left_hip", "right_hip", "left_shoulder", "right_shoulder", "pelvis", "neck")]
FEET = [J[n] for n in CONTACT_JOINTS]
TOUCHERS = [J[n] for n in ("left_wrist", "right_wrist", "left_elbow", "right_elbow")]
# bones (from, to) whose directions the world landmarks give: limbs, hip and shoulder lines, spine, head
WORLD_BONES = [(J[a], J[b]) for a, b in (
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"), ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"), ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"), ("left_ankle", "left_foot"),
    ("right_ankle", "right_foot"), ("right_hip", "left_hip"), ("right_shoulder", "left_shoulder"),
    ("pelvis", "neck"), ("neck", "head"))]
WORLD_TORSO = [i for i, (a, b) in enumerate(WORLD_BONES) if a in TORSO and b in TORSO]
# SMPLify's limits in our layout: (body_pose joint index, axis, sign of the forbidden direction)
LIMITS = [(J["left_elbow"] - 1, 1, 1.0), (J["right_elbow"] - 1, 1, -1.0),
          (J["left_knee"] - 1, 0, -1.0), (J["right_knee"] - 1, 0, -1.0)]
# Joint-sphere radii (m) for the interpenetration proxy: small enough that a hand resting on a back is allowed.
RADII = np.full(NUM_BODY_JOINTS, 0.04)
RADII[[J[n] for n in ("pelvis", "spine1", "spine2", "spine3")]] = 0.09
RADII[[J[n] for n in ("left_hip", "right_hip", "head")]] = 0.08
RADII[[J[n] for n in ("left_wrist", "right_wrist", "left_foot", "right_foot")]] = 0.03
# camera axes -> upright: a level camera sees +Y world as -y image
_FLIP = torch.diag(torch.tensor([1.0, -1.0, -1.0]))


@dataclass
class FitConfig:
    steps_root: int = 50  # per facing hypothesis
    facing_hypotheses: tuple[float, ...] = (0.0, 90.0, -90.0, 180.0)  # yaw (deg) tried around the initial facing
    facing_margin: float = 0.7  # a turned hypothesis wins only below this share of the first one's error
    steps_full: int = 220
    steps_placement: int = 0  # opt-in: helps hugs, hurts pushes (2D adjacency is not always contact)
    lr: float = 0.03
    robust_sigma: float = 0.03  # Geman-McClure scale, as a fraction of the image's longer side
    w_reproj: float = 1.0
    w_pose: float = 2e-3
    w_limits: float = 1.0
    w_shape: float = 1e-3
    w_smooth: float = 20.0
    w_root_smooth: float = 50.0
    w_relative: float = 20.0
    w_ground: float = 5.0
    w_contact: float = 0.5
    w_contact_floor: float = 5.0  # with a floor estimated from the feet, standing on it places each person
    floor: bool = True  # estimate one floor from both people's feet first (see .floor) and keep it fixed
    # the keypoints' torso and neck-above-ankle lengths over the body model's (1 for the model's own joints;
    # the defaults are BlazePose's, see .keypoints)
    torso_scale: float = TORSO_SCALE
    neck_scale: float = NECK_SCALE
    w_world: float = 1.0  # bone directions towards BlazePose's world landmarks (when given); docs/frontend_eval.md §4
    w_penetration: float = 50.0
    # a person-frame marked behind the partner (``behind``): the pelvis at least ``behind_gap`` m farther than the
    # partner's, where the fit also starts it (0.2 chosen over 0.28 on the development clips; docs/frontend_eval.md
    # §4; w_behind 0 turns both off)
    w_behind: float = 50.0
    behind_gap: float = 0.2
    w_proximity: float = 5.0
    touch_px: float = 0.025  # 2D distance (fraction of the image's longer side) that counts as meeting
    touch_m: float = 0.2
    touch_confidence: float = 0.5
    min_confidence: float = 0.05
    fov_deg: float = 55.0  # horizontal field of view guessed when no intrinsics are given

    @property
    def total_steps(self) -> int:
        """Every optimisation step the fit runs (what its progress counts)."""
        return len(self.facing_hypotheses) * self.steps_root + self.steps_full + self.steps_placement


@dataclass
class FitResult:
    reconstruction: Reconstruction
    initial: Reconstruction  # the initialisation, for comparison
    losses: dict[str, float] = field(default_factory=dict)  # final value of each term
    joints_cam: Optional[np.ndarray] = None  # (2, T, 22, 3) fitted joints in camera coordinates


def camera_joints(recon: Reconstruction, body: BodyModel) -> list[np.ndarray]:
    """Each person's 22 body joints in the camera frame of every frame, ``(T, 22, 3)``, posed without the mesh
    (memory stays per joint, also for an hour of video)."""
    cam = recon.camera
    assert cam is not None
    out = []
    with torch.no_grad():
        for p in recon.people:
            f = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
            rest = body.rest(body.fit_betas(f(p.betas)))[1]
            world = pose_joints(f(p.global_orient), f(p.body_pose), f(p.transl), rest).double().numpy()
            out.append(np.einsum("tij,tnj->tni", cam.R, world) + cam.t[:, None])
    return out


def _gmof(residual_sq: Tensor, sigma: float) -> Tensor:
    return residual_sq / (residual_sq + sigma ** 2)


def _second_diff(x: Tensor, dim: int = 1) -> Tensor:
    if x.shape[dim] < 3:
        return x.new_zeros(())
    d = x.diff(dim=dim).diff(dim=dim)
    return (d ** 2).sum(-1).mean()


def _interpolate_missing(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Fill invalid entries of a (T,) series by linear interpolation (held at the ends)."""
    if valid.sum() == 0:
        return values
    t = np.arange(len(values))
    return np.interp(t, t[valid], values[valid])


def _median_filter(x: np.ndarray, size: int) -> np.ndarray:
    pad = size // 2
    padded = np.pad(x, pad, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, size), -1)


def torso_depth(kp: np.ndarray, f: float, rest: np.ndarray, min_conf: float = 0.3,
                scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame depth (T,) of a person from their torso (mid-hips to mid-shoulders) in pixels against the
    body's (times ``scale``, how much longer the keypoints' torso is than the model's), the bone least
    foreshortened in upright poses, and where it could be measured (T,) bool."""
    conf = kp[..., 2]

    def mid(a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
        return (kp[:, J[a], :2] + kp[:, J[b], :2]) / 2, np.minimum(conf[:, J[a]], conf[:, J[b]])

    hips, ch = mid("left_hip", "right_hip")
    shoulders, cs = mid("left_shoulder", "right_shoulder")
    torso_px = np.linalg.norm(shoulders - hips, axis=-1)
    torso_3d = np.linalg.norm((rest[J["left_shoulder"]] + rest[J["right_shoulder"]]) / 2
                              - (rest[J["left_hip"]] + rest[J["right_hip"]]) / 2)
    valid = (np.minimum(ch, cs) > min_conf) & (torso_px > 2)
    return f * torso_3d * scale / np.maximum(torso_px, 1e-6), valid


def initial_depth(kp: np.ndarray, f: float, rest: np.ndarray, min_conf: float = 0.3, scale: float = 1.0) -> np.ndarray:
    """Per-frame depth (T,) from :func:`torso_depth`, median-filtered and held within [0.6, 1.6] × its median,
    because one bad detection (a partner's limb taken for one's own) must not throw a person metres away."""
    est, valid = torso_depth(kp, f, rest, min_conf, scale)
    if not valid.any():
        return np.full(len(kp), 4.0)
    est = _median_filter(_interpolate_missing(np.where(valid, est, 0.0), valid), 9)
    centre = float(np.median(est))
    return np.clip(est, 0.6 * centre, 1.6 * centre)


def initial_guess(kp: np.ndarray, K: np.ndarray, rest: np.ndarray, depth: Optional[np.ndarray] = None,
                  torso_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Root rotation (T, 3) axis-angle and translation (T, 3) in the camera for one person's keypoints (T, 22, 3).

    Depth as given (from the floor) or from torso length (:func:`initial_depth`); facing from whether the
    person's left shoulder/hip appear right of the right ones (facing the camera) or left of them (facing away)."""
    f = float(K[0, 0])
    conf = kp[..., 2]
    hips = (kp[:, J["left_hip"], :2] + kp[:, J["right_hip"], :2]) / 2
    ch = np.minimum(conf[:, J["left_hip"]], conf[:, J["right_hip"]])
    if depth is None:
        depth = initial_depth(kp, f, rest, scale=torso_scale)
    centre = np.stack([_interpolate_missing(hips[:, i], ch > 0.1) for i in range(2)], -1)
    pelvis = np.concatenate([(centre - K[:2, 2]) / f * depth[:, None], depth[:, None]], -1)
    side = (kp[:, J["left_shoulder"], 0] - kp[:, J["right_shoulder"], 0]
            + kp[:, J["left_hip"], 0] - kp[:, J["right_hip"], 0])
    facing = np.sign(_median_filter(np.sign(side), 9))  # a majority over 9 frames
    facing[facing == 0] = 1
    orient = np.where(facing[:, None] > 0, [np.pi, 0.0, 0.0], [0.0, 0.0, np.pi])  # FLIP or 180° about z
    return orient.astype(np.float64), pelvis - rest[0]


def start_behind(transl: np.ndarray, rest_pelvis: np.ndarray, behind: np.ndarray, gap: float) -> np.ndarray:
    """Initial translations ``(2, T, 3)`` with each person-frame marked ``behind`` moved along the camera ray
    through its pelvis (its image stays) to at least ``gap`` beyond the partner's depth. Started in front, the
    hinge would have to drag the hidden person through the partner, and the interpenetration term would push the
    partner back with them."""
    pelvis = transl + rest_pelvis
    z = pelvis[..., 2]
    factor = np.where(behind, np.maximum(z, z[::-1] + gap) / np.maximum(z, 1e-6), 1.0)
    return pelvis * factor[..., None] - rest_pelvis


def touch_pairs(kp: np.ndarray, max_px: float, min_conf: float) -> np.ndarray:
    """(T, 22, 22) bool: A's joint i and B's joint j meet in the image — for each confident hand or elbow of
    either person, the other person's confident joint nearest to it in 2D, if nearer than ``max_px``."""
    dist = np.linalg.norm(kp[0][:, :, None, :2] - kp[1][:, None, :, :2], axis=-1)  # (T, 22, 22)
    sure = (kp[0][:, :, None, 2] > min_conf) & (kp[1][:, None, :, 2] > min_conf)
    dist = np.where(sure, dist, np.inf)
    out = np.zeros(dist.shape, bool)
    frames = np.arange(dist.shape[0])
    for joint in TOUCHERS:
        j_b = np.argmin(dist[:, joint, :], -1)  # A's hand -> nearest of B
        hit = dist[frames, joint, j_b] < max_px
        out[frames[hit], joint, j_b[hit]] = True
        i_a = np.argmin(dist[:, :, joint], -1)  # B's hand -> nearest of A
        hit = dist[frames, i_a, joint] < max_px
        out[frames[hit], i_a[hit], joint] = True
    return out


def ray_rotation(uv: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Rotations ``(..., 3, 3)`` taking the optical axis onto the camera ray through pixels ``uv (..., 2)``: a
    person off the image's centre is seen from that direction, and a pose read from their crop as if from straight
    ahead is turned by it in the camera."""
    ray = np.concatenate([(uv - K[:2, 2]) / np.diag(K)[:2], np.ones(uv.shape[:-1] + (1,))], -1)
    ray /= np.linalg.norm(ray, axis=-1, keepdims=True)
    v = np.stack([-ray[..., 1], ray[..., 0], np.zeros(ray.shape[:-1])], -1)  # z × ray
    c = ray[..., 2]
    vx = np.zeros(uv.shape[:-1] + (3, 3))
    vx[..., 0, 1], vx[..., 0, 2], vx[..., 1, 0] = -v[..., 2], v[..., 1], v[..., 2]
    vx[..., 1, 2], vx[..., 2, 0], vx[..., 2, 1] = -v[..., 0], -v[..., 1], v[..., 0]
    return np.eye(3) + vx + vx @ vx / (1.0 + c)[..., None, None]


def world_bone_directions(world: np.ndarray, kp: np.ndarray, K: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit directions ``(..., B, 3)`` in the camera of :data:`WORLD_BONES` from world landmarks
    ``(..., 22, 4)`` (x, y, z along the image's axes, confidence), each turned by the ray through the person's
    mid-hips in ``kp (..., 22, 3)`` (:func:`ray_rotation`), and their weights ``(..., B)``: the lesser
    confidence of the bone's two ends, 0 for a degenerate bone."""
    a, b = (np.array(idx) for idx in zip(*WORLD_BONES))
    bone = world[..., b, :3] - world[..., a, :3]
    length = np.linalg.norm(bone, axis=-1, keepdims=True)
    hips = (kp[..., J["left_hip"], :2] + kp[..., J["right_hip"], :2]) / 2
    rot = ray_rotation(hips, K)
    direction = np.einsum("...ij,...bj->...bi", rot, bone / np.maximum(length, 1e-9))
    weight = np.minimum(world[..., a, 3], world[..., b, 3]) * (length[..., 0] > 1e-3)
    return direction, weight


def world_frame(normal: np.ndarray, offset: float, pelvis_cam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World→camera ``R, t`` (``x_cam = R x_world + t``) for a world with +Y along the ground normal, y = 0 on
    the ground, its origin below the pair's mean pelvis, and +Z pointing from the pair towards the camera."""
    up = normal / np.linalg.norm(normal)
    to_cam = -pelvis_cam / max(np.linalg.norm(pelvis_cam), 1e-9)
    z = to_cam - np.dot(to_cam, up) * up
    z = z / max(np.linalg.norm(z), 1e-9) if np.linalg.norm(z) > 1e-6 else np.cross([1.0, 0, 0], up)
    x = np.cross(up, z)
    M = np.stack([x, up, z], 1)  # columns: world axes in camera coordinates
    origin = pelvis_cam - (np.dot(up, pelvis_cam) + offset) * up
    return M, origin


def fit_two_people(keypoints: np.ndarray, width: int, height: int, fps: float, K: Optional[np.ndarray] = None,
                   body: Optional[BodyModel] = None, config: Optional[FitConfig] = None,
                   progress: Optional[Callable[[int, int], None]] = None,
                   world: Optional[np.ndarray] = None, behind: Optional[np.ndarray] = None) -> FitResult:
    """Fit both people to ``keypoints (2, T, 22, 3)`` (pixels x, y, confidence; our joint order) and, if given,
    BlazePose's world landmarks ``world (2, T, 22, 4)`` (metres x, y, z along the image's axes, confidence).
    ``behind (2, T)`` bool, if given, marks person-frames known to be behind the partner.

    ``K``: camera intrinsics (default: from ``config.fov_deg``). Returns the reconstruction in a ground-aligned
    world (camera included), the initialisation, and the final loss terms."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # thousands of tiny ops: threading costs more than it gives (6× slower on 2 cores)
    try:
        return _fit(keypoints, width, height, fps, K, body, config or FitConfig(), progress, world, behind)
    finally:
        torch.set_num_threads(threads)


def _fit(keypoints: np.ndarray, width: int, height: int, fps: float, K: Optional[np.ndarray],
         body: Optional[BodyModel], cfg: FitConfig, progress: Optional[Callable[[int, int], None]],
         world: Optional[np.ndarray], behind: Optional[np.ndarray]) -> FitResult:
    kp_np = np.asarray(keypoints, np.float64)
    if kp_np.ndim != 4 or kp_np.shape[0] != 2 or kp_np.shape[2:] != (NUM_BODY_JOINTS, 3):
        raise MotionError(f"keypoints: expected shape (2, T, {NUM_BODY_JOINTS}, 3), got {kp_np.shape}")
    if not np.all(np.isfinite(kp_np)):
        raise MotionError("keypoints: non-finite values")
    if world is not None and (np.shape(world) != kp_np.shape[:3] + (4,) or not np.all(np.isfinite(world))):
        raise MotionError(f"world landmarks: expected finite values of shape (2, T, {NUM_BODY_JOINTS}, 4), "
                          f"got {np.shape(world)}")
    if behind is not None and np.shape(behind) != kp_np.shape[:2]:
        raise MotionError(f"behind: expected shape {kp_np.shape[:2]}, got {np.shape(behind)}")
    if body is None:
        from ..body import load_body_model

        body = load_body_model()
    T = kp_np.shape[1]
    if K is None:
        K = Camera.from_fov(width, height, cfg.fov_deg, 1).K
    K = np.asarray(K, np.float64)
    dtype = torch.float32
    Kt = torch.as_tensor(K, dtype=dtype)
    kp = torch.as_tensor(kp_np, dtype=dtype)
    conf = kp[..., 2] * (kp[..., 2] >= cfg.min_confidence)
    scale = float(max(width, height))
    sigma = cfg.robust_sigma

    with torch.no_grad():
        rest_v, rest_j = (x.cpu().numpy().astype(np.float64) for x in body.rest(torch.zeros(body.num_betas)))
    rest0 = rest_j
    lifts = {n: float(rest_j[J[n], 1] - rest_v[:, 1].min()) for n in CONTACT_JOINTS}
    floor, depths = None, [None, None]
    if cfg.floor:
        sizes = [torso_depth(kp_np[p], float(K[0, 0]), rest0, scale=cfg.torso_scale) for p in range(2)]
        size_depth, size_valid = np.stack([s[0] for s in sizes]), np.stack([s[1] for s in sizes])
        ankle = lifts["left_ankle"]
        neck_height = ankle + (float(rest_j[J["neck"], 1] - rest_v[:, 1].min()) - ankle) * cfg.neck_scale
        floor = estimate_floor(kp_np, size_depth, size_valid, K, lifts, neck_height)
        if floor is not None:
            feet, _ = floor_depths(kp_np, floor, K, lifts, size_depth, size_valid)
            # a person whose torso was never measured has nothing to check their feet against: no floor depth
            depths = [_median_filter(feet[p], 5) if size_valid[p].any() else None for p in range(2)]
    inits = [initial_guess(kp_np[p], K, rest0, depths[p], cfg.torso_scale) for p in range(2)]
    # person-frames held behind the partner (none when the term is off): they start there too
    marked = np.asarray(behind, bool) if behind is not None and np.any(behind) and cfg.w_behind > 0 else None
    init_transl = np.stack([i[1] for i in inits])
    if marked is not None:
        init_transl = start_behind(init_transl, rest0[0], marked, cfg.behind_gap)
    orient = torch.tensor(np.stack([i[0] for i in inits]), dtype=dtype, requires_grad=True)  # (2, T, 3)
    transl = torch.tensor(init_transl, dtype=dtype, requires_grad=True)
    pose = torch.zeros(2, T, NUM_BODY_JOINTS - 1, 3, dtype=dtype, requires_grad=True)
    betas = torch.zeros(2, body.num_betas, dtype=dtype, requires_grad=True)
    # ground plane in the camera: normal from two tilt angles about "up" (-y), offset along it
    # (fixed where the floor was estimated from the feet: it then places the people instead of following them)
    tilt = torch.tensor(floor.tilt if floor else (0.0, 0.0), dtype=dtype, requires_grad=floor is None)
    ground = torch.tensor([floor.height if floor else 0.0], dtype=dtype, requires_grad=floor is None)
    lift_t = torch.tensor([lifts[n] for n in CONTACT_JOINTS], dtype=dtype)

    def plane_normal() -> Tensor:
        ax, az = tilt[0], tilt[1]
        n = torch.stack([torch.sin(az), -torch.cos(ax) * torch.cos(az), torch.sin(ax) * torch.cos(az)])
        return n

    # log of a per-frame factor moving each person along the camera ray through their pelvis (stage 3 only):
    # the pelvis stays where the image puts it while the depth changes
    ray_scale = torch.zeros(2, T, dtype=dtype, requires_grad=True)

    def root_transl(rests: Tensor) -> Tensor:
        pelvis = transl + rests[:, None, 0]
        return pelvis * torch.exp(ray_scale)[..., None] - rests[:, None, 0]

    def joints_cam() -> Tensor:
        rests = torch.stack([body.rest(betas[p])[1].to(dtype) for p in range(2)])  # (2, 22, 3)
        aa = torch.cat([orient[..., None, :], pose], 2).reshape(2 * T, NUM_BODY_JOINTS, 3)
        rot = axis_angle_to_matrix(aa)
        rest_b = rests[:, None].expand(2, T, NUM_BODY_JOINTS, 3).reshape(2 * T, NUM_BODY_JOINTS, 3)
        pos, _ = forward_kinematics(rot, rest_b, root_transl(rests).reshape(2 * T, 3))
        return pos.reshape(2, T, NUM_BODY_JOINTS, 3)

    touching = torch.as_tensor(touch_pairs(kp_np, cfg.touch_px * max(width, height), cfg.touch_confidence),
                               dtype=dtype)
    radii = torch.as_tensor(RADII, dtype=dtype)
    behind_t = None if marked is None else torch.as_tensor(marked, dtype=dtype)
    pair_r = radii[:, None] + radii[None, :]

    torso_only = torch.zeros(NUM_BODY_JOINTS).index_fill(0, torch.tensor(TORSO), 1.0)
    use_world = world is not None and cfg.w_world > 0
    if use_world:
        assert world is not None
        w_dir, w_weight = (torch.as_tensor(x, dtype=dtype) for x in world_bone_directions(world, kp_np, K))
        w_weight = w_weight * (w_weight >= cfg.min_confidence)
        bone_a, bone_b = (torch.tensor(idx) for idx in zip(*WORLD_BONES))
        torso_bones = torch.zeros(len(WORLD_BONES)).index_fill(0, torch.tensor(WORLD_TORSO), 1.0)

    def world_pose(joints: Tensor, root_only: bool) -> Tensor:
        """Per-person confidence-weighted squared distance (2,) between the fitted bones' unit directions and
        the world landmarks' (torso bones only while fitting the roots)."""
        bone = joints[:, :, bone_b] - joints[:, :, bone_a]
        d = bone / bone.norm(dim=-1, keepdim=True).clamp(min=1e-6)
        w = w_weight * torso_bones if root_only else w_weight
        return (w * ((d - w_dir) ** 2).sum(-1)).sum((1, 2)) / w.sum((1, 2)).clamp(min=1.0)

    def reprojection(joints: Tensor, root_only: bool) -> Tensor:
        """Per-person robust reprojection error (2,)."""
        z = joints[..., 2:3].clamp(min=0.1)
        uv = (joints[..., :2] / z) * torch.stack([Kt[0, 0], Kt[1, 1]]) + Kt[:2, 2]
        rho = _gmof((((uv - kp[..., :2]) / scale) ** 2).sum(-1), sigma)
        w = conf * torso_only if root_only else conf
        return (w * rho).sum((1, 2)) / w.sum((1, 2)).clamp(min=1.0)

    def losses(joints: Tensor, root_only: bool, placement: bool = False) -> dict[str, Tensor]:
        out = {"reproj": cfg.w_reproj * reprojection(joints, root_only).sum()}
        out["root_smooth"] = cfg.w_root_smooth * _second_diff(joints[:, :, 0], 1)
        if use_world:
            out["world"] = cfg.w_world * world_pose(joints, root_only).sum()
        if root_only:
            return out
        out["pose"] = cfg.w_pose * (pose ** 2).sum(-1).mean() * (NUM_BODY_JOINTS - 1)
        lim = torch.stack([torch.relu(sign * pose[..., j, a]) for j, a, sign in LIMITS])
        out["limits"] = cfg.w_limits * (lim ** 2).mean() * len(LIMITS)
        out["shape"] = cfg.w_shape * (betas ** 2).sum()
        out["smooth"] = cfg.w_smooth * _second_diff(joints.reshape(2, T, -1), 1) / NUM_BODY_JOINTS
        out["relative"] = cfg.w_relative * _second_diff(joints[0, :, 0] - joints[1, :, 0], 0)
        n = plane_normal()
        h = joints[:, :, FEET] @ n + ground - lift_t  # soles' heights above the plane (2, T, 4)
        out["ground"] = cfg.w_ground * (torch.relu(-h) ** 2).mean()
        out["contact"] = (cfg.w_contact_floor if floor else cfg.w_contact) * (h.min(-1).values ** 2).mean()
        d = torch.cdist(joints[0], joints[1])  # (T, 22, 22)
        out["penetration"] = cfg.w_penetration * (torch.relu(pair_r - d) ** 2).sum((-1, -2)).mean()
        if behind_t is not None:
            z = joints[:, :, 0, 2]
            gap = z - z.flip(0).detach()  # the partner's depth is evidence here, not a free variable
            out["behind"] = cfg.w_behind * (behind_t * torch.relu(cfg.behind_gap - gap) ** 2).mean()
        if placement:
            out["proximity"] = cfg.w_proximity * (touching * torch.relu(d - cfg.touch_m) ** 2).sum() / max(T, 1)
        return out

    def run(params: list[Tensor], steps: int, root_only: bool, done: int, total: int,
            placement: bool = False) -> dict[str, Tensor]:
        opt = torch.optim.Adam(params, lr=cfg.lr)
        terms: dict[str, Tensor] = {}
        for step in range(steps):
            opt.zero_grad()
            terms = losses(joints_cam(), root_only, placement)
            sum(terms.values()).backward()
            opt.step()
            if progress is not None and step % 10 == 0:
                progress(done + step, total)
        return terms

    total = cfg.total_steps
    if floor is None:
        with torch.no_grad():
            j0 = joints_cam()
            ground.fill_(float(-(j0[:, :, FEET] @ plane_normal() - lift_t).min(-1).values.median()))
    initial_state = (orient.detach().clone(), transl.detach().clone())
    # Stage 1, once per facing hypothesis (a side view is ambiguous by ±90°, noisy left/right labels by 180°):
    # keep, per person, the roots that explain the torso keypoints best.
    best = [(float("inf"), orient[p].detach().clone(), transl[p].detach().clone()) for p in range(2)]
    base = axis_angle_to_matrix(initial_state[0])
    for k, yaw in enumerate(cfg.facing_hypotheses):
        turn = axis_angle_to_matrix(torch.tensor([0.0, np.radians(yaw), 0.0], dtype=dtype))
        with torch.no_grad():
            orient.copy_(matrix_to_axis_angle(base @ turn))
            transl.copy_(initial_state[1])
        run([orient, transl], cfg.steps_root, True, k * cfg.steps_root, total)
        with torch.no_grad():
            err = reprojection(joints_cam(), True)
        for p in range(2):
            # another facing must explain the torso clearly better than the one the 2D left/right order gave
            score = float(err[p]) / (1.0 if k == 0 else cfg.facing_margin)
            if score < best[p][0]:
                best[p] = (score, orient[p].detach().clone(), transl[p].detach().clone())
    with torch.no_grad():
        for p in range(2):
            orient[p], transl[p] = best[p][1], best[p][2]
    done = total - cfg.steps_full - cfg.steps_placement
    terms = run([orient, transl, pose, betas] + ([] if floor else [tilt, ground]), cfg.steps_full, False, done, total)
    # Stage 3: each person only slides along the camera ray through their pelvis, so contacts seen in 2D fix the
    # two people's relative depth instead of stretching arms towards a partner placed at the wrong depth.
    if cfg.steps_placement:
        terms = run([ray_scale], cfg.steps_placement, False, total - cfg.steps_placement, total, placement=True)
        with torch.no_grad():
            rests = torch.stack([body.rest(betas[p])[1].to(dtype) for p in range(2)])
            transl.copy_(root_transl(rests))
            ray_scale.zero_()
    if progress is not None:
        progress(total, total)

    with torch.no_grad():
        final_joints = joints_cam()
        normal = plane_normal().double().numpy()
        offset = float(ground)
    R, cam_t = world_frame(normal, offset, final_joints[:, :, 0].mean((0, 1)).double().numpy())
    reliability = np.clip(kp_np[..., 2].mean(-1) / 0.7, 0.0, 1.0)

    def to_world(p: int, orient_cam: Tensor, transl_cam: Tensor, pose_aa: Tensor, beta: Tensor) -> PersonMotion:
        rot = np.einsum("ji,tjk->tik", R, axis_angle_to_matrix(orient_cam.double()).numpy())
        rest_pelvis = body.rest(beta)[1][0].double().numpy()
        pelvis_w = (transl_cam.double().numpy() + rest_pelvis - cam_t) @ R
        return PersonMotion(global_orient=matrix_to_axis_angle(torch.as_tensor(rot)).numpy(),
                            body_pose=pose_aa.double().numpy(), transl=pelvis_w - rest_pelvis,
                            betas=beta.double().numpy(), keypoints_2d=kp_np[p].astype(np.float32),
                            reliability=reliability[p])

    camera = Camera.static(K, R, cam_t, T, width, height)
    with torch.no_grad():
        people = tuple(to_world(p, orient[p], transl[p], pose[p], betas[p]) for p in range(2))
        zeros = torch.zeros(T, NUM_BODY_JOINTS - 1, 3)
        init_people = tuple(to_world(p, initial_state[0][p], initial_state[1][p], zeros, torch.zeros(body.num_betas))
                            for p in range(2))
    final = {k: float(v.detach()) for k, v in terms.items()}
    meta = {"source": "sm-studio monocular fit", "fit_losses": final}
    recon = Reconstruction(people, fps, camera, meta=meta)  # type: ignore[arg-type]
    init = Reconstruction(init_people, fps, camera, meta={"source": "sm-studio fit initialisation"})  # type: ignore
    return FitResult(recon, init, final, final_joints.double().numpy())
