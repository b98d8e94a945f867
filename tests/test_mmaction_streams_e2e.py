"""RGB-diff and flow streams through MMAction2's own tools, then score fusion."""
import json
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest
import torch
from data_tools.flow import extract_flow_list
from data_tools.motion import MOTION_CLASSES
from test_mmaction_e2e import REPO, TOOLS, tool

CONFIGS = osp.join(REPO, 'configs', 'off_tsn')
FLOW1 = osp.join(CONFIGS, 'tsn_r18_1xb16-5x1x4-8e_offmotion-flow.py')
FLOW2 = osp.join(
    CONFIGS,
    'off-tsn_tsn-5x1x4-8e-pretrained-r18_1xb16-5x1x4-25e_offmotion-flow.py')
DIFF1 = osp.join(CONFIGS, 'tsn_r18_1xb16-5x1x4-8e_offmotion-rgbdiff.py')


@pytest.fixture(scope='module')
def data(tmp_path_factory, tiny_offmotion):
    root = str(tmp_path_factory.mktemp('offmotion') / 'data')
    shutil.copytree(tiny_offmotion, root)  # flow is extracted into it
    for split in ('train', 'val'):
        extract_flow_list(
            f'{root}/offmotion_{split}_list_videos.txt',
            f'{root}/videos',
            f'{root}/flow',
            out_list=f'{root}/offmotion_{split}_list_flow.txt',
            progress=False)
    return root


def train_and_dump(config, work, root, flow, **options):
    modality = 'flow' if flow else 'video'
    tool(
        'train.py',
        config,
        '--work-dir',
        str(work),
        data_root=root,
        modality=modality,
        **{'train_cfg.max_epochs': 1},
        **options)
    ckpt = str(work / 'epoch_1.pth')
    dump = str(work / 'preds.pkl')
    tool(
        'test.py',
        config,
        ckpt,
        '--work-dir',
        str(work / 'test'),
        '--dump',
        dump,
        data_root=root,
        modality=modality)
    return ckpt, dump


def test_flow_and_rgb_diff_streams_train_test_and_fuse(data, tmp_path):
    flow_ckpt, flow_dump = train_and_dump(FLOW1, tmp_path / 'flow', data, True)
    state = torch.load(flow_ckpt, weights_only=True)['state_dict']
    assert state['backbone.conv1.conv.weight'].shape[1] == 10  # 5 x (x, y)
    _, off_flow_dump = train_and_dump(
        FLOW2, tmp_path / 'off_flow', data, True, load_from=flow_ckpt)
    diff_ckpt, diff_dump = train_and_dump(DIFF1, tmp_path / 'diff', data,
                                          False)
    state = torch.load(diff_ckpt, weights_only=True)['state_dict']
    assert state['backbone.conv1.conv.weight'].shape[
        1] == 12  # 4 RGB differences

    out = str(tmp_path / 'fusion.json')
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'fuse_scores.py'), '--streams',
        f'flow={flow_dump}', f'off_flow={off_flow_dump}',
        f'rgbdiff={diff_dump}', '--combos', 'rgbdiff+off_flow', '--out', out
    ],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    with open(out) as f:
        rows = {row['combo']: row for row in json.load(f)['rows']}
    assert set(rows) == {'rgbdiff', 'off_flow', 'rgbdiff+off_flow'}
    assert all(r['num_videos'] == len(MOTION_CLASSES) for r in rows.values())

    # MMAction2's own fusion script agrees on the fused numbers
    report = subprocess.run([
        sys.executable,
        osp.join(TOOLS, 'analysis_tools', 'report_accuracy.py'), '--preds',
        diff_dump, off_flow_dump, '--coefficients', '1', '1'
    ],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert report.returncode == 0, report.stderr
    top1 = float(
        re.search(r'Top 1 Accuracy: ([0-9.]+)', report.stdout).group(1))
    assert abs(rows['rgbdiff+off_flow']['top1'] - top1) < 1e-4
