"""Writers of small files in other tools' documented layouts, made from a ground-truth reconstruction.

Used by the importer tests: each writer puts the same two people into PHALP's, WHAM's, GVHMR's or a BVH skeleton
family's conventions (camera axes, rotation matrices, source-model pelvis, rest pose, units, up axis), so an
import can be checked against the truth it came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import joblib
import numpy as np
import torch
from scipy.spatial.transform import Rotation

from inference.body.kinematics import forward_kinematics
from inference.importers.tracks import SOURCE_PELVIS
from inference.motion import Camera, Reconstruction
from inference.rotations import axis_angle_to_matrix
from inference.skeleton import BODY_JOINT_NAMES, JOINT_INDEX


def world_pose(person, rest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World joint positions (T,22,3) and rotations (T,22,3,3) of a person on a rest skeleton."""
    rot = axis_angle_to_matrix(torch.as_tensor(person.pose_axis_angle(), dtype=torch.float64))
    pos, tf = forward_kinematics(rot, torch.as_tensor(rest, dtype=torch.float64),
                                 torch.as_tensor(person.transl, dtype=torch.float64))
    return pos.numpy(), tf[..., :3, :3].numpy()


def camera_frame(person, camera: Camera, rest_pelvis: np.ndarray, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Root rotation matrices and source-model ``transl`` in the camera (what HMR tools output)."""
    root = axis_angle_to_matrix(torch.as_tensor(person.global_orient, dtype=torch.float64)).numpy()
    orient = camera.R @ root
    pelvis_cam = np.einsum("tij,tj->ti", camera.R, person.transl + rest_pelvis) + camera.t
    return orient, pelvis_cam - SOURCE_PELVIS[source]


def write_phalp(path: Path, recon: Reconstruction, pelvis: list[np.ndarray], track_ids=(3, 7),
                extra_track: bool = True, ghost_frames: tuple[int, ...] = (), evil: Optional[object] = None) -> None:
    """A 4DHumans/PHALP results pickle; ``extra_track`` adds a short third person, ``ghost_frames`` marks
    frames where person B is only predicted, ``evil`` is put in every entry's unused ``embedding`` field."""
    cam = recon.camera
    assert cam is not None
    per = [camera_frame(p, cam, pv, "smpl") for p, pv in zip(recon.people, pelvis)]
    results = {}
    for t in range(recon.num_frames):
        entry: dict = {"time": t, "shot": 0, "tid": [], "tracked_ids": [], "smpl": [], "camera": [], "size": [],
                       "bbox": [], "embedding": []}
        for k, (person, (orient, transl)) in enumerate(zip(recon.people, per)):
            mats = axis_angle_to_matrix(torch.as_tensor(person.body_pose[t], dtype=torch.float64)).numpy()
            body = np.concatenate([mats, np.repeat(np.eye(3)[None], 2, 0)]).astype(np.float32)  # 23 joints
            entry["tid"].append(track_ids[k])
            if not (k == 1 and t in ghost_frames):
                entry["tracked_ids"].append(track_ids[k])
            entry["smpl"].append({"global_orient": orient[t][None].astype(np.float32), "body_pose": body,
                                  "betas": person.betas[:10].astype(np.float32)})
            entry["camera"].append(transl[t].astype(np.float32))
            entry["size"].append([cam.height, cam.width])
            entry["bbox"].append(np.array([0, 0, 10, 10.0]))
            entry["embedding"].append(evil)
        if extra_track and t < 5:
            entry["tid"].append(99)
            entry["tracked_ids"].append(99)
            entry["smpl"].append({"global_orient": np.eye(3)[None], "body_pose": np.tile(np.eye(3), (23, 1, 1)),
                                  "betas": np.zeros(10)})
            entry["camera"].append(np.array([0.0, 0.0, 10.0]))
            entry["size"].append([cam.height, cam.width])
        results[f"outputs/_DEMO/clip/img/{t + 1:06d}.jpg"] = entry
    joblib.dump(results, path)


def to_other_world(recon_person, rest_pelvis: np.ndarray, yaw: float, shift: np.ndarray, source: str):
    """A person's root in another Y-up world (turned by ``yaw``, moved by ``shift``), as (rotmats, transl)."""
    g = Rotation.from_euler("y", yaw).as_matrix()
    root = axis_angle_to_matrix(torch.as_tensor(recon_person.global_orient, dtype=torch.float64)).numpy()
    pelvis = (recon_person.transl + rest_pelvis) @ g.T + shift
    return g @ root, pelvis - SOURCE_PELVIS[source]


def write_wham(path: Path, recon: Reconstruction, pelvis: list[np.ndarray], yaw: float, shift: np.ndarray,
               frame_ranges=((0, None), (0, None))) -> None:
    """A WHAM ``wham_output.pkl``: subjects 0 and 1, camera-frame and world-frame (yaw/shift; B's world is
    deliberately inconsistent, as WHAM's per-subject worlds are)."""
    cam = recon.camera
    assert cam is not None
    results = {}
    for sid, (person, pv) in enumerate(zip(recon.people, pelvis)):
        orient, transl = camera_frame(person, cam, pv, "smpl")
        w_orient, w_transl = to_other_world(person, pv, yaw + sid, shift + sid, "smpl")
        a, b = frame_ranges[sid]
        sl = slice(a, b)
        frames = np.arange(recon.num_frames)[sl]
        pose = np.concatenate([Rotation.from_matrix(orient).as_rotvec(), person.body_pose.reshape(-1, 63),
                               np.zeros((recon.num_frames, 6))], 1)[sl]
        pose_w = pose.copy()
        pose_w[:, :3] = Rotation.from_matrix(w_orient).as_rotvec()[sl]
        results[sid] = {"pose": pose, "trans": transl[sl], "pose_world": pose_w, "trans_world": w_transl[sl],
                        "betas": np.repeat(person.betas[None, :10], len(frames), 0), "frame_ids": frames,
                        "verts": np.zeros((len(frames), 4, 3))}
    joblib.dump(dict(results), path)


def write_gvhmr(path: Path, recon: Reconstruction, pid: int, pelvis: np.ndarray, yaw: float,
                shift: np.ndarray) -> None:
    cam = recon.camera
    assert cam is not None
    person = recon.people[pid]
    orient, transl = camera_frame(person, cam, pelvis, "smplx")
    w_orient, w_transl = to_other_world(person, pelvis, yaw + pid, shift * (1 + pid), "smplx")
    n = recon.num_frames

    def params(o, t):
        return {"global_orient": torch.tensor(Rotation.from_matrix(o).as_rotvec(), dtype=torch.float32),
                "body_pose": torch.tensor(person.body_pose.reshape(n, 63)),
                "betas": torch.tensor(np.repeat(person.betas[None, :10], n, 0)),
                "transl": torch.tensor(t, dtype=torch.float32)}

    torch.save({"smpl_params_incam": params(orient, transl), "smpl_params_global": params(w_orient, w_transl),
                "K_fullimg": torch.tensor(np.repeat(cam.K[None], n, 0), dtype=torch.float32)}, path)


def write_tram(folder: Path, recon: Reconstruction, pelvis: list[np.ndarray], cam_yaw: float,
               frame_ranges=((0, None), (0, None))) -> None:
    """A TRAM results folder: ``camera.npy`` (camera-to-world of a world in the first camera's OpenCV axes,
    here turned by ``cam_yaw`` from ours) and ``hps/hps_track_K.npy`` with torch tensors, as TRAM saves them."""
    cam = recon.camera
    assert cam is not None
    flip = np.diag([1.0, -1.0, -1.0])
    g = flip @ Rotation.from_euler("y", cam_yaw).as_matrix()  # ours -> TRAM world
    # x_cam = R x_ours + t  =>  x_tram = g x_ours = g R^T (x_cam - t): camera-to-TRAM-world
    r_c2w = np.einsum("ij,tkj->tik", g, cam.R)
    t_c2w = -np.einsum("tij,tj->ti", r_c2w, cam.t)
    (folder / "hps").mkdir(parents=True)
    np.save(folder / "camera.npy", {"img_focal": np.float64(cam.K[0, 0]), "img_center": cam.K[:2, 2].copy(),
                                    "pred_cam_R": r_c2w, "pred_cam_T": t_c2w})
    for k, (person, pv) in enumerate(zip(recon.people, pelvis)):
        orient, transl = camera_frame(person, cam, pv, "smpl")
        a, b = frame_ranges[k]
        sl = slice(a, b)
        body = axis_angle_to_matrix(torch.as_tensor(person.body_pose, dtype=torch.float64)).numpy()
        hands = np.repeat(np.eye(3)[None, None], len(orient), 0).repeat(2, 1)  # SMPL's two hand joints
        rotmat = np.concatenate([orient[:, None], body, hands], 1)
        np.save(folder / "hps" / f"hps_track_{k}.npy", {
            "pred_rotmat": torch.tensor(rotmat[sl], dtype=torch.float32),
            "pred_shape": torch.tensor(np.repeat(person.betas[None, :10], len(orient), 0)[sl]),
            "pred_trans": torch.tensor(transl[sl, None], dtype=torch.float32),
            "frame": torch.arange(recon.num_frames)[sl]})


# ---------------------------------------------------------------- BVH skeleton families

_C = "ZXY"  # channel order used by the writers (any order works; CMU files use ZYX)


def _family_joints(family: str) -> list[tuple[str, Optional[str], Optional[str]]]:
    """(name, parent name, our joint or None for a joint we do not have) in hierarchy order."""
    side = lambda s: s.title()  # noqa: E731
    rows: list[tuple[str, Optional[str], Optional[str]]] = []
    if family in ("cmu", "mixamo"):
        px = "mixamorig:" if family == "mixamo" else ""
        rows.append((px + "Hips", None, "pelvis"))
        for s in ("left", "right"):
            hip_parent = px + "Hips"
            if family == "cmu":
                rows.append((f"{s[0].upper()}HipJoint", px + "Hips", None))
                hip_parent = f"{s[0].upper()}HipJoint"
            rows += [(px + f"{side(s)}UpLeg", hip_parent, f"{s}_hip"),
                     (px + f"{side(s)}Leg", px + f"{side(s)}UpLeg", f"{s}_knee"),
                     (px + f"{side(s)}Foot", px + f"{side(s)}Leg", f"{s}_ankle"),
                     (px + f"{side(s)}ToeBase", px + f"{side(s)}Foot", f"{s}_foot")]
        if family == "cmu":
            rows += [("LowerBack", "Hips", None), ("Spine", "LowerBack", "spine1"), ("Spine1", "Spine", "spine3"),
                     ("Neck", "Spine1", None), ("Neck1", "Neck", "neck"), ("Head", "Neck1", "head")]
            top = "Spine1"
        else:
            rows += [(px + "Spine", px + "Hips", "spine1"), (px + "Spine1", px + "Spine", "spine2"),
                     (px + "Spine2", px + "Spine1", "spine3"), (px + "Neck", px + "Spine2", "neck"),
                     (px + "Head", px + "Neck", "head")]
            top = px + "Spine2"
        for s in ("left", "right"):
            rows += [(px + f"{side(s)}Shoulder", top, f"{s}_collar"),
                     (px + f"{side(s)}Arm", px + f"{side(s)}Shoulder", f"{s}_shoulder"),
                     (px + f"{side(s)}ForeArm", px + f"{side(s)}Arm", f"{s}_elbow"),
                     (px + f"{side(s)}Hand", px + f"{side(s)}ForeArm", f"{s}_wrist")]
    elif family == "makehuman":
        rows += [("root", None, "pelvis"), ("spine05", "root", None), ("spine04", "spine05", "spine1"),
                 ("spine03", "spine04", None), ("spine02", "spine03", "spine2"), ("spine01", "spine02", "spine3"),
                 ("neck01", "spine01", "neck"), ("head", "neck01", "head")]
        for s, c in (("left", "L"), ("right", "R")):
            rows += [(f"pelvis.{c}", "root", None), (f"upperleg01.{c}", f"pelvis.{c}", f"{s}_hip"),
                     (f"lowerleg01.{c}", f"upperleg01.{c}", f"{s}_knee"),
                     (f"foot.{c}", f"lowerleg01.{c}", f"{s}_ankle"),
                     (f"toe3-1.{c}", f"foot.{c}", f"{s}_foot"), (f"clavicle.{c}", "spine01", f"{s}_collar"),
                     (f"upperarm01.{c}", f"clavicle.{c}", f"{s}_shoulder"),
                     (f"lowerarm01.{c}", f"upperarm01.{c}", f"{s}_elbow"),
                     (f"wrist.{c}", f"lowerarm01.{c}", f"{s}_wrist")]
    else:
        raise ValueError(family)
    return rows


def generated_motion(kind: str, seed: int):
    """A 2 s generator clip at 20 fps, person A's betas, our rest joints for them and our body (rest + sole) for
    the BVH importer: ``(reconstruction, betas, rest (22, 3), OurBody)``."""
    import torch

    from inference.body import load_body_model
    from inference.generator import generate_clip
    from inference.importers.bvh_body import OurBody

    clip = generate_clip(kind, seed, seconds=2.0, fps=20.0)
    betas = clip.reconstruction.people[0].betas
    vertices, joints = load_body_model().rest(torch.as_tensor(betas))
    rest = joints.numpy().astype(np.float64)
    return clip.reconstruction, betas, rest, OurBody(rest, float(vertices[:, 1].min()))


def write_family_bvh(path: Path, family: str, person, rest: np.ndarray, fps: float = 30.0, units: float = 1.0,
                     z_up: bool = False, a_pose_deg: float = 0.0, all_positions: bool = False,
                     rest_yaw_deg: float = 0.0) -> None:
    """``person`` (on our ``rest`` skeleton) written as a BVH of ``family``'s names and hierarchy, with extra
    joints the family has and we lack, arms resting ``a_pose_deg`` below horizontal, positions × ``units``,
    optionally Z-up, optionally position channels on every joint (as Mixamo writes them), and optionally the whole
    rig (rest and motion) turned ``rest_yaw_deg`` about the vertical (a rest pose that faces another way)."""
    rows = _family_joints(family)
    pos, rot = world_pose(person, rest)
    frames = pos.shape[0]
    conv = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]]) if z_up else np.eye(3)  # Y-up -> Z-up
    conv = conv @ Rotation.from_euler("y", rest_yaw_deg, degrees=True).as_matrix()
    arm_q = {}
    for s, sign in (("left", -1.0), ("right", 1.0)):  # lower the arm about the forward (z) axis
        q = Rotation.from_euler("z", sign * a_pose_deg, degrees=True).as_matrix()
        for j in ("shoulder", "elbow", "wrist"):
            arm_q[f"{s}_{j}"] = (q, rest[JOINT_INDEX[f"{s}_shoulder"]])
    fam_rest, fam_world, fam_pos = {}, {}, {}
    names = [r[0] for r in rows]
    for name, parent, ours in rows:
        if ours is None:  # a joint we lack: sits on its parent and does not rotate
            fam_rest[name] = fam_rest[parent]
            fam_world[name] = fam_world[parent]
            fam_pos[name] = fam_pos[parent]
            continue
        j = JOINT_INDEX[ours]
        q, pivot = arm_q.get(ours, (np.eye(3), rest[j]))
        fam_rest[name] = pivot + q @ (rest[j] - pivot)
        fam_world[name] = rot[:, j] @ q.T
        fam_pos[name] = pos[:, j]
    children = {n: [r[0] for r in rows if r[1] == n] for n in names}
    lines = ["HIERARCHY"]
    order: list[str] = []

    def emit(name: str, depth: int) -> None:
        pad = "  " * depth
        parent = rows[names.index(name)][1]
        offset = fam_rest[name] - (fam_rest[parent] if parent else fam_rest[name])
        lines.append(f"{pad}{'ROOT' if parent is None else 'JOINT'} {name}")
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET " + " ".join(f"{v:.6f}" for v in conv @ offset * units))
        chans = ["Xposition", "Yposition", "Zposition"] if parent is None or all_positions else []
        chans += [f"{a}rotation" for a in _C]
        lines.append(f"{pad}  CHANNELS {len(chans)} " + " ".join(chans))
        order.append(name)
        for c in children[name]:
            emit(c, depth + 1)
        if not children[name]:
            lines.extend([f"{pad}  End Site", pad + "  {", f"{pad}    OFFSET 0.0 0.05 0.0", pad + "  }"])
        lines.append(pad + "}")

    emit(names[0], 0)
    lines += ["MOTION", f"Frames: {frames}", f"Frame Time: {1.0 / fps:.8f}"]
    cols = []
    for name in order:
        parent = rows[names.index(name)][1]
        world = conv @ fam_world[name] @ conv.T
        local = world if parent is None else np.swapaxes(conv @ fam_world[parent] @ conv.T, -1, -2) @ world
        if parent is None:
            cols.append((conv @ fam_pos[name].T).T * units)
        elif all_positions:
            cols.append(np.repeat((conv @ (fam_rest[name] - fam_rest[parent]))[None] * units, frames, 0))
        cols.append(Rotation.from_matrix(local).as_euler(_C, degrees=True))
    motion = np.concatenate(cols, 1)
    lines += [" ".join(f"{v:.6f}" for v in row) for row in motion]
    Path(path).write_text("\n".join(lines) + "\n")


__all__ = ["write_phalp", "write_wham", "write_gvhmr", "write_tram", "write_family_bvh", "generated_motion",
           "world_pose", "BODY_JOINT_NAMES"]
