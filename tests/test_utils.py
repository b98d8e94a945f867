"""Installed-package lookups (mmengine's get_installed_path) and atomic writes."""
import importlib.util
import os
import os.path as osp

import pytest
from off_plugins.utils import atomic_write_text, package_root, shipped_file


def test_package_root_matches_the_import_system():
    # distribution name (scikit-video) differs from the module name (skvideo)
    for name in ('skvideo', 'mmaction', 'mmdet'):
        spec = importlib.util.find_spec(name)
        assert package_root(name) == osp.dirname(spec.origin)


def test_shipped_file_points_at_the_wheels_mim_tools():
    assert osp.isfile(shipped_file('mmaction', 'tools', 'train.py'))
    assert osp.isfile(shipped_file('mmdet', 'tools', 'test.py'))


def test_missing_package_is_named():
    with pytest.raises(ModuleNotFoundError) as err:
        package_root('no_such_package_off')
    assert err.value.name == 'no_such_package_off'


def test_atomic_write_text_replaces_and_leaves_no_temporary(tmp_path):
    path = str(tmp_path / 'a.txt')
    atomic_write_text(path, 'one')
    atomic_write_text(path, 'two')
    assert open(path).read() == 'two'
    assert os.listdir(tmp_path) == ['a.txt']
