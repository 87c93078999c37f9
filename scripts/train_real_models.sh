#!/usr/bin/env bash
# Rebuild the engine's real-motion resources from the CMU folder (../shared/data/cmu): the motion library (the
# default infill prior) and the diffusion infiller trained on the training takes on a CPU; then the evaluation on
# the validation pair (choices) and, once, on the test pair. See resources/models/MODEL_CARD.md.
#   scripts/train_real_models.sh CMU_DIR [OUT_DIR] [LOCOMOTION_DIR]
set -euo pipefail
CMU=${1:?usage: scripts/train_real_models.sh CMU_DIR [OUT_DIR] [LOCOMOTION_DIR]}
OUT=${2:-runs/real}
LOCO=${3:-$CMU/../locomotion}
export OMP_NUM_THREADS=1
PY="${PYTHON:-.venv/bin/python}"
mkdir -p "$OUT"
# the library: every training pair, and the single takes (dance, martial arts, walks) matched to one person alone,
# at 30 fps (a minute)
"$PY" scripts/build_motion_library.py "cmu:$CMU:train" "$OUT/motion_library" --solo "cmu:$CMU:train" \
    "bvh:$LOCO/100style" "bvh:$LOCO/cmu_131" "bvh:$LOCO/cmu_02"
# the network: 35 minutes on the shared 2-core CPU (the learning rate anneals over the time budget)
"$PY" -m sm_studio train infiller --data "cmu:$CMU:train" --out "$OUT/infiller" \
    --config scripts/real_configs/infiller_cpu.json --steps 100000 --max-minutes 35
# choices on the validation pair only (library matches k, context, guidance; refiners; the network)
"$PY" docs/eval/real_cmu/val_choices/library_context_and_k.py 0,1
"$PY" docs/eval/real_cmu/val_choices/library_settings_and_refiners.py 0,1
"$PY" docs/eval/real_cmu/val_choices/network_infiller.py
# later choices: the training pairs each left out of the library, and the default on the validation pair
"$PY" docs/eval/real_cmu/val_choices/library_leave_one_take_out.py 0,1
"$PY" docs/eval/real_cmu/val_choices/final_default.py 0,1
cp "$OUT/motion_library.npz" resources/models/motion_library.npz
"$PY" scripts/ship_model.py "$OUT/infiller" resources/models/infiller
# final numbers, once, on the test pair with the shipped files and the engine's defaults
"$PY" -m sm_studio eval --data "cmu:$CMU:test" --seeds 3 --out docs/eval/real_cmu/test
