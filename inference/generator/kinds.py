"""One choreography per interaction kind, written in a canonical frame: A starts near the origin facing +Z.

Each function draws its own timing, distances and variants from ``rng`` and returns both people's scripts plus
the sentence describing them. Left/right words are produced from the same variables that choose the hands, so the
label cannot disagree with the motion. Distances come from the two bodies' arm lengths (``forward_reach``), so the
hands reach their targets whatever the body shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .body_info import BodyInfo
from .geometry import UP, facing, left_of, normalize, smoothstep, window
from .script import ArmScript, ContactSpec, PersonScript, Target, World, hand_pole

OTHER_SIDE = {"left": "right", "right": "left"}
HAND_GAP = 0.07  # wrist-to-wrist half distance when two palms meet
APPROACH_SPEED = 0.9  # m/s: the most an approach may average (short clips shorten the walk instead)


@dataclass
class Choreography:
    scripts: dict[str, PersonScript]
    label: str


def _leaned(info: BodyInfo, joint: str, lean: float) -> np.ndarray:
    """A trunk/arm joint relative to the pelvis after bending the spine forward by ``lean`` (about spine1)."""
    rel = info.joint(joint) - info.rest_joints[0]
    pivot = info.joint("spine1") - info.rest_joints[0]
    up = rel[1] - pivot[1]
    return rel + np.array([0.0, up * (np.cos(lean) - 1.0), up * np.sin(lean)])


def forward_reach(info: BodyInfo, side: str, lateral: float, height: float, frac: float, lean: float = 0.0) -> float:
    """How far in front of the pelvis the wrist reaches a point ``lateral`` m to the person's left and ``height``
    m above the pelvis, using ``frac`` of the arm's length (rest frame: facing +Z, left +X)."""
    sh = _leaned(info, f"{side}_shoulder", lean)
    length = frac * info.arms[side].reach
    dx, dy = lateral - sh[0], height - sh[1]
    return float(sh[2] + np.sqrt(max(length ** 2 - dx ** 2 - dy ** 2, 0.01)))


def reach_behind(me: BodyInfo, side: str, partner: BodyInfo, joint: str, lateral: float, up: float, frac: float,
                 lean_me: float, lean_partner: float, gap: float = 0.03) -> float:
    """Largest pelvis distance (facing each other) at which ``me``'s ``side`` wrist reaches ``gap`` behind the
    partner's back at trunk ``joint``, ``lateral`` m from the partner's midline towards ``side``, ``up`` higher."""
    q = _leaned(partner, joint, lean_partner)
    height = q[1] + up + partner.pelvis_height - me.pelvis_height
    f = forward_reach(me, side, lateral if side == "left" else -lateral, height, frac, lean_me)
    return f + q[2] - partner.back[joint] - gap


def _travel(t: np.ndarray, start: np.ndarray, stop: np.ndarray, t0: float, t1: float) -> np.ndarray:
    return start + smoothstep(t, t0, t1)[:, None] * (np.asarray(stop) - np.asarray(start))


def _z(z: float) -> np.ndarray:
    return np.array([0.0, 0.0, z])


def _const(t: np.ndarray, value: float) -> np.ndarray:
    return np.full(t.shape, float(value))


def _face_to_face(t: np.ndarray, rng: np.random.Generator, d: float, t_meet: float, extra: float,
                  ) -> tuple[np.ndarray, np.ndarray, str]:
    """Roots of A (facing +Z) and B (facing −Z) ending ``d`` apart at ``t_meet``; who walks is drawn."""
    walker = str(rng.choice(["A", "B", "both"]))
    share = {"A": 1.0, "B": 0.0, "both": rng.uniform(0.35, 0.65)}[walker]
    extra = min(extra, APPROACH_SPEED * t_meet)
    a = _travel(t, _z(-extra * share), _z(0.0), 0.0, t_meet)
    b = _travel(t, _z(d + extra * (1 - share)), _z(d), 0.0, t_meet)
    return a, b, walker


def _approach_words(walker: str) -> str:
    return {"A": "A walks up to B and", "B": "B walks up to A and", "both": "A and B walk towards each other and"}[
        walker]


