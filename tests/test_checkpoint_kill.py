"""A training process SIGKILLed while it saves a checkpoint resumes exactly.

A real ``tools/train.py`` run of a shipped restoration config (tiny data) is
killed with SIGKILL at the precise moments of a save that matter
(:mod:`kill_at`): when the new checkpoint file is opened for writing, when the
complete temporary file is renamed into place, when ``last_checkpoint`` is
rewritten, and when the outdated checkpoint is deleted. ``--resume`` must then
continue and end with the weights of an uninterrupted run.
"""
import os
import os.path as osp
import subprocess
import sys

import off_plugins  # noqa: F401  (mmengine checkpoints under safe loading)
import pytest
import torch
from kill_at import killed_command
from test_restoration_helpers import make_vimeo

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TRAIN = osp.join(REPO, 'tools', 'train.py')
CONFIG = osp.join(REPO, 'configs', 'dncnn_off', 'demo',
                  'dncnn-d10c32_1xb2-96px_real-footage-jpeg2000.py')
EPOCHS = 3


def options(root):
    """--cfg-options for a CPU-sized run on the tiny folder ``root``."""
    opts = [
        'train_dataloader.batch_size=2', 'train_cfg.val_interval=1',
        f'train_cfg.max_epochs={EPOCHS}',
        'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=1', 'randomness.seed=0'
    ]
    for loader in ('train', 'val', 'test'):
        opts += [
            f'{loader}_dataloader.dataset.data_root={root}',
            f'{loader}_dataloader.dataset.data_prefix.lq='
            'sequences_jpeg2000_q20', f'{loader}_dataloader.num_workers=0',
            f'{loader}_dataloader.persistent_workers=False'
        ]
    return opts


def train(work, root, *extra, kill=None):
    """Run tools/train.py, until ``kill`` (:mod:`kill_at`) if given."""
    args = [
        CONFIG, '--work-dir', work, *extra, '--cfg-options', *options(root)
    ]
    cmd, env = ([sys.executable, TRAIN, *args],
                None) if kill is None else (killed_command(
                    TRAIN, args, work, kill))
    return subprocess.run(
        cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def weights(path):
    return torch.load(
        path, map_location='cpu', weights_only=True)['state_dict']


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('vimeo'))
    make_vimeo(root, h=24, w=24)
    return root


@pytest.fixture(scope='module')
def uninterrupted(data, tmp_path_factory):
    """Final weights of a run that was not killed."""
    work = str(tmp_path_factory.mktemp('uninterrupted'))
    proc = train(work, data)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return weights(osp.join(work, f'epoch_{EPOCHS}.pth'))


@pytest.mark.parametrize(
    'kill',
    [
        ('open', 'epoch_2.pth', None),  # new checkpoint opened for writing
        ('os.rename', 'epoch_2.pth',
         None),  # complete temp file, not renamed yet
        ('open', 'last_checkpoint',
         'epoch_2.pth'),  # new file in place, pointer old
        ('os.remove', 'epoch_1.pth',
         None),  # everything new, old not yet deleted
    ],
    ids=['opening-new', 'renaming-new', 'writing-pointer', 'deleting-old'])
def test_kill_during_a_save_then_resume_ends_as_uninterrupted(
        data, uninterrupted, tmp_path, kill):
    work = str(tmp_path / 'work')
    proc = train(work, data, kill=kill)
    assert proc.returncode == -9, (proc.returncode, proc.stderr[-3000:])

    with open(osp.join(work, 'last_checkpoint')) as f:
        recorded = f.read().strip()
    assert osp.basename(recorded) in ('epoch_1.pth', 'epoch_2.pth')
    assert weights(recorded)  # complete: it loads

    proc = train(work, data, '--resume')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not any('.tmp-' in name for name in os.listdir(work))
    final = weights(osp.join(work, f'epoch_{EPOCHS}.pth'))
    assert final.keys() == uninterrupted.keys()
    for key, value in uninterrupted.items():
        assert torch.equal(final[key], value), key
