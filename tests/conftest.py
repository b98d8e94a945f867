"""Test-suite settings and fixtures shared by the test files."""
import pytest


def pytest_configure(config):
    config.addinivalue_line(
        'markers',
        'slow: minutes, not seconds; still part of `python -m pytest tests` '
        '(deselect with -m "not slow")')


@pytest.fixture(scope='session')
def tiny_offmotion(tmp_path_factory):
    """A generated motion dataset in MMAction2's layout, one video a class in
    train and val, 32 px, 16 frames; read-only for the tests that share it."""
    from data_tools.motion import make_motion_dataset
    root = str(tmp_path_factory.mktemp('offmotion'))
    make_motion_dataset(
        root, {
            'train': 1,
            'val': 1
        },
        size=32,
        num_frames=16,
        log=lambda msg: None)
    return root