def _meeting(world: World, share_a: float, height: float, lateral_a: float, pump: np.ndarray) -> np.ndarray:
    """A point ``share_a`` of the way from A's pelvis to B's, ``height`` above their mean height and
    ``lateral_a`` to A's left (the share splits the distance by each person's reach)."""
    pa, pb = world.joint("A", "pelvis"), world.joint("B", "pelvis")
    mid = pa + share_a * (pb - pa)
    mid[:, 1] += height + pump
    return mid + world.left("A") * lateral_a


def _palm_targets(meet: Target, gap: float = HAND_GAP) -> tuple[Target, Target]:
    """Wrist targets for A and B clasping/slapping hands at ``meet``: each wrist stays on its own side."""

    def axis(world: World) -> np.ndarray:
        d = world.joint("B", "pelvis") - world.joint("A", "pelvis")
        d[:, 1] = 0.0
        return normalize(d)

    return (lambda w: meet(w) - gap * axis(w)), (lambda w: meet(w) + gap * axis(w))


def handshake(rng: np.random.Generator, ia: BodyInfo, ib: BodyInfo, t: np.ndarray, duration: float) -> Choreography:
    frac = rng.uniform(0.78, 0.88)
    h = rng.uniform(0.12, 0.22)
    mean_ph = 0.5 * (ia.pelvis_height + ib.pelvis_height)
    fa = forward_reach(ia, "right", 0.0, h + mean_ph - ia.pelvis_height, frac)
    fb = forward_reach(ib, "right", 0.0, h + mean_ph - ib.pelvis_height, frac)
    d = fa + fb + 2 * HAND_GAP
    t_meet = duration * rng.uniform(0.28, 0.4)
    t_release = duration * rng.uniform(0.78, 0.86)
    root_a, root_b, walker = _face_to_face(t, rng, d, t_meet, rng.uniform(0.8, 1.6))
    shake = window(t, (t_meet + 0.25, t_meet + 0.45), (t_release - 0.3, t_release))
    pump = 0.035 * np.sin(2 * np.pi * rng.uniform(2.0, 3.0) * t) * shake
    weight = window(t, (t_meet - 0.45, t_meet + 0.15), (t_release, t_release + 0.5))
    ta, tb = _palm_targets(lambda w: _meeting(w, (fa + HAND_GAP) / d, h, 0.0, pump))
    lean = 0.08 * window(t, (t_meet - 0.4, t_meet), (t_release, t_release + 0.5))
    a = PersonScript(ia, root_a, _const(t, 0.0), lean, look_at="B", arms={
        "right": ArmScript(weight, ta, contact=ContactSpec("B", "right_wrist", "right hand"))})
    b = PersonScript(ib, root_b, _const(t, np.pi), lean.copy(), look_at="A", arms={
        "right": ArmScript(weight.copy(), tb, contact=ContactSpec("A", "right_wrist", "right hand"))})
    return Choreography({"A": a, "B": b}, f"{_approach_words(walker)} they shake right hands.")


