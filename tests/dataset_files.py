"""Writers of tiny capture-dataset sequences (InterHuman, Hi4D, CHI3D) in their published layouts, from a known
two-person motion on our rest skeleton, so a loader's output can be checked against the truth it came from.

The truth lives in our world (+Y up); each writer re-expresses it in the dataset's conventions: source up axis,
rotation matrices or 6D, source-model pelvis offsets, per-frame files, cameras.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from inference.body.kinematics import forward_kinematics
from inference.importers.tracks import SOURCE_PELVIS
from inference.importers.up_axis import TO_Y_UP
from inference.motion import PersonMotion
from inference.rotations import axis_angle_to_matrix


def truth_people(frames: int = 12, seed: int = 0) -> tuple[PersonMotion, PersonMotion]:
    """Two upright people about a metre apart, facing each other, turning and bending a little."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, frames)[:, None]
    people = []
    for k, (x, yaw) in enumerate(((0.0, 0.0), (1.0, np.pi))):
        tilt = 0.15 * np.sin(2 * np.pi * t + k)
        orient = np.concatenate([tilt, yaw + 0.4 * t, 0.1 * t], 1)  # mostly a turn about +Y
        amp = rng.uniform(-0.5, 0.5, (1, 21, 3))
        phase = rng.uniform(0, np.pi, (1, 21, 3))
        body = amp * np.sin(2 * np.pi * t[:, :, None] + phase)
        transl = np.concatenate([x + 0.2 * t, 0.05 * np.sin(3 * t), 0.3 * t], 1)
        people.append(PersonMotion(orient, body, transl, np.zeros(10)))
    return people[0], people[1]


