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


@pytest.fixture
def fake_motion_job(monkeypatch):
    """``job_tools.runs.motion_job`` replaced by one that resolves nothing:
    a run's recipe is ``'<model><<stage 1's recipe>'``. Returns the list of
    the models it was asked for, in order."""
    import job_tools.runs as runs
    calls = []

    def fake_job(repo,
                 variant,
                 seed,
                 model,
                 *,
                 data_root,
                 stage1=None,
                 input_size=None,
                 log=print):
        calls.append(model)
        size = '' if input_size is None else f'@{input_size}'
        return 'base', {}, (
            f'{model}{size}<{stage1["recipe"] if stage1 else ""}')

    monkeypatch.setattr(runs, 'motion_job', fake_job)
    return calls


@pytest.fixture
def fake_dataset(monkeypatch):
    """``make_motion_dataset`` returning the main job's manifest, so that
    ``motion_job`` resolves real configs without rendering videos."""
    import data_tools.motion as motion
    from data_tools.motion import MOTION_CLASSES
    manifest = dict(classes=list(MOTION_CLASSES), version=2)
    monkeypatch.setattr(motion, 'make_motion_dataset',
                        lambda *args, **kwargs: dict(manifest))
