"""off_plugins: Optical Flow guided Feature (OFF) for OpenMMLab toolboxes.

``pip install -e .[all]`` declares what each task needs; ``tools/install.sh``
installs the same set in the order that works (mmcv 2.1.0 is built from source
on CPU, and OpenCV's contrib build must be the ``cv2`` that wins, see there).
"""
from setuptools import find_packages, setup

# mmcv 2.1.0's build and mmengine's `mmaction::` base configs need
# pkg_resources (gone in setuptools 81); torch 2.13 needs >= 77.0.3.
SETUPTOOLS = 'setuptools>=77.0.3,<81'
ENGINE = ['mmengine==0.10.7', 'mmcv==2.1.0', SETUPTOOLS]
# TV-L1 optical flow is cv2.optflow, only in OpenCV's contrib build; mmcv
# depends on plain opencv-python, which ships the same cv2/ files without it.
OPENCV = 'opencv-contrib-python>=4.5'

EXTRAS = {
    # MMAction2 1.2.0 imports importlib_metadata without declaring it
    'action':
    ENGINE + [
        'mmaction2==1.2.0', 'importlib_metadata', 'decord==0.6.0', OPENCV,
        'matplotlib'
    ],
    'det':
    ENGINE + ['mmdet==3.3.0', 'pycocotools'],
    'restore':
    ENGINE + ['scikit-image', 'scipy', 'Pillow', 'scikit-video'],
    'tests': ['pytest', 'openmim'],
    'mim': ['openmim'],
}
EXTRAS['all'] = sorted({req for reqs in EXTRAS.values() for req in reqs})

setup(
    name='off_plugins',
    version='0.1.0',
    description='Optical Flow guided Feature (OFF) for MMAction2, MMDetection '
    'and video restoration on mmengine',
    license='Apache-2.0',
    packages=find_packages(include=['off_plugins', 'off_plugins.*']),
    python_requires='>=3.9',
    install_requires=['torch', 'numpy', 'mmengine==0.10.7'],
    extras_require=EXTRAS,
)
