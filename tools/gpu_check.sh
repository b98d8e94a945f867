#!/usr/bin/env bash
# The project's GPU check: one CUDA GPU, CUDA PyTorch already installed, no
# internet and none of the OpenMMLab packages. About 5 minutes on one H100/H200.
#
#   bash tools/gpu_wheels.sh .whl                # once, on a connected machine
#   bash tools/gpu_check.sh [WHEEL_DIR] [OUT_DIR]  # on the GPU machine
#
# 1. installs the wheels of WHEEL_DIR (default .whl) into a private folder
#    (GPU_SITE, default /tmp/off_gpu_site) put first on PYTHONPATH; nothing
#    already installed is touched. Skipped where mmaction and mmengine import.
# 2. runs tests/test_cuda.py: CUDA against CPU numbers, bf16/fp16 autocast and
#    channels-last for the OFF core, the OFF neck/head in MMAction2's
#    Recognizer2D, PS-RoI pooling and DnCNN_OFF. Detection (OFFRFCN) needs
#    mmcv's compiled CUDA ops (MMDetection imports mmcv.ops at module level);
#    with mmcv-lite its test is skipped and says so.
# 3. tools/benchmark.py --device cuda --amp: TSN-R50 + OFF vs TSN-R50 on a
#    batch of 8 clips of 8 x 224 x 224 (frames/s of each, the ratio, GFLOPs,
#    peak memory), again with channels-last, and TSM-R50 + OFF vs MMAction2's
#    TSM-R50.
# 4. the main job (tools/main_job.py) on the GPU: stage 1 (TSN, 96 iterations)
#    and three stage 2 models (hypercolumn, OFF_T, OFF; 300 iterations each,
#    12 per epoch) through MMAction2's own tools, then all four tested.
# Every step has its own time limit and the script goes on after a failed
# step; the last lines summarise each step's exit code and seconds. Logs and
# JSON results go to OUT_DIR (default work_dirs/gpu_check).
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
WHEELS=${1:-.whl}
OUT_DIR=${2:-work_dirs/gpu_check}
SITE=${GPU_SITE:-/tmp/off_gpu_site}
PY=${PYTHON:-python3}
mkdir -p "$OUT_DIR"
exec > >(tee -a "$OUT_DIR/gpu_check.log") 2>&1
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg

SUMMARY=()
step() {  # step NAME SECONDS COMMAND...
    local name=$1 limit=$2 start rc
    shift 2
    echo; echo "=== [$name] $(date -u +%H:%M:%S) (limit ${limit} s): $*"
    start=$(date +%s)
    timeout "$limit" "$@"
    rc=$?
    SUMMARY+=("$(printf '%-16s exit %3s  %4s s' "$name" "$rc" $(( $(date +%s) - start )))")
    echo "=== [$name] exit $rc after $(( $(date +%s) - start )) s"
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
if ! "$PY" -c "import mmaction, mmengine" 2>/dev/null; then
    if ! ls "$WHEELS"/*.whl >/dev/null 2>&1; then
        echo "no wheels in $WHEELS: run 'bash tools/gpu_wheels.sh $WHEELS' on a connected machine"
        exit 2
    fi
    step wheels 120 "$PY" -m pip install -q --disable-pip-version-check --no-index \
        --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" "$WHEELS"/*.whl
    export PYTHONPATH="$SITE:$REPO${PYTHONPATH:+:$PYTHONPATH}"
else
    export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
fi

step stack 120 "$PY" - <<'PYEOF'
import importlib.util
import torch
import off_plugins  # noqa: F401  (compatibility fixes first)
import mmaction, mmcv, mmengine
import mmaction.models  # noqa: F401
print(f'torch {torch.__version__}, CUDA {torch.version.cuda}, '
      f'{torch.cuda.get_device_name(0)}, cuDNN {torch.backends.cudnn.version()}')
print(f'mmengine {mmengine.__version__}, mmcv {mmcv.__version__}, '
      f'mmaction2 {mmaction.__version__}')
try:
    import mmcv.ops  # noqa: F401
    print('mmcv.ops: importable')
except ImportError as err:
    print(f'mmcv.ops: not available ({err}); detection (MMDetection) is skipped')
print('mmdet:', 'installed' if importlib.util.find_spec('mmdet') else 'not installed')
PYEOF

step cuda-tests 300 "$PY" -m pytest tests/test_cuda.py -q -rs -p no:cacheprovider

TSN_OFF=configs/off_tsn/off-tsn_tsn-1x1x3-75e-pretrained-r50_4xb32-1x1x7-20k_ucf101-split1-rgb.py
TSN=configs/off_tsn/tsn_imagenet-pretrained-r50_8xb32-1x1x3-75e_ucf101-split1-rgb.py
TSM_OFF=configs/off_tsm/off-tsm_tsm-1x1x8-100e-pretrained-r50_8xb16-1x1x8-110e_kinetics400-rgb.py
TSM=mmaction::recognition/tsm/tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_kinetics400-rgb.py
BENCH=(--shape 8 8 224 224 --device cuda --amp --warmup 3 --repeats 20)
step bench-tsn 240 "$PY" tools/benchmark.py "$TSN_OFF" "$TSN" "${BENCH[@]}" \
    --off-options model.neck.test_num_segments=8 --min-throughput-ratio 0.8 \
    --max-flops-ratio 1.35 --json "$OUT_DIR/bench_tsn_amp.json"
step bench-tsn-cl 240 "$PY" tools/benchmark.py "$TSN_OFF" "$TSN" "${BENCH[@]}" \
    --channels-last --no-memory --off-options model.neck.test_num_segments=8 \
    --json "$OUT_DIR/bench_tsn_amp_channels_last.json"
step bench-tsm 240 "$PY" tools/benchmark.py "$TSM_OFF" "$TSM" "${BENCH[@]}" \
    --json "$OUT_DIR/bench_tsm_amp.json"

step main-job 300 "$PY" tools/main_job.py --work-dir work_dirs/gpu_main_job \
    --data-root data/offmotion
tar czf "$OUT_DIR/main_job_logs.tgz" --exclude='*.pth' -C work_dirs gpu_main_job 2>/dev/null
grep -h "Epoch(train)" work_dirs/gpu_main_job/off_train.log 2>/dev/null | tail -2

echo; echo "=== summary ($(date -u +%H:%M:%S))"
printf '%s\n' "${SUMMARY[@]}"
