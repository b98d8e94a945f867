#!/usr/bin/env bash
# Download, on a machine with internet, the pure-Python wheels that
# tools/gpu_check.sh installs on an offline GPU machine that has CUDA PyTorch
# but none of the OpenMMLab packages.
#
#   bash tools/gpu_wheels.sh [WHEEL_DIR] [PYTHON_VERSION]    # defaults: .whl 3.12
#
# mmcv-lite is mmcv 2.1.0 without compiled ops: MMAction2 runs on it (its two
# uses of mmcv.ops, TIN and the 3D RoI extractor, are imported lazily), while
# MMDetection imports mmcv.ops at module level and so needs a CUDA build of
# mmcv on the GPU machine (tools/gpu_check.sh skips detection without one).
# decord is the only binary wheel (manylinux2010, any Python 3).
set -euo pipefail
DEST=${1:-.whl}
PYVER=${2:-3.12}
mkdir -p "$DEST"
python -m pip download --disable-pip-version-check --no-deps --only-binary=:all: \
    --python-version "$PYVER" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform manylinux2010_x86_64 \
    --platform manylinux1_x86_64 -d "$DEST" \
    mmengine==0.10.7 mmcv-lite==2.1.0 mmaction2==1.2.0 decord==0.6.0 \
    'setuptools>=77.0.3,<81' addict yapf termcolor platformdirs \
    'importlib_metadata<9' zipp
ls -1 "$DEST"
du -sh "$DEST"
