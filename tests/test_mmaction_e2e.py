"""The main job's configs through MMAction2's own train/test tools: two stages,
exact resume, and the checks that stop a run on wrong weights or bad labels."""
import argparse
import os
import os.path as osp
import pickle
import shutil
import subprocess
import sys

import off_plugins.mmaction  # noqa: F401
import pytest
import torch
from data_tools.motion import MOTION_CLASSES
from job_tools.runs import (job_config, offmotion_data_options,
                            offmotion_data_settings)
from kill_at import killed_command
from mmaction.registry import MODELS
from mmaction.utils import register_all_modules
from mmengine.config import Config, DictAction
from off_plugins.utils import shipped_file

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
STAGE1 = osp.join(REPO,
                  'configs/off_tsn/tsn_r18_1xb16-1x1x4-8e_offmotion-rgb.py')
STAGE2 = osp.join(
    REPO, 'configs/off_tsn',
    'off-tsn_tsn-1x1x4-8e-pretrained-r18_1xb16-1x1x4-25e_offmotion-rgb.py')
FLOW1 = osp.join(REPO,
                 'configs/off_tsn/tsn_r18_1xb16-5x1x4-8e_offmotion-flow.py')
TOOLS = shipped_file('mmaction', 'tools')
register_all_modules(init_default_scope=False)


@pytest.fixture(scope='module')
def data(tiny_offmotion):
    return tiny_offmotion


