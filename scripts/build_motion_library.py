"""Build the motion library the infiller's ``prior="library"`` matches gaps against (motion_library.py).

    .venv/bin/python scripts/build_motion_library.py cmu:../shared/data/cmu:train resources/models/motion_library \\
        --solo cmu:../shared/data/cmu:train bvh:../shared/data/locomotion/100style \\
        bvh:../shared/data/locomotion/cmu_131 bvh:../shared/data/locomotion/cmu_02

The first spec's two-person takes are the pairs; ``--solo`` specs' single-person takes are matched to one person
alone (a hidden person's own motion: dance, martial arts, walks, runs, turns). Everything is resampled to 30 fps
like the networks' training data.
"""

from __future__ import annotations

import argparse
import sys

from inference.engine.dataset import clip_from_reconstruction, solo_clip
from inference.engine.motion_library import build_library, save_library
from inference.importers import dataset_sequences, dataset_single_people
from inference.motion import MotionError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="a dataset spec with two-person takes, e.g. cmu:DIR:train")
    parser.add_argument("out", help="path stem of the .npz to write")
    parser.add_argument("--solo", nargs="*", default=[], help="dataset specs whose single-person takes to add")
    parser.add_argument("--fps", type=float, default=30.0)
    args = parser.parse_args()
    try:
        clips = [clip_from_reconstruction(recon, text, name, fps=args.fps)
                 for name, recon, text in dataset_sequences(args.data)]
        solo = [solo_clip(person, rate, name, fps=args.fps)
                for spec in args.solo for name, person, rate, _ in dataset_single_people(spec)]
        library = build_library(clips, solo)
    except MotionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sources = " + ".join([args.data] + args.solo)
    path = save_library(library, args.out, f"{sources} at {args.fps:g} fps: {', '.join(library.names)}")
    print(f"wrote {path}: {library.num_frames} frames from {len(clips)} two-person and {len(solo)} one-person takes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