def world_joints(person: PersonMotion, rest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Our world joints ``(T, 22, 3)`` and local rotations ``(T, 22, 3, 3)`` (root first)."""
    rot = axis_angle_to_matrix(torch.as_tensor(person.pose_axis_angle(), dtype=torch.float64))
    pos, _ = forward_kinematics(rot, torch.as_tensor(rest, dtype=torch.float64),
                                torch.as_tensor(person.transl, dtype=torch.float64))
    return pos.numpy(), rot.numpy()


def _to_source(up: str) -> np.ndarray:
    """Rotation from our world into a source world whose up axis is ``up`` (row vectors: ``p @ this``)."""
    return TO_Y_UP[up]


# --- InterHuman ---------------------------------------------------------------------------------------------------

def rot6d(mats: np.ndarray, layout: str) -> np.ndarray:
    if layout == "R[:, :2] row-major":  # what InterGen's mirroring implies and HHInter reads
        return mats[..., :, :2].reshape(mats.shape[:-2] + (6,))
    if layout == "columns (c0, c1)":
        return np.concatenate([mats[..., :, 0], mats[..., :, 1]], -1)
    raise ValueError(layout)


def write_interhuman(root: Path, sid: str, people, rest: np.ndarray, texts: list[str],
                     layout: str = "R[:, :2] row-major", seed: int = 0) -> list[np.ndarray]:
    """``motions_processed/person{1,2}/<sid>.npy`` (Z-up joints, 6D local rotations, junk in the other columns)
    and ``annots/<sid>.txt``. Returns the truth joints (our Y-up world) of both people."""
    rng = np.random.default_rng(seed)
    truth = []
    for name, person in zip(("person1", "person2"), people):
        joints, rot = world_joints(person, rest)
        truth.append(joints)
        data = rng.normal(size=(person.num_frames, 492)).astype(np.float32)
        data[:, :66] = (joints @ _to_source("z")).reshape(-1, 66)
        data[:, 186:312] = rot6d(rot[:, 1:], layout).reshape(-1, 126)
        folder = root / "motions_processed" / name
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / f"{sid}.npy", data)
    (root / "annots").mkdir(exist_ok=True)
    (root / "annots" / f"{sid}.txt").write_text("\n".join(texts) + "\n")
    return truth


# --- Hi4D ---------------------------------------------------------------------------------------------------------

HI4D_CAMERA_IDS = np.array([4, 16, 28, 40, 52, 64, 76, 88])


def hi4d_cameras(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Eight intrinsics (8,3,3) and world→camera extrinsics (8,3,4) looking roughly at the origin."""
    K = np.array([[1200.0, 0, 470], [0, 1200, 640], [0, 0, 1]])
    ext = []
    for k in range(8):
        a = 2 * np.pi * k / 8 + rng.uniform(-0.1, 0.1)
        yaw = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
        R = np.diag([1.0, -1.0, -1.0]) @ yaw  # OpenCV axes: y down
        ext.append(np.concatenate([R, np.array([[0.1], [0.9], [4.0]])], 1))
    return np.repeat(K[None], 8, 0), np.stack(ext)


def write_hi4d(folder: Path, people, rest: np.ndarray, up: str = "y", first_frame: int = 11,
               with_joints: bool = True, seed: int = 0) -> dict:
    """One sequence ``pairNN/<action>`` in the source world whose up axis is ``up``. Returns the truth joints (our
    world) and the source-world cameras, for checks."""
    rng = np.random.default_rng(seed)
    to_src = _to_source(up)  # p_src = p_ours @ to_src  (to_src = G, p_ours = G p_src)
    frames = people[0].num_frames
    joints, roots, bodies = [], [], []
    for person in people:
        pos, rot = world_joints(person, rest)
        joints.append(pos)
        roots.append(np.einsum("ji,tjk->tik", to_src, rot[:, 0]))  # G^T R
        bodies.append(np.concatenate([person.body_pose, np.zeros((frames, 2, 3))], 1).reshape(frames, 69))
    (folder / "smpl").mkdir(parents=True)
    from scipy.spatial.transform import Rotation

    for t in range(frames):
        src_joints = np.stack([np.concatenate([j[t], np.zeros((2, 3))]) @ to_src for j in joints])  # (2, 24, 3)
        arrays = dict(
            betas=rng.normal(size=(2, 10)).astype(np.float32),
            body_pose=np.stack([b[t] for b in bodies]).astype(np.float32),
            global_orient=np.stack([Rotation.from_matrix(r[t]).as_rotvec() for r in roots]).astype(np.float32),
            transl=(src_joints[:, 0] - SOURCE_PELVIS["smpl"]).astype(np.float32),
            verts=np.zeros((2, 6890, 3), np.float32), contact=np.zeros((2, 6890), np.float32))
        if with_joints:
            arrays["joints_3d"] = src_joints.astype(np.float32)
        np.savez(folder / "smpl" / f"{first_frame + t:06d}.npz", **arrays)
    np.savez(folder / "meta.npz", start=first_frame, end=first_frame + frames - 1, num_persons=2,
             genders=np.array(["female", "male"]), betas=rng.normal(size=(2, 10)).astype(np.float32),
             contact_ids=np.arange(first_frame, first_frame + 3), mono_cam=28)
    K, ext = hi4d_cameras(rng)
    (folder / "cameras").mkdir()
    np.savez(folder / "cameras" / "rgb_cameras.npz", ids=HI4D_CAMERA_IDS, intrinsics=K, extrinsics=ext,
             dist_coeffs=np.zeros((8, 5)))
    return {"joints": joints, "to_source": to_src, "K": K[2], "extrinsics": ext[2]}


# --- CHI3D --------------------------------------------------------------------------------------------------------

def write_chi3d(subject: Path, action: str, people, rest: np.ndarray, up: str = "z", seed: int = 0) -> dict:
    """``<subject>/smplx/<action>.json`` (rotation matrices, SMPL-X ``transl``) and one camera file, in a source
    world whose up axis is ``up``. Returns the truth joints (our world) and the camera."""
    rng = np.random.default_rng(seed)
    to_src = _to_source(up)
    frames = people[0].num_frames
    keys = ("transl", "global_orient", "body_pose", "betas", "left_hand_pose", "right_hand_pose", "jaw_pose",
            "leye_pose", "reye_pose", "expression")
    params: dict[str, list] = {k: [] for k in keys}
    joints = []
    hands = []
    for person in people:
        pos, rot = world_joints(person, rest)
        joints.append(pos)
        hand = rng.uniform(-0.3, 0.3, (frames, 15, 3))
        hands.append(hand)
        hand_m = axis_angle_to_matrix(torch.as_tensor(hand)).numpy()
        eye = np.repeat(np.eye(3)[None, None], frames, 0)
        params["transl"].append((pos[:, 0] @ to_src - SOURCE_PELVIS["smplx"]).tolist())
        params["global_orient"].append(np.einsum("ji,tjk->tik", to_src, rot[:, 0])[:, None].tolist())
        params["body_pose"].append(rot[:, 1:].tolist())
        params["betas"].append(rng.normal(size=(frames, 10)).tolist())
        params["left_hand_pose"].append(hand_m.tolist())
        params["right_hand_pose"].append(hand_m.tolist())
        for key in ("jaw_pose", "leye_pose", "reye_pose"):
            params[key].append(eye.tolist())
        params["expression"].append(np.zeros((frames, 10)).tolist())
    (subject / "smplx").mkdir(parents=True, exist_ok=True)
    (subject / "smplx" / f"{action}.json").write_text(json.dumps(params))
    R = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]]) if up == "z" else np.diag([1.0, -1, -1])
    T = np.array([[0.3, -4.0, 1.2]]) if up == "z" else np.array([[0.3, 1.2, 4.0]])
    cam = {"extrinsics": {"R": R.tolist(), "T": T.tolist()},
           "intrinsics_wo_distortion": {"f": [1100.0, 1100.0], "c": [450.0, 450.0]},
           "intrinsics_w_distortion": {"f": [1100.0, 1100.0], "c": [450.0, 450.0], "k": [[0.0, 0.0, 0.0]],
                                       "p": [[0.0, 0.0]]}}
    cam_dir = subject / "camera_parameters" / "50591643"
    cam_dir.mkdir(parents=True, exist_ok=True)
    (cam_dir / f"{action}.json").write_text(json.dumps(cam))
    return {"joints": joints, "hands": hands, "to_source": to_src, "R": R, "T": T[0]}
