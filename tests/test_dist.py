"""Multi-process CPU training and testing (gloo) with the project's launchers.

The end-to-end test trains the main job's OFF config on a tiny generated
dataset with 2 processes and with 1 process at the same total batch, then
tests one checkpoint with 2 processes and with 1, through
``tools/dist_train.sh`` / ``tools/dist_test.sh`` and ``tools/test.py``.
"""
import importlib.util
import os
import os.path as osp
import pickle
import re
import shutil
import socket
import subprocess
import sys

import off_plugins  # noqa: F401  (first: toolbox compatibility)
import pytest
import torch
import torch.distributed as torch_dist
import torch.nn as nn
from mmengine.config import Config
from off_plugins.dist import (FreezeFirstDistributedDataParallel,
                              setup_launcher, slurm_environment)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def main_job_config(name: str) -> str:
    """A config of the main job, as ``tools/main_job.py`` names it."""
    spec = importlib.util.spec_from_file_location(
        'main_job', osp.join(REPO, 'tools', 'main_job.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return osp.join(REPO, getattr(module, name))


CONFIG = main_job_config('STAGE2')  # TSN + OFF, backbone frozen
NUM_VAL = 7  # odd: 2 processes need a padded sampler, evaluation must drop it
TOTAL_BATCH = 4  # 2 iterations over the 8 training videos


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run(cmd, log):
    env = dict(
        os.environ,
        PORT=str(free_port()),
        PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    with open(log, 'w') as f:
        proc = subprocess.run(
            cmd,
            cwd=REPO,
            env=env,
            stdout=f,
            stderr=subprocess.STDOUT,
            timeout=300)
    with open(log) as f:
        text = f.read()
    assert proc.returncode == 0, f'{cmd} failed:\n{text[-3000:]}'
    return text


def data_options(root, batch_size):
    """--cfg-options for a deterministic 1-epoch run on the tiny dataset.

    Deterministic: no shuffling, test-mode frame sampling in training, no
    flips and no dropout, so 1 and 2 processes see the same 8 clips and compute the same
    averaged gradient. Random init (no stage-1 checkpoint, so the config's
    requirement of a loaded backbone, ``custom_hooks[2]``, is lifted): the
    backbone is frozen with BN in eval mode, so per-process batches do not
    change BN.
    Plain SGD: Adam's first steps move every parameter by about +-lr whatever
    the gradient's size, so rounding noise in near-zero gradients would show.
    """
    videos = osp.join(root, 'videos')
    val = osp.join(root, 'val_subset.txt')
    opts = [
        f'train_dataloader.dataset.ann_file={root}/offmotion_train_list_videos.txt',
        f'train_dataloader.dataset.data_prefix.video={videos}',
        f'train_dataloader.batch_size={batch_size}',
        'train_dataloader.sampler.shuffle=False',
        'default_hooks.logger.interval=1',
        'train_dataloader.dataset.pipeline.1.test_mode=True',
        'train_dataloader.dataset.pipeline.1.test_segments=4',
        # no mirrored clips: both flips never fire
        'train_dataloader.dataset.pipeline.4.flip_ratio=0',
        'train_dataloader.dataset.pipeline.5.flip_ratio=0',
        'model.cls_head.dropout_ratio=0',
        'model.cls_head.off_dropout_ratio=0',
        'model.neck.aux_dropout=0',
        'model.neck.spatial_dropout=0',
        'optim_wrapper.optimizer.type=SGD',
        'optim_wrapper.optimizer.lr=0.05',
        'train_cfg.max_epochs=1',
        'train_cfg.val_interval=1',
        'load_from=None',
        'custom_hooks.2.required=()',
    ]
    for split in ('val', 'test'):
        opts += [
            f'{split}_dataloader.dataset.ann_file={val}',
            f'{split}_dataloader.dataset.data_prefix.video={videos}',
            f'{split}_dataloader.batch_size=2'
        ]
    opts += [f'{s}_dataloader.num_workers=0' for s in ('train', 'val', 'test')]
    return ['--cfg-options'] + opts


@pytest.fixture(scope='module')
def runs(tmp_path_factory, tiny_offmotion):
    """Train with 2 and 1 processes, test one checkpoint with 2 and 1."""
    tmp = tmp_path_factory.mktemp('dist')
    root = str(tmp / 'offmotion')
    shutil.copytree(tiny_offmotion, root)  # a val subset is written into it
    with open(osp.join(root, 'offmotion_val_list_videos.txt')) as f:
        lines = f.readlines()[:NUM_VAL]
    with open(osp.join(root, 'val_subset.txt'), 'w') as f:
        f.writelines(lines)
    out = {}
    for procs in (2, 1):
        opts = data_options(root, TOTAL_BATCH // procs)
        work = str(tmp / f'train{procs}')
        launcher = (['bash', 'tools/dist_train.sh', CONFIG,
                     str(procs)] if procs > 1 else
                    [sys.executable, 'tools/train.py', CONFIG])
        log = run(launcher + ['--work-dir', work] + opts, work + '.log')
        out[f'train{procs}'] = (log, osp.join(work, 'epoch_1.pth'))
    ckpt = out['train2'][1]
    for procs in (2, 1):
        dump = str(tmp / f'test{procs}.pkl')
        launcher = (['bash', 'tools/dist_test.sh', CONFIG, ckpt,
                     str(procs)] if procs > 1 else
                    [sys.executable, 'tools/test.py', CONFIG, ckpt])
        opts = data_options(root, TOTAL_BATCH // procs)
        log = run(
            launcher +
            ['--work-dir',
             str(tmp / f'test{procs}'), '--dump', dump] + opts, dump + '.log')
        with open(dump, 'rb') as f:
            out[f'test{procs}'] = (log, pickle.load(f))
    out['labels'] = [int(line.split()[1]) for line in lines]
    return out


def test_two_process_training_uses_gloo_ddp(runs):
    log, _ = runs['train2']
    assert 'Distributed training: True' in log
    assert "type='FreezeFirstDistributedDataParallel'" in log
    assert "backend='gloo'" in log
    # Two iterations: 2 processes x 2 clips, twice, cover the 8 videos; the
    # second fails if a frozen parameter sits in a DDP bucket.
    assert re.search(r'Epoch\(train\) \[1\]\[2/2\]', log)


def test_two_process_step_matches_one_process_same_total_batch(runs):
    """Two SGD steps on 2 x 2 clips (DDP averages) equal two on 1 x 4 clips."""
    norms = [
        re.findall(r'grad_norm: ([0-9.]+)', runs[k][0])
        for k in ('train1', 'train2')
    ]
    assert len(norms[0]) == 2 and norms[0] == norms[1]
    assert min(float(n) for n in norms[0]) > 0
    two = torch.load(runs['train2'][1], map_location='cpu')['state_dict']
    one = torch.load(runs['train1'][1], map_location='cpu')['state_dict']
    init_changed = 0
    for name, value in one.items():
        if not name.startswith(('neck.', 'cls_head.')):
            continue
        torch.testing.assert_close(
            two[name], value, rtol=1e-4, atol=1e-5, msg=f'{name} differs')
        init_changed += 1
    assert init_changed > 20


def test_evaluation_counts_every_sample_once(runs):
    for key in ('test1', 'test2'):
        log, results = runs[key]
        assert len(results) == NUM_VAL
        assert [int(r['gt_label'].item()) for r in results] == runs['labels']
    # The in-training evaluation with 2 processes scored 7 clips too.
    assert re.search(r'Epoch\(val\) \[1\]\[\d+/\d+\]\s+acc/top1',
                     runs['train2'][0])


def test_two_process_predictions_match_one_process(runs):
    one, two = runs['test1'][1], runs['test2'][1]
    for a, b in zip(one, two):
        torch.testing.assert_close(
            b['pred_score'], a['pred_score'], rtol=1e-4, atol=1e-6)
    top1 = [
        re.findall(r'acc/top1: ([0-9.]+)', runs[k][0])[-1]
        for k in ('test1', 'test2')
    ]
    assert top1[0] == top1[1]


def test_slurm_environment_maps_slurm_variables():
    env = dict(
        SLURM_PROCID='3',
        SLURM_NTASKS='4',
        SLURM_LOCALID='1',
        SLURM_NODELIST='node[1-2]',
        MASTER_ADDR='node1')
    assert slurm_environment(
        env, port=1234) == dict(
            RANK='3',
            LOCAL_RANK='1',
            WORLD_SIZE='4',
            MASTER_ADDR='node1',
            MASTER_PORT='1234')
    with pytest.raises(RuntimeError, match='SLURM_PROCID'):
        slurm_environment({'SLURM_NTASKS': '2'})


class FrozenInTrain(nn.Module):
    """Freezes its first layer in ``train()``, as ResNet's frozen_stages do."""

    def __init__(self):
        super().__init__()
        self.frozen, self.head = nn.Linear(2, 2), nn.Linear(2, 1)

    def train(self, mode: bool = True):
        super().train(mode)
        self.frozen.requires_grad_(False)
        return self

    def forward(self, x):
        return self.head(self.frozen(x))


def test_setup_launcher_cpu(monkeypatch):
    cfg = Config(dict(model_wrapper_cfg=dict(find_unused_parameters=True)))
    with pytest.raises(ValueError, match='launcher must be one of'):
        setup_launcher(cfg, 'mpi')
    assert setup_launcher(
        cfg, 'none').model_wrapper_cfg == dict(find_unused_parameters=True)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match='torchrun'):
        setup_launcher(cfg, 'pytorch')
    monkeypatch.setenv('RANK', '0')
    monkeypatch.setenv('WORLD_SIZE', '1')
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', str(free_port()))
    try:
        cfg = setup_launcher(cfg, 'pytorch')
        assert torch_dist.get_backend() == 'gloo'
        assert cfg.env_cfg.dist_cfg.backend == 'gloo'
        assert cfg.model_wrapper_cfg == dict(
            type='FreezeFirstDistributedDataParallel',
            find_unused_parameters=True)
        # The Runner wraps a model in eval mode and adds device ids; the
        # wrapper freezes first (so DDP's buckets hold trainable parameters
        # only; the 2-process test shows what goes wrong otherwise) and
        # drops the device ids of a CPU module.
        model = FrozenInTrain().eval()
        wrapped = FreezeFirstDistributedDataParallel(model, device_ids=[0])
        assert model.training and not model.frozen.weight.requires_grad
        assert wrapped.device_ids is None
    finally:
        torch_dist.destroy_process_group()
