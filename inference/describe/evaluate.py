"""How far the offline describer and the contact parser agree with the procedural generator's ground truth.

``python -m inference.describe.evaluate --per-kind 9 --first-seed 1000`` generates clips of every interaction kind
(``inference.generator``), describes each whole clip and reports:

* **kind accuracy** — the describer's interaction label against the clip's kind (with the confusions);
* **hand-contact precision/recall** — contact pairs ``(person, which hand, other person, touched part)``, the
  touched part coarse (``left hand``, ``right shoulder``, ``trunk``, …) so left/right errors count as misses; a
  hand-to-hand contact is one unordered pair, as both people touch each other;
* a **joints-only baseline** on the same pairs (a wrist near any joint of the other person touches that joint's
  part), to show what the capsule body surface adds;
* **frame IoU** of matched contacts, and how often the trunk region word (upper back, chest, …) equals the label's;
* **parser recall/precision** — the contact parser run on the generator's *label sentences* (human-style English
  written by another author), and on the describer's own short text, against the same pairs.

``--pose-noise DEG --transl-noise M`` perturb every frame first, a stand-in for a monocular estimate's jitter;
``--windows N`` also describes N random 1–2 s segments of each clip, as the app describes flagged segments.

Seeds below 1000 were used while tuning the thresholds; the default evaluation uses others.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Iterable, Optional

import numpy as np

from ..motion import Reconstruction
from ..skeleton import BODY_JOINT_NAMES, JOINT_INDEX
from ..segments import Segment
from .analysis import Contact
from .base import DescribeInput
from .contacts import ContactConstraint, parse_contacts
from .offline import OfflineDescriber, render, segment_bodies
from .parts import lookup

Pair = tuple  # hashable contact identity, see ``_pair``

_GROUP_OF_JOINT = {"wrist": "hand", "elbow": "arm", "shoulder": "shoulder", "collar": "shoulder", "hip": "leg",
                   "knee": "leg", "ankle": "leg", "foot": "leg"}
_TRUNK_WORDS = {"waist", "lower back", "middle back", "belly", "back", "chest", "upper back", "torso"}


def joint_group(joint: str) -> str:
    """A skeleton joint → coarse part ('left hand', 'right shoulder', 'trunk', 'head')."""
    if joint in {"pelvis", "spine1", "spine2", "spine3"}:
        return "trunk"
    if joint in {"neck", "head"}:
        return "head"
    side, _, rest = joint.partition("_")
    return f"{side} {_GROUP_OF_JOINT[rest]}"


def region_group(region: str, side: Optional[str]) -> str:
    """A describer region word → the same coarse parts as ``joint_group``."""
    if region in _TRUNK_WORDS:
        return "trunk"
    if region in {"neck", "head", "face"}:
        return "head"
    word = {"foot": "leg"}.get(region, region)
    return f"{side} {word}" if side else word


def _pair(person: str, joint: str, other: str, group: str) -> Pair:
    if group.endswith(" hand"):  # hand in hand: one unordered pair
        target = f"{group.split()[0]}_wrist"
        return tuple(sorted([(person, joint), (other, target)]))
    return (person, joint, other, group)


def truth_pairs(contacts: Iterable) -> dict[Pair, tuple[int, int, str]]:
    """Generator contacts → pair → (start, stop, region words)."""
    return {_pair(c.person, c.joint, c.other, joint_group(c.part)): (c.start, c.stop, c.region) for c in contacts}


def predicted_pairs(contacts: Iterable[Contact],
                    parts: tuple[str, ...] = ("hand",)) -> dict[Pair, tuple[int, int, str]]:
    """Active describer contacts of ``parts`` → pair → (start, stop, region word); an arm counts as its wrist,
    as the parser reads "A's arm is around B's waist". A hanging hand brushing a hip is no intended contact."""
    out: dict[Pair, tuple[int, int, str]] = {}
    for c in contacts:
        if c.part not in parts or c.passive:
            continue
        key = _pair(c.person, f"{c.side}_wrist", c.other, region_group(c.region, c.region_side))
        if key in out:  # the same pair touching twice: one span from the first start to the last stop
            s, e, r = out[key]
            out[key] = (min(s, c.start), max(e, c.stop), r)
        else:
            out[key] = (c.start, c.stop, c.region)
    return out


def parsed_pairs(constraints: Iterable[ContactConstraint]) -> set[Pair]:
    """Parser output → pairs (hand constraints only: the generator labels hands)."""
    out = set()
    for c in constraints:
        if c.joint.endswith("wrist"):
            first, _, rest = c.region.partition(" ")
            side, word = (first, rest) if first in {"left", "right"} else (None, c.region)
            out.add(_pair(c.person, c.joint, c.other, region_group(word, side)))
    return out


WINDOW_OVERLAP_S = 0.25  # a labelled contact must overlap a segment this long to count as in it
BASELINE_M = 0.16  # best of 0.08–0.25 m tried on the evaluation clips themselves (favours the baseline)


def joint_baseline_pairs(bodies: dict, min_frames: int = 3) -> set[Pair]:
    """The simple baseline: a wrist within ``BASELINE_M`` of any joint of the other person for ``min_frames``
    frames touches the part of the joint most often nearest (no body surface, no capsules)."""
    out: set[Pair] = set()
    for pid, other in (("A", "B"), ("B", "A")):
        for side in ("left", "right"):
            wrist = bodies[pid].joints[:, JOINT_INDEX[f"{side}_wrist"]]
            dist = np.linalg.norm(bodies[other].joints - wrist[:, None], axis=-1)  # (T, 22)
            close = dist.min(axis=1) < BASELINE_M
            if close.sum() >= min_frames:
                nearest = np.bincount(dist[close].argmin(axis=1)).argmax()
                out.add(_pair(pid, f"{side}_wrist", other, joint_group(BODY_JOINT_NAMES[nearest])))
    return out


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, truth: set, predicted: set) -> None:
        self.tp += len(truth & predicted)
        self.fp += len(predicted - truth)
        self.fn += len(truth - predicted)

    @property
    def precision(self) -> float:
        return self.tp / max(self.tp + self.fp, 1)

    @property
    def recall(self) -> float:
        return self.tp / max(self.tp + self.fn, 1)


@dataclass
class Report:
    clips: int = 0
    kind_correct: int = 0
    confusions: Counter = field(default_factory=Counter)
    per_kind: Counter = field(default_factory=Counter)
    per_kind_correct: Counter = field(default_factory=Counter)
    contacts: Tally = field(default_factory=Tally)
    baseline: Tally = field(default_factory=Tally)
    label_parser: Tally = field(default_factory=Tally)
    round_trip: Tally = field(default_factory=Tally)
    windows: int = 0
    window_contacts: Tally = field(default_factory=Tally)
    ious: list[float] = field(default_factory=list)
    trunk_words: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        n = max(self.clips, 1)
        out = [f"clips: {self.clips} ({self.seconds / n * 1000:.0f} ms each to describe)",
               f"interaction kind accuracy: {self.kind_correct}/{self.clips} = {self.kind_correct / n:.1%}"]
        for kind in sorted(self.per_kind):
            out.append(f"  {kind}: {self.per_kind_correct[kind]}/{self.per_kind[kind]}")
        for (truth, guess), count in sorted(self.confusions.items()):
            out.append(f"  confused {truth} -> {guess}: {count}")
        for name, t in (("hand contacts (describer vs generator)", self.contacts),
                        (f"baseline: wrist within {BASELINE_M:.2f} m of a joint", self.baseline),
                        ("parser on generator labels", self.label_parser),
                        ("parser on the describer's short text", self.round_trip)):
            out.append(f"{name}: precision {t.precision:.1%}, recall {t.recall:.1%} (tp {t.tp}, fp {t.fp}, fn {t.fn})")
        if self.windows:
            t = self.window_contacts
            out.append(f"hand contacts in {self.windows} random 1-2 s segments: precision {t.precision:.1%}, "
                       f"recall {t.recall:.1%} (tp {t.tp}, fp {t.fp}, fn {t.fn})")
        if self.ious:
            out.append(f"frame IoU of matched contacts: mean {sum(self.ious) / len(self.ious):.2f}")
        words = sum(self.trunk_words.values())
        if words:
            out.append(f"trunk region word equal to the label's: {self.trunk_words[True]}/{words}")
        return out


def perturb(recon: Reconstruction, rng: np.random.Generator, pose_deg: float, transl_m: float) -> Reconstruction:
    """Independent Gaussian noise on every joint rotation (axis-angle, ``pose_deg`` degrees per axis) and on the
    root translation (``transl_m`` metres), per frame: a stand-in for a monocular estimate's jitter."""
    people = []
    for p in recon.people:
        sigma = np.radians(pose_deg)
        people.append(replace(p, global_orient=p.global_orient + rng.normal(0, sigma, p.global_orient.shape),
                              body_pose=p.body_pose + rng.normal(0, sigma, p.body_pose.shape),
                              transl=p.transl + rng.normal(0, transl_m, p.transl.shape)))
    return recon.replace_people(*people)


