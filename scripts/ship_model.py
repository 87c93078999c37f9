"""Copy a trained model into resources/models/ for shipping: weights stored as float16, statistics as float32.

    .venv/bin/python scripts/ship_model.py /tmp/gpu/infiller_large resources/models/infiller

Half-precision storage halves the file (the large infiller: 14 → 7 MB); the model is float32 again once loaded,
and the shipped evaluation (docs/eval/) is measured on the stored file, rounding included.
"""

from __future__ import annotations

import argparse
import sys

import torch

from inference.engine.checkpoint import load_model, save_model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="model path stem written by sm-studio train")
    parser.add_argument("target", help="model path stem to write, e.g. resources/models/infiller")
    args = parser.parse_args()
    model, info = load_model(args.source)
    info = {**info, "stored_weights": "float16 (statistics float32)", "source": str(args.source)}
    save_model(model, args.target, info, weights_dtype=torch.float16)
    print(f"wrote {args.target}.safetensors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