def tool(name,
         *args,
         data_root,
         modality='video',
         fails=False,
         kill=None,
         **options):
    """Run one of MMAction2's shipped tools on the small data; return its output.

    ``fails``: the run must exit with an error (a traceback's last line is
    then returned alone, as the user reads it). ``kill``: SIGKILL the run at
    this file operation (:mod:`kill_at`); it must die there."""
    opts = (
        offmotion_data_options(data_root, modality) + [
            f'{split}_dataloader.num_workers=0'
            for split in ('train', 'val', 'test')
        ] + ['train_dataloader.batch_size=4'] +
        [f'{k}={v}' for k, v in options.items()])
    cmd = [
        sys.executable,
        osp.join(TOOLS, name), *args, '--cfg-options', *opts
    ]
    env = None
    if kill is not None:
        work_dir = args[args.index('--work-dir') + 1]
        cmd, env = killed_command(cmd[1], cmd[2:], work_dir, kill)
    proc = subprocess.run(
        cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    if kill is not None:
        assert proc.returncode == -9, proc.stdout[-3000:] + proc.stderr[-3000:]
        return proc.stdout + proc.stderr
    if fails:
        assert proc.returncode != 0, proc.stdout[-3000:]
        return proc.stderr.strip().splitlines()[-1]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def stage1(data, tmp_path_factory):
    """A one-epoch stage-1 TSN checkpoint."""
    tsn_dir = str(tmp_path_factory.mktemp('tsn'))
    tool(
        'train.py',
        STAGE1,
        '--work-dir',
        tsn_dir,
        data_root=data,
        **{'train_cfg.max_epochs': 1})
    ckpt1 = osp.join(tsn_dir, 'epoch_1.pth')
    assert osp.isfile(ckpt1)
    return ckpt1


def weights(path):
    return torch.load(path, weights_only=True)['state_dict']


def test_two_stages_train_resume_and_test(data, stage1, tmp_path):
    ckpt1, off_dir = stage1, str(tmp_path / 'off')

    # Two epochs, checkpoint every epoch, killed as epoch 2's is written.
    two_epochs = {
        'train_cfg.max_epochs': 2,
        'default_hooks.checkpoint.interval': 1
    }
    log = tool(
        'train.py',
        STAGE2,
        '--work-dir',
        off_dir,
        data_root=data,
        load_from=ckpt1,
        kill=('open', 'epoch_2.pth', None),
        **two_epochs)
    assert 'Load checkpoint from' in log
    first = torch.load(osp.join(off_dir, 'epoch_1.pth'), weights_only=True)
    stage1 = torch.load(ckpt1, weights_only=True)['state_dict']
    for k, v in stage1.items():  # the frozen backbone and TSN classifier
        if k.startswith(('backbone.', 'cls_head.fc_cls')):
            assert torch.equal(first['state_dict'][k], v), k

    log = tool(
        'train.py',
        STAGE2,
        '--work-dir',
        off_dir,
        '--resume',
        data_root=data,
        **two_epochs)
    assert 'resumed epoch: 1' in log
    resumed = torch.load(osp.join(off_dir, 'epoch_2.pth'), weights_only=True)
    assert resumed['meta']['epoch'] == 2
    assert "Restored the checkpoint's random generator states" in log

    # Resuming is exact: the same weights as two epochs without a stop
    # (sampling offsets and dropout draw from the restored random state).
    straight = str(tmp_path / 'straight')
    tool(
        'train.py',
        STAGE2,
        '--work-dir',
        straight,
        data_root=data,
        load_from=ckpt1,
        **two_epochs)
    expected = weights(osp.join(straight, 'epoch_2.pth'))
    for key, value in resumed['state_dict'].items():
        assert torch.equal(value, expected[key]), key

    dump = str(tmp_path / 'preds.pkl')
    log = tool(
        'test.py',
        STAGE2,
        osp.join(off_dir, 'epoch_2.pth'),
        '--work-dir',
        str(tmp_path / 'test'),
        '--dump',
        dump,
        data_root=data)
    assert 'acc/top1' in log
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == len(MOTION_CLASSES)
    for p in preds:
        assert p['pred_score'].shape == (len(MOTION_CLASSES), )
        assert abs(float(p['pred_score'].sum()) - 1) < 1e-4
    # Each score names its video, so that fusion can match streams by it.
    assert sorted(osp.basename(p['filename'])
                  for p in preds) == sorted(f'{name}_000.mp4'
                                            for name in MOTION_CLASSES)


# ------------------------------------------- wrong weights are refused


def test_stage2_resume_without_a_checkpoint_refuses_to_start(data, tmp_path):
    # MMAction2's train.py clears load_from under --resume; the empty work dir
    # has nothing to resume: the frozen backbone would stay random.
    last = tool(
        'train.py',
        STAGE2,
        '--work-dir',
        str(tmp_path),
        '--resume',
        data_root=data,
        fails=True)
    assert 'RuntimeError: training with frozen pretrained weights needs ' \
        'weights from a checkpoint (backbone.*, cls_head.fc_cls.*), but no ' \
        'checkpoint was loaded' in last
    assert not osp.exists(osp.join(tmp_path, 'epoch_1.pth'))


def test_stage2_refuses_a_checkpoint_of_another_modality(data, tmp_path):
    # A flow TSN: same keys, 10 input channels instead of 3.
    flow = Config.fromfile(FLOW1)
    state = MODELS.build(flow.model).state_dict()
    ckpt = str(tmp_path / 'flow_tsn.pth')
    torch.save(dict(state_dict=state, meta=dict()), ckpt)
    last = tool(
        'train.py',
        STAGE2,
        '--work-dir',
        str(tmp_path / 'w'),
        data_root=data,
        load_from=ckpt,
        fails=True)
    assert f'checkpoint {ckpt} does not hold the weights this model needs' \
        in last
    assert '0 missing' in last
    assert 'backbone.conv1.conv.weight (checkpoint [64, 10, 7, 7], model ' \
        '[64, 3, 7, 7])' in last


def test_testing_with_a_checkpoint_that_lacks_weights_fails(
        data, stage1, tmp_path):
    # The stage-1 checkpoint has no OFF sub-network: testing the OFF model
    # with it would score a random OFF branch.
    last = tool(
        'test.py',
        STAGE2,
        stage1,
        '--work-dir',
        str(tmp_path),
        data_root=data,
        fails=True)
    assert f'testing: checkpoint {stage1} does not hold the weights' in last
    assert 'missing: neck.' in last


# ------------------------------------------------------------ bad labels


def bad_list(data, tmp_path, line_no, new_line):
    """A copy of the val list with line ``line_no`` (1-based) replaced."""
    with open(osp.join(data, 'offmotion_val_list_videos.txt')) as f:
        lines = f.read().splitlines()
    lines[line_no - 1] = new_line
    path = str(tmp_path / 'bad_list.txt')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path, lines


def test_a_label_outside_the_classes_stops_the_test(data, stage1, tmp_path):
    with open(osp.join(data, 'offmotion_val_list_videos.txt')) as f:
        video = f.read().splitlines()[2].split()[0]
    path, _ = bad_list(data, tmp_path, 3, f'{video} 9')
    last = tool(
        'test.py',
        STAGE1,
        stage1,
        '--work-dir',
        str(tmp_path),
        data_root=data,
        fails=True,
        **{'test_dataloader.dataset.ann_file': path})
    assert f'{path}, line 3: label 9 is outside [0, 8)' in last


def test_a_line_without_label_stops_training(data, tmp_path):
    with open(osp.join(data, 'offmotion_val_list_videos.txt')) as f:
        video = f.read().splitlines()[4].split()[0]
    path, _ = bad_list(data, tmp_path, 5, video)
    last = tool(
        'train.py',
        STAGE1,
        '--work-dir',
        str(tmp_path / 'w'),
        data_root=data,
        fails=True,
        **{'train_dataloader.dataset.ann_file': path})
    assert f"{path}, line 5: no class label ('{video}')" in last


def test_neck_and_head_must_agree_on_the_classes(data, stage1, tmp_path):
    last = tool(
        'train.py',
        STAGE2,
        '--work-dir',
        str(tmp_path),
        data_root=data,
        fails=True,
        load_from=stage1,
        **{'model.neck.num_classes': 7})
    assert 'model.neck.num_classes (7) and model.cls_head.num_classes (8) ' \
        'differ' in last


def test_test_segments_that_cannot_split_the_clips_fail_before_training(
        data, stage1, tmp_path):
    # The evaluation pipelines give 8 frames per video; 3 does not divide 8.
    last = tool(
        'train.py',
        STAGE2,
        '--work-dir',
        str(tmp_path),
        data_root=data,
        fails=True,
        load_from=stage1,
        **{
            'model.neck.test_num_segments': 3,
            'train_cfg.max_epochs': 1
        })
    assert 'ValueError: the val pipeline gives 8 frames per video (clips x ' \
        'crops x segments), which do not split into views of ' \
        'model.neck.test_num_segments=3' in last
    assert not osp.exists(osp.join(tmp_path, 'epoch_1.pth'))  # no training


# ------------------------------------------------------ paths with spaces


def test_job_configs_keep_spaces_in_paths(data, stage1, tmp_path):
    spaced = str(tmp_path / 'my data')
    os.symlink(data, spaced)
    ckpt = str(tmp_path / 'my checkpoints' / 'stage 1.pth')
    os.makedirs(osp.dirname(ckpt))
    shutil.copy(stage1, ckpt)
    # What --cfg-options makes of such a path (mmengine's DictAction):
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    lost = parser.parse_args(['--cfg-options', f'load_from={ckpt}'])
    assert lost.cfg_options['load_from'] == ckpt.replace(' ', '')

    settings = dict(
        offmotion_data_settings(spaced), **{'test_dataloader.num_workers': 0})
    job = job_config(STAGE2, str(tmp_path / 'job configs' / 'stage 2.py'),
                     dict(settings, load_from=ckpt))
    cfg = Config.fromfile(job)
    assert cfg.load_from == ckpt
    assert cfg.test_dataloader.dataset.ann_file == \
        f'{spaced}/offmotion_val_list_videos.txt'
    assert cfg.model.neck.type == 'OFFNeck'  # the rest is inherited

    job = job_config(STAGE1, str(tmp_path / 'job configs' / 'stage 1.py'),
                     settings)
    proc = subprocess.run([
        sys.executable,
        osp.join(TOOLS, 'test.py'), job, ckpt, '--work-dir',
        str(tmp_path / 'test dir')
    ],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'acc/top1' in proc.stdout + proc.stderr