def evaluate(kinds: Optional[Iterable[str]] = None, per_kind: int = 9, first_seed: int = 1000,
             pose_noise_deg: float = 0.0, transl_noise_m: float = 0.0, windows: int = 0) -> Report:
    """Describe each generated clip as one segment (and ``windows`` random 1–2 s segments of it) and tally."""
    from ..generator.clip import INTERACTION_KINDS, generate_clip

    describer = OfflineDescriber()
    report = Report()
    rng, window_rng = np.random.default_rng(0), np.random.default_rng(1)  # noise does not depend on --windows
    for kind in kinds or INTERACTION_KINDS:
        for seed in range(first_seed, first_seed + per_kind):
            clip = generate_clip(kind, seed, body=describer.body)
            recon = clip.reconstruction
            if pose_noise_deg > 0 or transl_noise_m > 0:
                recon = perturb(recon, rng, pose_noise_deg, transl_noise_m)
            _whole_clip(report, describer, clip, recon)
            for _ in range(windows):
                length = int(window_rng.uniform(1.0, 2.0) * recon.fps)
                start = int(window_rng.integers(0, recon.num_frames - length + 1))
                _window(report, describer, clip, recon, start, start + length)
    return report


def _whole_clip(report: Report, describer: OfflineDescriber, clip, recon: Reconstruction) -> None:
    t0 = time.perf_counter()
    an, _ = describer.analyse(DescribeInput(recon, Segment(0, recon.num_frames)))
    guess = an.kind()
    report.seconds += time.perf_counter() - t0
    text = render(an, guess)
    report.clips += 1
    report.per_kind[clip.kind] += 1
    if guess == clip.kind:
        report.kind_correct += 1
        report.per_kind_correct[clip.kind] += 1
    else:
        report.confusions[(clip.kind, guess)] += 1
    truth = truth_pairs(clip.contacts)
    pred = predicted_pairs(an.contacts)
    report.contacts.add(set(truth), set(pred))
    bodies = segment_bodies(recon, 0, recon.num_frames, describer.body)
    report.baseline.add(set(truth), joint_baseline_pairs(bodies))
    for key in set(truth) & set(pred):
        (s0, e0, word), (s1, e1, mine) = truth[key], pred[key]
        inter = max(0, min(e0, e1) - max(s0, s1))
        report.ious.append(inter / (max(e0, e1) - min(s0, s1)))
        if key[-1] == "trunk":
            report.trunk_words[lookup(word)[0] == lookup(mine)[0]] += 1
    report.label_parser.add(set(truth), parsed_pairs(parse_contacts(clip.label, 0, recon.num_frames)))
    stated = set(predicted_pairs(an.contacts, ("hand", "arm")))
    report.round_trip.add(stated, parsed_pairs(parse_contacts(text, 0, recon.num_frames)))


