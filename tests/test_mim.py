"""The configs as users run them through OpenMMLab's ``mim``: ``mim train
mmaction``, ``mim test mmaction --checkpoint`` (with MMAction2's ``--show-dir``
and ``--dump``) and ``mim train mmdet``, each on a few generated videos.

mim runs the toolbox's own ``tools/train.py`` / ``tools/test.py`` from its
wheel; the configs' ``custom_imports`` load ``off_plugins`` (here from the
repository, through ``PYTHONPATH``).
"""
import glob
import os
import os.path as osp
import pickle
import shutil
import subprocess

import cv2
import off_plugins.mmaction  # noqa: F401
import pytest
import torch
from job_tools.runs import offmotion_data_options
from mmaction.registry import MODELS
from mmaction.utils import register_all_modules
from mmengine.config import Config
from tool_loader import load_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
STAGE1 = osp.join(REPO,
                  'configs/off_tsn/tsn_r18_1xb16-1x1x4-8e_offmotion-rgb.py')
STAGE2 = osp.join(
    REPO, 'configs/off_tsn',
    'off-tsn_tsn-1x1x4-8e-pretrained-r18_1xb16-1x1x4-25e_offmotion-rgb.py')
RFCN = osp.join(REPO,
                'configs/rfcn_off/rfcn-off-ms_r18-tiny_1xb4-400it_toyvid.py')
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
SERIAL = ([f'{loader}.num_workers=0' for loader in LOADERS] +
          [f'{loader}.persistent_workers=False' for loader in LOADERS])

pytestmark = pytest.mark.skipif(
    shutil.which('mim') is None, reason='openmim is not installed')


def mim(*args):
    """Run ``mim ARGS`` with this repository importable; return its output."""
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [REPO] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
    proc = subprocess.run(['mim', *args],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def assert_png(path):
    with open(path, 'rb') as f:
        data = f.read()
    assert data[:8] == PNG_SIGNATURE and len(data) > 100, path
    img = cv2.imread(path)
    assert img is not None and img.ndim == 3 and img.size > 0, path
    return img


@pytest.fixture(scope='module')
def offmotion(tiny_offmotion):
    return tiny_offmotion


def test_mim_train_and_test_mmaction_with_show_dir_and_dump(
        offmotion, tmp_path):
    # a stage-1 TSN checkpoint (random weights) for the stage-2 OFF config
    register_all_modules(init_default_scope=False)
    tsn = MODELS.build(Config.fromfile(STAGE1).model)
    stage1 = str(tmp_path / 'tsn.pth')
    torch.save(dict(state_dict=tsn.state_dict()), stage1)

    data = offmotion_data_options(offmotion, 'video') + SERIAL
    work = str(tmp_path / 'off')
    log = mim('train', 'mmaction', STAGE2, '--gpus', '0', '--work-dir', work,
              '--cfg-options', *data, f'load_from={stage1}',
              'train_dataloader.batch_size=4', 'train_cfg.max_epochs=1',
              'train_cfg.val_interval=10')
    assert 'Load checkpoint from' in log
    ckpt = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(ckpt)

    show_dir, dump = str(tmp_path / 'vis'), str(tmp_path / 'preds.pkl')
    log = mim('test', 'mmaction', STAGE2,
              '--checkpoint', ckpt, '--gpus', '0', '--work-dir',
              str(tmp_path / 'test'), '--show-dir', show_dir, '--dump', dump,
              '--cfg-options', *data, 'test_dataloader.dataset.indices=2')
    assert 'acc/top1' in log
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 2 and preds[0]['pred_score'].shape == (8, )
    # MMAction2's ActionVisualizer: one PNG a drawn segment, per video
    pngs = sorted(glob.glob(osp.join(show_dir, '*', 'frames_0', '*.png')))
    assert pngs, os.listdir(show_dir)
    assert_png(pngs[0])


def test_mim_train_mmdet_toy_detector(tmp_path):
    toy = load_tool('vid/make_toy_vid.py')
    root = str(tmp_path / 'toyvid')
    toy.generate_split(root, 'train', videos=2, frames=4, seed=0)
    toy.generate_split(root, 'val', videos=1, frames=3, seed=1)
    work = str(tmp_path / 'rfcn')
    mim('train', 'mmdet', RFCN, '--gpus', '0', '--work-dir', work,
        '--cfg-options', f'train_dataloader.dataset.data_root={root}/',
        f'val_dataloader.dataset.data_root={root}/',
        f'val_evaluator.ann_file={root}/annotations/val.json',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=10',
        'default_hooks.checkpoint.interval=2', *SERIAL)
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
