#!/usr/bin/env bash
# Install off_plugins and its pinned toolbox stack into the active Python.
#
#   bash tools/install.sh            # CPU torch 2.13.0 (the default)
#
#   # GPU: torch 2.1 + CUDA 12.1, OpenMMLab's prebuilt mmcv 2.1.0 wheel
#   TORCH_SPEC="torch==2.1.2" TORCH_INDEX_URL=https://download.pytorch.org/whl/cu121 \
#   NUMPY_SPEC="numpy<2" \
#   MMCV_FIND_LINKS=https://download.openmmlab.com/mmcv/dist/cu121/torch2.1/index.html \
#   bash tools/install.sh
#
#   # GPU, any other CUDA torch: mmcv's CUDA ops built from source
#   TORCH_SPEC=... TORCH_INDEX_URL=... FORCE_CUDA=1 bash tools/install.sh
#
# Safe to run again: finished steps are skipped or resolve in seconds (pip keeps
# the mmcv wheel it built in its cache).
set -euo pipefail

PY=${PYTHON:-python}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
# torch wheels built against numpy 1.x (torch < 2.3) need NUMPY_SPEC="numpy<2"
NUMPY_SPEC=${NUMPY_SPEC:-numpy}
# torch 2.13 needs setuptools>=77.0.3; mmcv's setup.py and mmengine's
# `mmaction::` base configs need pkg_resources, gone in setuptools 81.
SETUPTOOLS='setuptools>=77.0.3,<81'
OPENCV_SPEC=${OPENCV_SPEC:-opencv-contrib-python}
PIP=("$PY" -m pip install --disable-pip-version-check)

step() { printf '\n[install] %s\n' "$*"; }

step "torch ($TORCH_SPEC) and build tools"
if [ -n "${TORCH_INDEX_URL:-}" ]; then
    "${PIP[@]}" "$TORCH_SPEC" --index-url "$TORCH_INDEX_URL"
else
    "${PIP[@]}" "$TORCH_SPEC"
fi
"${PIP[@]}" "$SETUPTOOLS" wheel ninja "$NUMPY_SPEC"

step "mmcv 2.1.0 with compiled ops (built from source; ~7 min the first time)"
if "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'" 2>/dev/null; then
    echo "mmcv 2.1.0 with ops already installed"
elif [ -n "${MMCV_FIND_LINKS:-}" ]; then
    # a prebuilt wheel only: fail rather than silently compile without CUDA
    "${PIP[@]}" mmcv==2.1.0 --only-binary=mmcv -f "$MMCV_FIND_LINKS"
else
    MMCV_WITH_OPS=1 FORCE_CUDA=${FORCE_CUDA:-0} MAX_JOBS=${MAX_JOBS:-2} \
        "${PIP[@]}" --no-build-isolation mmcv==2.1.0 "$SETUPTOOLS"
fi

step "OpenMMLab toolboxes, video/image I/O and test dependencies"
"${PIP[@]}" "$SETUPTOOLS" "$NUMPY_SPEC" mmengine==0.10.7 mmdet==3.3.0 mmaction2==1.2.0 \
    importlib_metadata decord==0.6.0 pycocotools scipy pytest scikit-video \
    scikit-image matplotlib

step "openmim (mim train / mim test) and the pre-commit hooks' tools"
# openmim's dependency opendatalab pulls openxlab, which pins setuptools 60
# (no longer builds for torch 2.13) and old requests/rich: mim itself never
# imports either, so openmim is installed without them.
"${PIP[@]}" --no-deps openmim==0.3.9
"${PIP[@]}" "$SETUPTOOLS" Click colorama model-index pandas requests rich \
    tabulate pre-commit flake8 isort==4.3.21 yapf

step "OpenCV's contrib build (TV-L1 optical flow lives in cv2.optflow)"
# mmcv depends on plain opencv-python, which writes the same cv2/ package
# without the contrib modules: whichever is installed last wins. Keep the plain
# one (it satisfies mmcv's requirement) and write the contrib build over it.
if "$PY" -c "import cv2; cv2.optflow.DualTVL1OpticalFlow_create" 2>/dev/null; then
    echo "cv2.optflow already available"
else
    "${PIP[@]}" --force-reinstall --no-deps "$OPENCV_SPEC"
fi

step "FFmpeg (JPEG2000 encoder for the restoration task)"
if command -v ffmpeg >/dev/null 2>&1; then
    echo "ffmpeg already installed"
elif command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg
else
    echo "ffmpeg not found and apt-get unavailable: install FFmpeg yourself;" \
         "the restoration tools fall back to Pillow's OpenJPEG encoder"
fi

step "off_plugins (editable)"
"${PIP[@]}" --no-build-isolation --no-deps -e .

step "check"
"$PY" -c "import off_plugins, mmcv.ops, mmdet.models, mmaction.models; print('off_plugins stack OK')"
"$PY" -c "import cv2; cv2.optflow.DualTVL1OpticalFlow_create; print('cv2', cv2.__version__, 'with cv2.optflow OK')"
"$PY" -c "import pkg_resources, setuptools; print('setuptools', setuptools.__version__, 'with pkg_resources OK')"
command -v mim >/dev/null && mim --version
