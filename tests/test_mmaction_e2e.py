"""The main job's configs through MMAction2's own train/test tools, with resume."""
import os.path as osp
import pickle
import subprocess
import sys

import pytest
import torch

from off_plugins.jobs import offmotion_data_options
from off_plugins.toydata import MOTION_CLASSES, make_motion_dataset
from off_plugins.utils import shipped_file

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
STAGE1 = osp.join(REPO, 'configs/off_tsn/tsn_r18_1xb16-1x1x4-8e_offmotion-rgb.py')
STAGE2 = osp.join(REPO, 'configs/off_tsn/off-tsn_r18_1xb16-25e_offmotion-rgb.py')
TOOLS = shipped_file('mmaction', 'tools')


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('offmotion'))
    make_motion_dataset(root, {'train': 1, 'val': 1}, size=32, num_frames=16,
                        log=lambda msg: None)
    return root


def tool(name, *args, data_root, modality='video', **options):
    """Run one of MMAction2's shipped tools on the small data; return its output."""
    opts = ([f'{k}={v}' for k, v in options.items()] + ['train_dataloader.batch_size=4']
            + offmotion_data_options(data_root, modality)
            + [f'{split}_dataloader.num_workers=0' for split in ('train', 'val', 'test')])
    cmd = [sys.executable, osp.join(TOOLS, name), *args, '--cfg-options', *opts]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_two_stages_train_resume_and_test(data, tmp_path):
    tsn_dir, off_dir = str(tmp_path / 'tsn'), str(tmp_path / 'off')
    tool('train.py', STAGE1, '--work-dir', tsn_dir, data_root=data,
         **{'train_cfg.max_epochs': 1})
    ckpt1 = osp.join(tsn_dir, 'epoch_1.pth')
    assert osp.isfile(ckpt1)

    log = tool('train.py', STAGE2, '--work-dir', off_dir, data_root=data,
               load_from=ckpt1, **{'train_cfg.max_epochs': 1})
    assert 'Load checkpoint from' in log
    first = torch.load(osp.join(off_dir, 'epoch_1.pth'), weights_only=True)
    stage1 = torch.load(ckpt1, weights_only=True)['state_dict']
    for k, v in stage1.items():  # the frozen backbone and TSN classifier
        if k.startswith(('backbone.', 'cls_head.fc_cls')):
            assert torch.equal(first['state_dict'][k], v), k

    log = tool('train.py', STAGE2, '--work-dir', off_dir, '--resume',
               data_root=data, **{'train_cfg.max_epochs': 2})
    assert 'resumed epoch: 1' in log
    resumed = torch.load(osp.join(off_dir, 'epoch_2.pth'), weights_only=True)
    assert resumed['meta']['epoch'] == 2

    dump = str(tmp_path / 'preds.pkl')
    log = tool('test.py', STAGE2, osp.join(off_dir, 'epoch_2.pth'),
               '--work-dir', str(tmp_path / 'test'), '--dump', dump,
               data_root=data)
    assert 'acc/top1' in log
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == len(MOTION_CLASSES)
    for p in preds:
        assert p['pred_score'].shape == (len(MOTION_CLASSES), )
        assert abs(float(p['pred_score'].sum()) - 1) < 1e-4