def hug(rng: np.random.Generator, ia: BodyInfo, ib: BodyInfo, t: np.ndarray, duration: float) -> Choreography:
    high = str(rng.choice(["A", "B"]))
    low = "B" if high == "A" else "A"
    infos = {"A": ia, "B": ib}
    lean = rng.uniform(0.1, 0.18)
    spots = {high: ("spine3", "upper back", 0.03), low: ("spine2", "middle of the back", 0.0)}
    chest = sum(_leaned(i, "spine3", lean)[2] + i.front["spine3"] for i in (ia, ib)) + rng.uniform(-0.01, 0.02)
    reach = min(reach_behind(infos[p], side, infos[o], spots[p][0], 0.08, spots[p][2], 0.95, lean, lean)
                for p, o in (("A", "B"), ("B", "A")) for side in ("left", "right"))
    d = min(chest, reach)
    t_meet = duration * rng.uniform(0.3, 0.4)
    t_release = duration * rng.uniform(0.8, 0.88)
    root_a, root_b, walker = _face_to_face(t, rng, d, t_meet, rng.uniform(0.6, 1.2))
    weight = window(t, (t_meet - 0.5, t_meet + 0.2), (t_release, t_release + 0.6))
    lean_curve = lean * window(t, (t_meet - 0.5, t_meet), (t_release, t_release + 0.6))
    rock = 0.05 * np.sin(2 * np.pi * rng.uniform(0.4, 0.7) * t) * window(t, (t_meet, t_meet + 0.3),
                                                                          (t_release - 0.3, t_release))
    arms: dict[str, dict[str, ArmScript]] = {"A": {}, "B": {}}
    for pid in "AB":
        other = "B" if pid == "A" else "A"
        joint, region, up = spots[pid]
        for side in ("left", "right"):
            other_side = OTHER_SIDE[side]  # facing each other, my left hand lands on their right side

            def target(w: World, other=other, joint=joint, other_side=other_side, up=up) -> np.ndarray:
                return w.surface(other, joint, "back") + w.side(other, other_side) * 0.08 + UP * up

            def via(w: World, other=other, joint=joint, other_side=other_side) -> np.ndarray:
                return w.joint(other, joint) + w.side(other, other_side) * 0.4 + UP * 0.1

            def pole(w: World, pid=pid, side=side) -> np.ndarray:
                return hand_pole(w, pid, side, out=1.0, down=0.5, back=0.1)

            def fingers(w: World, other=other, other_side=other_side) -> np.ndarray:
                return -w.side(other, other_side) - 0.3 * w.forward(other)

            arms[pid][side] = ArmScript(weight.copy(), target, pole, via, ContactSpec(other, joint, region), fingers)
    a = PersonScript(ia, root_a, _const(t, 0.0), lean_curve, rock, look_at="B", arms=arms["A"])
    b = PersonScript(ib, root_b, _const(t, np.pi), lean_curve.copy(), -rock, look_at="A", arms=arms["B"])
    label = (f"{_approach_words(walker)} they hug: {high} wraps both arms around {low}'s upper back and "
             f"{low} wraps both arms around {high}'s middle back.")
    return Choreography({"A": a, "B": b}, label)


def high_five(rng: np.random.Generator, ia: BodyInfo, ib: BodyInfo, t: np.ndarray, duration: float) -> Choreography:
    double = bool(rng.random() < 0.3)
    a_sides = ["right", "left"] if double else [str(rng.choice(["right", "left"]))]
    lat = rng.uniform(0.12, 0.22)
    frac = 0.88
    mean_ph = 0.5 * (ia.pelvis_height + ib.pelvis_height)
    # no higher than the shorter person can reach while still reaching forward
    h = min([rng.uniform(0.7, 0.85)] + [(i.joint("right_shoulder") - i.rest_joints[0])[1] + i.pelvis_height - mean_ph
                                        + 0.75 * frac * i.arms["right"].reach for i in (ia, ib)])
    side_sign = {"left": 1.0, "right": -1.0}
    fa = min(forward_reach(ia, s, side_sign[s] * lat, h + mean_ph - ia.pelvis_height, frac) for s in a_sides)
    fb = min(forward_reach(ib, OTHER_SIDE[s], side_sign[OTHER_SIDE[s]] * lat, h + mean_ph - ib.pelvis_height, frac)
             for s in a_sides)
    gap = 0.05
    d = fa + fb + 2 * gap
    t_hit = duration * rng.uniform(0.45, 0.6)
    root_a, root_b, walker = _face_to_face(t, rng, d, t_hit - 0.4, rng.uniform(0.6, 1.4))
    weight = window(t, (t_hit - 0.55, t_hit), (t_hit + 0.17, t_hit + 0.7))
    arms_a, arms_b = {}, {}
    for s in a_sides:
        meet = (lambda w, s=s: _meeting(w, (fa + gap) / d, h, side_sign[s] * lat, np.zeros(len(t))))
        ta, tb = _palm_targets(meet, gap)
        arms_a[s] = ArmScript(weight.copy(), ta, lambda w, s=s: hand_pole(w, "A", s, 0.8, 1.0, 0.3),
                              contact=ContactSpec("B", f"{OTHER_SIDE[s]}_wrist", f"{OTHER_SIDE[s]} hand"),
                              hand_dir=lambda w: UP + 0.3 * w.forward("A"))
        bs = OTHER_SIDE[s]
        arms_b[bs] = ArmScript(weight.copy(), tb, lambda w, bs=bs: hand_pole(w, "B", bs, 0.8, 1.0, 0.3),
                               contact=ContactSpec("A", f"{s}_wrist", f"{s} hand"),
                               hand_dir=lambda w: UP + 0.3 * w.forward("B"))
    if double:
        what = "they high-five with both hands (A's right hand meets B's left, A's left hand meets B's right)."
    else:
        s = a_sides[0]
        what = f"they high-five: A's {s} hand slaps B's {OTHER_SIDE[s]} hand above their heads."
    a = PersonScript(ia, root_a, _const(t, 0.0), _const(t, 0.0), look_at="B", arms=arms_a)
    b = PersonScript(ib, root_b, _const(t, np.pi), _const(t, 0.0), look_at="A", arms=arms_b)
    return Choreography({"A": a, "B": b}, f"{_approach_words(walker)} {what}")


