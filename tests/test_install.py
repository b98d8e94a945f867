"""What tools/install.sh and setup.py promise: the OpenCV build with TV-L1,
pkg_resources for mmengine's `mmaction::` bases, openmim, declared extras."""
import importlib.metadata
import os.path as osp
import runpy
import shutil

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_cv2_is_the_contrib_build_with_tvl1():
    import cv2
    assert hasattr(cv2, 'optflow'), (
        f'cv2 {cv2.__version__} from {cv2.__file__} lacks cv2.optflow: plain '
        'opencv-python was installed over opencv-contrib-python; rerun '
        'tools/install.sh')
    tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
    assert hasattr(tvl1, 'calc')


def test_setuptools_still_has_pkg_resources():
    import pkg_resources  # noqa: F401
    major = int(importlib.metadata.version('setuptools').split('.')[0])
    assert 77 <= major < 81


def test_mim_is_installed():
    assert shutil.which('mim') is not None
    assert importlib.metadata.version('openmim')


def test_setup_declares_each_tasks_dependencies(monkeypatch):
    import setuptools
    seen = {}
    monkeypatch.setattr(setuptools, 'setup', lambda **kw: seen.update(kw))
    runpy.run_path(osp.join(ROOT, 'setup.py'))
    extras = seen['extras_require']
    assert {'action', 'det', 'restore', 'tests', 'all'} <= set(extras)

    def names(reqs):
        return {r.split('=')[0].split('>')[0].split('<')[0] for r in reqs}

    assert {'mmaction2', 'decord',
            'opencv-contrib-python'} <= names(extras['action'])
    assert 'mmdet' in names(extras['det'])
    assert {'scikit-image', 'scipy'} <= names(extras['restore'])
    assert 'pytest' in names(extras['tests'])
    for reqs in extras.values():
        assert set(reqs) <= set(extras['all'])
    assert seen['license'] == 'Apache-2.0'
    assert 'Apache License' in open(osp.join(ROOT, 'LICENSE')).read()


@pytest.mark.parametrize(
    'line',
    ['cv2.optflow.DualTVL1OpticalFlow_create', 'openmim', 'pre-commit'])
def test_install_script_installs_and_checks(line):
    assert line in open(osp.join(ROOT, 'tools', 'install.sh')).read()