def _window(report: Report, describer: OfflineDescriber, clip, recon: Reconstruction, start: int, stop: int) -> None:
    """A segment inside the clip, as the app describes one: labelled contacts overlapping it by at least
    ``WINDOW_OVERLAP_S`` must be found; ones that only graze it (less) may be found or not."""
    an, _ = describer.analyse(DescribeInput(recon, Segment(start, stop)))
    need = WINDOW_OVERLAP_S * recon.fps
    overlap = [(c, min(c.stop, stop) - max(c.start, start)) for c in clip.contacts]
    truth = set(truth_pairs([c for c, o in overlap if o >= need]))
    grazing = set(truth_pairs([c for c, o in overlap if 0 < o < need])) - truth
    report.windows += 1
    report.window_contacts.add(truth, set(predicted_pairs(an.contacts)) - grazing)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=9, help="clips per interaction kind")
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--kinds", nargs="*", default=None)
    parser.add_argument("--pose-noise", type=float, default=0.0, help="per-frame joint rotation noise, degrees")
    parser.add_argument("--transl-noise", type=float, default=0.0, help="per-frame root translation noise, metres")
    parser.add_argument("--windows", type=int, default=0, help="random 1–2 s segments to describe per clip")
    args = parser.parse_args(argv)
    report = evaluate(args.kinds, args.per_kind, args.first_seed, args.pose_noise, args.transl_noise, args.windows)
    print("\n".join(report.lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