def push(rng: np.random.Generator, ia: BodyInfo, ib: BodyInfo, t: np.ndarray, duration: float) -> Choreography:
    lat = 0.11
    chest_h = ib.joint("spine3")[1] - ib.rest_joints[0, 1] + (ib.pelvis_height - ia.pelvis_height)
    fa = min(forward_reach(ia, s, lat, chest_h, 0.72) for s in ("left", "right"))
    d = fa + ib.front["spine3"] + 0.03
    t_contact = duration * rng.uniform(0.35, 0.45)
    t_push = t_contact + rng.uniform(0.3, 0.4)
    shove = rng.uniform(0.15, 0.22)
    stumble = rng.uniform(0.4, 0.8)
    root_a = _travel(t, _z(-min(rng.uniform(1.0, 1.6), APPROACH_SPEED * t_contact)), _z(0.0), 0.0, t_contact)
    root_a = root_a + _travel(t, _z(0.0), _z(shove), t_contact, t_push)
    root_b = _travel(t, _z(d), _z(d + shove), t_contact, t_push)
    root_b = root_b + _travel(t, _z(0.0), _z(stumble), t_push, t_push + rng.uniform(0.7, 1.0))
    weight = window(t, (t_contact - 0.45, t_contact), (t_push, t_push + 0.45))
    lean_a = 0.15 * window(t, (t_contact - 0.3, t_contact), (t_push, t_push + 0.5))
    lean_b = -0.18 * window(t, (t_contact, t_push), (t_push + 0.3, t_push + 1.2))
    arms = {}
    for side in ("left", "right"):
        other_side = OTHER_SIDE[side]

        def target(w: World, other_side=other_side) -> np.ndarray:
            return w.surface("B", "spine3", "front") + w.side("B", other_side) * lat - UP * 0.03

        arms[side] = ArmScript(weight.copy(), target, lambda w, side=side: hand_pole(w, "A", side, 0.5, 1.0, 0.6),
                               contact=ContactSpec("B", "spine3", "chest"),
                               hand_dir=lambda w: UP + 0.3 * w.forward("A"))
    a = PersonScript(ia, root_a, _const(t, 0.0), lean_a, look_at="B", arms=arms)
    b = PersonScript(ib, root_b, _const(t, np.pi), lean_b, look_at="A")
    return Choreography({"A": a, "B": b}, "A walks up to B and pushes B in the chest with both hands; "
                                         "B stumbles backwards.")


