"""The offline GPU check stays runnable: valid shell, existing configs and
tests, and the same toolbox versions as the install script."""
import os.path as osp
import re
import subprocess

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def read(path):
    with open(osp.join(REPO, path)) as f:
        return f.read()


def test_scripts_parse():
    for script in ('tools/gpu_check.sh', 'tools/gpu_wheels.sh'):
        subprocess.run(['bash', '-n', osp.join(REPO, script)], check=True)


def test_every_path_it_runs_exists():
    text = read('tools/gpu_check.sh')
    paths = set(
        re.findall(r'((?:configs|tests|tools)/[\w./-]+\.(?:py|sh))', text))
    assert 'tests/test_cuda.py' in paths and 'tools/benchmark.py' in paths
    missing = sorted(p for p in paths if not osp.isfile(osp.join(REPO, p)))
    assert not missing, missing


def test_wheels_pin_the_installed_toolbox_versions():
    wheels, install = read('tools/gpu_wheels.sh'), read('tools/install.sh')
    for name in ('mmengine', 'mmaction2', 'decord'):
        pin = re.search(rf'{name}==([\d.]+)', install).group(1)
        assert f'{name}=={pin}' in wheels, name
    assert 'mmcv-lite==2.1.0' in wheels and 'mmcv==2.1.0' in install