def _side_by_side(rng: np.random.Generator, t: np.ndarray, duration: float, b_side: str, spacing: float,
                  speed: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Roots of A and B (B on A's ``b_side``) walking the same gently curving path, and their heading."""
    heading = rng.uniform(-0.15, 0.15) * t
    centre = np.cumsum(speed * facing(heading), 0) / (len(t) / duration)
    to_b = left_of(heading) * (1.0 if b_side == "left" else -1.0)
    return centre - to_b * spacing / 2, centre + to_b * spacing / 2, heading


def walk_together(rng: np.random.Generator, ia: BodyInfo, ib: BodyInfo, t: np.ndarray,
                  duration: float) -> Choreography:
    holding = bool(rng.random() < 0.6)
    b_side = str(rng.choice(["left", "right"]))  # B walks on this side of A
    spacing = rng.uniform(0.5, 0.65) if holding else rng.uniform(0.6, 0.9)
    root_a, root_b, heading = _side_by_side(rng, t, duration, b_side, spacing, rng.uniform(0.9, 1.4))
    arms_a, arms_b = {}, {}
    if holding:
        a_hand, b_hand = b_side, OTHER_SIDE[b_side]  # the hands nearest each other

        def meet(w: World) -> np.ndarray:
            sa, sb = w.joint("A", f"{a_hand}_shoulder"), w.joint("B", f"{b_hand}_shoulder")
            mid = 0.5 * (w.joint("A", "pelvis") + w.joint("B", "pelvis")) + w.forward("A") * 0.08
            drop = np.inf
            for sh, info, hand in ((sa, ia, a_hand), (sb, ib, b_hand)):
                horiz = np.linalg.norm((mid - sh)[:, [0, 2]], axis=-1)
                drop = np.minimum(drop, np.sqrt(np.maximum((0.85 * info.arms[hand].reach) ** 2 - horiz ** 2, 0.01)))
            mid[:, 1] = 0.5 * (sa[:, 1] + sb[:, 1]) - drop
            return mid

        ta, tb = _palm_targets(meet, 0.04)
        ones = np.ones(len(t))
        arms_a[a_hand] = ArmScript(ones, ta, contact=ContactSpec("B", f"{b_hand}_wrist", f"{b_hand} hand"))
        arms_b[b_hand] = ArmScript(ones.copy(), tb, contact=ContactSpec("A", f"{a_hand}_wrist", f"{a_hand} hand"))
    a = PersonScript(ia, root_a, heading, _const(t, 0.03), arms=arms_a)
    b = PersonScript(ib, root_b, heading.copy(), _const(t, 0.03), arms=arms_b)
    label = f"A and B walk side by side, B on A's {b_side}"
    if holding:
        label += f", holding hands: A's {b_side} hand holds B's {OTHER_SIDE[b_side]} hand."
    else:
        label += ", without touching."
    return Choreography({"A": a, "B": b}, label)


def arm_around_shoulders(rng: np.random.Generator, ia: BodyInfo, ib: BodyInfo, t: np.ndarray,
                         duration: float) -> Choreography:
    b_side = str(rng.choice(["left", "right"]))  # B is on this side of A; A's arm on that side goes around B
    walking = bool(rng.random() < 0.6)
    sh_a = ia.joint(f"{b_side}_shoulder") - ia.rest_joints[0]
    sh_b = ib.joint(f"{b_side}_shoulder") - ib.rest_joints[0]
    rise = sh_b[1] + ib.pelvis_height + 0.06 - sh_a[1] - ia.pelvis_height
    # A's near shoulder → B's far shoulder spans spacing + |B's shoulder offset| − |A's| sideways and ``rise`` up
    reach = 0.93 * ia.arms[b_side].reach
    sideways = float(np.sqrt(max(reach ** 2 - rise ** 2, 0.09)))
    spacing = min(rng.uniform(0.38, 0.44), sideways - abs(sh_b[0]) + abs(sh_a[0]))
    root_a, root_b, heading = _side_by_side(rng, t, duration, b_side, spacing,
                                            rng.uniform(0.7, 1.1) if walking else 0.0)
    t_on = duration * rng.uniform(0.05, 0.3)
    weight = smoothstep(t, t_on, t_on + 0.7)
    arm = ArmScript(
        weight,
        lambda w: w.joint("B", f"{b_side}_shoulder") + UP * 0.06 - w.forward("B") * 0.02,
        lambda w: w.side("A", b_side) * 0.5 - w.forward("A") * 0.6 + UP * 0.2,
        lambda w: w.joint("B", "neck") - w.forward("B") * 0.2 + UP * 0.1,
        ContactSpec("B", f"{b_side}_shoulder", f"{b_side} shoulder"),
        lambda w: w.forward("B") - 0.6 * UP)
    a = PersonScript(ia, root_a, heading, _const(t, 0.03), arms={b_side: arm})
    b = PersonScript(ib, root_b, heading.copy(), _const(t, 0.03))
    verb = "walk" if walking else "stand"
    label = (f"A and B {verb} side by side, B on A's {b_side}, and A puts the {b_side} arm around B's shoulders: "
             f"A's {b_side} hand rests on B's {b_side} shoulder.")
    return Choreography({"A": a, "B": b}, label)


def wave(rng: np.random.Generator, ia: BodyInfo, ib: BodyInfo, t: np.ndarray, duration: float) -> Choreography:
    """Greeting from a distance: no contact (the infiller must also learn when hands do *not* touch)."""
    d = rng.uniform(2.0, 3.2)
    hands = {"A": str(rng.choice(["left", "right"])), "B": str(rng.choice(["left", "right"]))}
    starts = {"A": duration * rng.uniform(0.1, 0.25)}
    starts["B"] = starts["A"] + rng.uniform(0.5, 1.0)
    scripts = {}
    for pid, info, root, yaw in (("A", ia, _z(0.0), 0.0), ("B", ib, _z(d), np.pi)):
        side, t0 = hands[pid], starts[pid]
        weight = window(t, (t0, t0 + 0.5), (min(t0 + 2.0, duration - 0.5), min(t0 + 2.5, duration)))
        freq = rng.uniform(1.5, 2.5)

        def target(w: World, pid=pid, side=side, freq=freq) -> np.ndarray:
            sway = 0.1 * np.sin(2 * np.pi * freq * w.t)[:, None]
            return (w.joint(pid, f"{side}_shoulder") + UP * 0.32 + w.side(pid, side) * (0.22 + sway)
                    + w.forward(pid) * 0.1)

        arm = ArmScript(weight, target, lambda w, pid=pid, side=side: hand_pole(w, pid, side, 1.0, 1.0, 0.0),
                        hand_dir=lambda w: UP)
        other = "B" if pid == "A" else "A"
        scripts[pid] = PersonScript(info, np.tile(root, (len(t), 1)), _const(t, yaw), _const(t, 0.0),
                                    look_at=other, arms={side: arm})
    label = f"A waves at B with the {hands['A']} hand, and B waves back with the {hands['B']} hand."
    return Choreography(scripts, label)


def dance_hold(rng: np.random.Generator, ia: BodyInfo, ib: BodyInfo, t: np.ndarray, duration: float) -> Choreography:
    apart = sum(_leaned(i, "spine2", 0.02)[2] + i.front["spine2"] for i in (ia, ib)) + rng.uniform(0.08, 0.14)
    d = min(apart, reach_behind(ia, "right", ib, "spine3", 0.1, -0.03, 0.95, 0.02, 0.02))
    omega = rng.uniform(0.4, 0.9) * rng.choice([-1.0, 1.0])
    angle = omega * t
    axis = facing(angle)
    root_a, root_b = -axis * d / 2, axis * d / 2
    step_phase = 2 * np.pi * rng.uniform(0.8, 1.1) * t
    amp = _const(t, 0.35)
    reach_out = rng.uniform(0.3, 0.42)
    hand_up = rng.uniform(-0.05, 0.08)

    def meet(w: World) -> np.ndarray:  # A's left hand and B's right hand, out to A's left at shoulder height
        sa, sb = w.joint("A", "left_shoulder"), w.joint("B", "right_shoulder")
        p = 0.5 * (sa + sb) + w.left("A") * reach_out
        p[:, 1] += hand_up
        return p

    ta, tb = _palm_targets(meet, 0.05)
    ones = np.ones(len(t))
    arms_a = {
        "right": ArmScript(ones, lambda w: w.surface("B", "spine3", "back") + w.side("B", "left") * 0.1 - UP * 0.03,
                           lambda w: hand_pole(w, "A", "right", 1.0, 0.6, 0.0),
                           contact=ContactSpec("B", "spine3", "upper back"),
                           hand_dir=lambda w: -w.side("B", "left") - 0.3 * w.forward("B")),
        "left": ArmScript(ones.copy(), ta, lambda w: hand_pole(w, "A", "left", 0.6, 1.0, 0.2),
                          contact=ContactSpec("B", "right_wrist", "right hand")),
    }
    arms_b = {
        "right": ArmScript(ones.copy(), tb, lambda w: hand_pole(w, "B", "right", 0.6, 1.0, 0.2),
                           contact=ContactSpec("A", "left_wrist", "left hand")),
        "left": ArmScript(ones.copy(), lambda w: w.joint("A", "right_shoulder") + UP * 0.07 - w.forward("A") * 0.02,
                          lambda w: hand_pole(w, "B", "left", 0.8, 1.0, 0.0),
                          contact=ContactSpec("A", "right_shoulder", "right shoulder"),
                          hand_dir=lambda w: -UP - w.forward("A")),
    }
    a = PersonScript(ia, root_a, angle, _const(t, 0.02), step_phase=step_phase, step_amp=amp, look_at="B",
                     arms=arms_a)
    b = PersonScript(ib, root_b, angle + np.pi, _const(t, 0.02), step_phase=step_phase + np.pi, step_amp=amp.copy(),
                     look_at="A", arms=arms_b)
    label = ("A and B dance in a closed hold, turning slowly: A's right hand is on B's back, A's left hand holds "
             "B's right hand, and B's left hand rests on A's right shoulder.")
    return Choreography({"A": a, "B": b}, label)


def shoulder_tap(rng: np.random.Generator, ia: BodyInfo, ib: BodyInfo, t: np.ndarray,
                 duration: float) -> Choreography:
    side = str(rng.choice(["left", "right"]))
    sign = 1.0 if side == "left" else -1.0
    sh_b = ib.joint(f"{side}_shoulder") - ib.rest_joints[0]
    height = sh_b[1] + 0.07 + (ib.pelvis_height - ia.pelvis_height)
    d = forward_reach(ia, side, sh_b[0], height, 0.8) + sh_b[2]
    t_tap = duration * rng.uniform(0.4, 0.5)
    walk = min(rng.uniform(1.0, 1.6), APPROACH_SPEED * (t_tap - 0.2))
    root_a = _travel(t, _z(-d - walk), _z(-d), 0.0, t_tap - 0.2)
    root_b = np.zeros((len(t), 3))
    turn = smoothstep(t, t_tap + 0.25, t_tap + 1.25)
    yaw_b = sign * rng.uniform(2.6, 3.0) * turn
    turning = window(t, (t_tap + 0.2, t_tap + 0.4), (t_tap + 1.1, t_tap + 1.35))
    weight = window(t, (t_tap - 0.45, t_tap), (t_tap + 0.17, t_tap + 0.55))
    arm = ArmScript(weight, lambda w: w.joint("B", f"{side}_shoulder") + UP * 0.07 - w.forward("B") * 0.02,
                    lambda w: hand_pole(w, "A", side, 0.7, 1.0, 0.2),
                    contact=ContactSpec("B", f"{side}_shoulder", f"{side} shoulder"),
                    hand_dir=lambda w: w.forward("B") - 0.5 * UP)
    a = PersonScript(ia, root_a, _const(t, 0.0), _const(t, 0.0), look_at="B", arms={side: arm})
    b = PersonScript(ib, root_b, yaw_b, _const(t, 0.0), step_phase=2 * np.pi * 1.6 * t, step_amp=0.4 * turning)
    label = f"A walks up behind B and taps B's {side} shoulder with A's {side} hand; B turns around to face A."
    return Choreography({"A": a, "B": b}, label)


CHOREOGRAPHIES: dict[str, Callable[..., Choreography]] = {
    "handshake": handshake,
    "hug": hug,
    "high_five": high_five,
    "push": push,
    "walk_together": walk_together,
    "dance_hold": dance_hold,
    "shoulder_tap": shoulder_tap,
    "arm_around_shoulders": arm_around_shoulders,
    "wave": wave,
}
