"""tools/smoke_fullsize.py: every paper-scale config trained and tested at
full size, with the toolboxes' own tools, on fake data in the real layout."""
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
from data_tools import fake_datasets
from mmengine.config import Config
from off_plugins.utils import shipped_file
from tool_loader import load_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
smoke = load_tool('smoke_fullsize.py')
fake = fake_datasets

UCF_TSN = 'tsn_imagenet-pretrained-r50_8xb32-1x1x3-75e_ucf101-split{}-rgb'
HMDB_TSN = 'tsn_imagenet-pretrained-r50_8xb32-1x1x3-75e_hmdb51-split1-rgb'
UCF_OFF7 = ('off-tsn_tsn-1x1x3-75e-pretrained-r50_4xb32-1x1x7-20k_'
            'ucf101-split{}-rgb')
UCF_OFF3 = ('off-tsn_tsn-1x1x3-75e-pretrained-r50_4xb32-1x1x3-20k_'
            'ucf101-split1-rgb')
HYPERCOLUMN = ('hypercolumn-tsn_tsn-1x1x3-75e-pretrained-r50_4xb32-1x1x3-20k_'
               'ucf101-split1-rgb')
OFF_TSM = ('off-tsm_tsm-1x1x8-100e-pretrained-r50_8xb16-1x1x8-110e_'
           'kinetics400-rgb')
TSM_RELEASED = 'tsm_imagenet-pretrained-r50_8xb16-1x1x8-100e_kinetics400-rgb'
RFCN_MS = 'rfcn-off-ms_r101_4xb1-220k_imagenetvid'
DNCNN = 'dncnn-off3_4xb7-50e_vimeo90k-jpeg2000-q{}'
STHV2_TSM = 'recognition/tsm/tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_sthv2-rgb.py'


def shipped_configs():
    return {
        osp.splitext(osp.basename(p))[0]: p
        for p in glob.glob(
            osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    }


@pytest.fixture(scope='module')
def plans():
    shipped = shipped_configs()
    plans = {}
    for name in (UCF_TSN.format(1), UCF_TSN.format(2),
                 UCF_TSN.format(3), HMDB_TSN, UCF_OFF7.format(1),
                 UCF_OFF7.format(2), UCF_OFF3, HYPERCOLUMN, OFF_TSM, RFCN_MS,
                 DNCNN.format(20), DNCNN.format(40)):
        smoke.make_plan(shipped[name], shipped, plans)
    for plan in plans.values():
        assert plan.error is None, (plan.name, plan.error)
    return plans


def test_globs_pick_every_paper_scale_config():
    """Every config of the four task folders runs, except the CPU demos'."""
    found = {osp.relpath(p, REPO) for p in smoke.find_configs()}
    every = {
        osp.relpath(p, REPO)
        for folder in ('off_tsn', 'off_tsm', 'rfcn_off', 'dncnn_off')
        for p in glob.glob(osp.join(REPO, 'configs', folder, '*.py'))
    }
    demos = {p for p in every if re.search(r'offmotion|toyvid', p)}
    assert demos and found == every - demos


def test_runs_are_shared_only_by_configs_that_differ_in_paths(plans):
    fp = {name: plan.fingerprint for name, plan in plans.items()}
    # the splits of a dataset, and the two JPEG2000 qualities, share a run
    assert fp[UCF_TSN.format(1)] == fp[UCF_TSN.format(2)] == fp[UCF_TSN.format(
        3)]
    assert fp[UCF_OFF7.format(1)] == fp[UCF_OFF7.format(2)]
    assert fp[DNCNN.format(20)] == fp[DNCNN.format(40)]
    # 101 vs 51 classes, 3 vs 7 segments, OFF vs hypercolumn do not
    assert fp[UCF_TSN.format(1)] != fp[HMDB_TSN]
    assert fp[UCF_OFF3] != fp[UCF_OFF7.format(1)]
    assert fp[UCF_OFF3] != fp[HYPERCOLUMN]
    # each split's stage 2 loads its own split's stage 1
    assert plans[UCF_OFF7.format(2)].stage1 == UCF_TSN.format(2)
    # a released checkpoint is made by the toolbox config of its name
    assert plans[OFF_TSM].stage1 == TSM_RELEASED
    assert plans[
        TSM_RELEASED].display == f'mmaction::recognition/tsm/{TSM_RELEASED}.py'


ALLOWED_OPTIONS = (
    r'(train|val|test)_dataloader\.dataset(\.datasets\.\d+)?\.'
    r'(data_root|ann_file|data_prefix\.\w+)',
    r'(val|test)_evaluator\.ann_file',
    r'(train|val|test)_dataloader\.(batch_size|num_workers|persistent_workers)',
    r'train_cfg\.(max_iters|max_epochs)',
    r'model(\.\w+)*\.(pretrained|pretrained2d|init_cfg)',
)


@pytest.mark.parametrize(
    'name',
    [UCF_OFF7.format(1), OFF_TSM, TSM_RELEASED, RFCN_MS,
     DNCNN.format(40)])
def test_options_change_only_paths_downloads_batch_and_length(plans, name):
    plan = plans[name]
    options = dict(smoke.data_options(plan, '/fake'), **plan.options)
    for key in options:
        assert any(re.fullmatch(p, key) for p in ALLOWED_OPTIONS), key
    for key, value in options.items():
        if re.search(r'data_root|ann_file|data_prefix', key):
            assert value.startswith('/fake/data/'), (key, value)
    cfg = Config.fromfile(plan.path)
    changed = Config.fromfile(plan.path)
    changed.merge_from_dict(options)
    for loader in smoke.DATALOADERS:  # real input size, segments, crops
        assert changed[loader].dataset.get(
            'pipeline') == cfg[loader].dataset.get('pipeline')
        assert changed[loader].batch_size == 1
    for part in ('neck', 'cls_head', 'roi_head', 'rpn_head'):
        assert changed.model.get(part) == cfg.model.get(part)
    assert changed.optim_wrapper == cfg.optim_wrapper
    assert changed.param_scheduler == cfg.param_scheduler


def test_downloads_and_schedule_switched_as_documented(plans):
    tsm = plans[TSM_RELEASED].options
    assert tsm['model.backbone.pretrained'] is None
    assert tsm['model.backbone.pretrained2d'] is False
    assert tsm['train_cfg.max_epochs'] == 1
    rfcn = plans[RFCN_MS]
    assert rfcn.options['model.backbone.init_cfg'] is None
    assert rfcn.options['train_cfg.max_iters'] == smoke.TRAIN_ITERS
    paths = smoke.data_options(rfcn, '/fake')
    assert paths['train_dataloader.dataset.data_root'] == '/fake/data/ILSVRC/'
    assert paths[
        'val_evaluator.ann_file'] == '/fake/data/ILSVRC/annotations/imagenet_vid_val.json'
    # OFF-TSM's own backbone downloads nothing: nothing to switch off
    assert not any('pretrained' in k for k in plans[OFF_TSM].options)


def test_members_of_a_concat_dataset_are_pointed_at_one_by_one():
    cfg = Config(
        dict(
            train_dataloader=dict(
                dataset=dict(
                    type='ConcatDataset',
                    datasets=[
                        dict(
                            type='CocoDataset',
                            data_root='data/coco/',
                            ann_file='annotations/train.json'),
                        dict(
                            type='VideoDataset',
                            ann_file='data/k/list.txt',
                            data_prefix=dict(video='data/k/videos'))
                    ]))))
    refs = smoke.dataset_refs(cfg)
    assert [(r.key, r.dataset, r.form) for r in refs
            ] == [('train_dataloader.dataset.datasets.0', 'coco', None),
                  ('train_dataloader.dataset.datasets.1', 'k', 'videos')]
    plan = smoke.Plan(
        name='cfg', path='cfg.py', toolbox='mmdet', datasets=refs)
    assert smoke.data_options(plan, '/fake') == {
        'train_dataloader.dataset.datasets.0.data_root':
        '/fake/data/coco/',
        'train_dataloader.dataset.datasets.1.ann_file':
        '/fake/data/k/list.txt',
        'train_dataloader.dataset.datasets.1.data_prefix.video':
        '/fake/data/k/videos'
    }
    cfg.train_dataloader.dataset.datasets[0].data_root = 'elsewhere/'
    with pytest.raises(ValueError, match='cannot tell the dataset'):
        smoke.dataset_refs(cfg)


def write_flow_frames(root, names):
    frames = osp.join(root, 'data', 'ds', 'flow', 'Class', 'v_1')
    os.makedirs(frames)
    for name in names:
        open(osp.join(frames, name), 'w').close()
    with open(osp.join(root, 'data', 'ds', 'list_flow.txt'), 'w') as f:
        f.write('Class/v_1 2 0\n')


def test_check_data_names_what_the_config_cannot_read(tmp_path):
    root = str(tmp_path)
    write_flow_frames(
        root, ['x_00001.jpg', 'y_00001.jpg', 'x_00002.jpg', 'y_00002.jpg'
               ])  # tools/extract_flow.py's names
    ref = smoke.DatasetRef(
        key='train_dataloader.dataset',
        type='RawframeDataset',
        dataset='ds',
        ann_file='data/ds/list_flow.txt',
        data_root='',
        data_prefix=dict(img='data/ds/flow'),
        modality='Flow',
        filename_tmpl='{}_{:05d}.jpg')
    plan = smoke.Plan(
        name='cfg', path='cfg.py', toolbox='mmaction', datasets=[ref])
    assert smoke.check_data(plan, root) == []
    ref.filename_tmpl = 'flow_{}_{:05d}.jpg'  # denseflow's names
    problems = smoke.check_data(plan, root)
    assert len(problems) == 4
    assert problems[0].endswith('Class/v_1/flow_x_00001.jpg is missing')
    ref.ann_file = 'data/ds/list_rawframes.txt'
    assert smoke.check_data(plan, root) == [
        f'cfg: train_dataloader.dataset.ann_file {root}/data/ds/'
        'list_rawframes.txt is missing'
    ]


def test_run_command_reports_the_error_line_peak_memory_and_timeout(tmp_path):
    log = str(tmp_path / 'log')
    result = smoke.run_command([
        sys.executable, '-c', 'import numpy as np; a = np.ones(50_000_000); '
        'print("working"); raise ValueError("bad value")'
    ], log)
    assert not result['ok']
    assert result['error'] == 'ValueError: bad value'
    assert result['max_rss_gib'] > 0.37  # the 400 MB array
    result = smoke.run_command(
        [sys.executable, '-c', 'import time; time.sleep(60)'], log, timeout=1)
    assert result['error'] == 'timed out after 1 s'


def test_fake_sthv2_in_mmaction_layout_feeds_its_own_config(tmp_path):
    """MMAction2's TSM Something-Something V2 config reads the fake videos
    and rawframes that its own preparation scripts listed."""
    root = str(tmp_path)
    made = fake.make_dataset(
        root, 'sthv2', ['videos', 'rawframes'], log=lambda msg: None)
    assert made['paths'] == ['data/sthv2']
    with open(osp.join(root, 'data/sthv2/sthv2_train_list_videos.txt')) as f:
        assert sorted(
            f.read().split('\n')) == ['', '42326.webm 1', '78687.webm 0']
    with open(osp.join(root, 'data/sthv2/sthv2_val_list_rawframes.txt')) as f:
        assert f.read() == '74225 48 1\n'
    config = osp.join(shipped_file('mmaction', 'configs'), STHV2_TSM)
    plan = smoke.make_plan(config, {}, {})
    assert plan.error is None
    assert {r.dataset for r in plan.datasets} == {'sthv2'}
    assert smoke.check_data(plan, root) == []
    rawframes = smoke.DatasetRef(
        key='val_dataloader.dataset',
        type='RawframeDataset',
        dataset='sthv2',
        ann_file='data/sthv2/sthv2_val_list_rawframes.txt',
        data_root='',
        data_prefix=dict(img='data/sthv2/rawframes'))
    plan.datasets = [rawframes]
    assert smoke.check_data(plan, root) == []
    # complete: made again only when asked for more
    assert fake.make_dataset(
        root, 'sthv2', ['rawframes'], log=lambda msg: pytest.fail(msg)) == made


def run_smoke(work_dir, *args, timeout):
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'smoke_fullsize.py'), '--work-dir', work_dir,
        *args
    ],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)


@pytest.mark.slow
def test_every_paper_scale_config_trains_and_tests_at_full_size(tmp_path):
    work_dir = str(tmp_path)
    proc = run_smoke(work_dir, timeout=3000)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    rows = {}
    for path in glob.glob(osp.join(work_dir, 'results', 'rows', '*.json')):
        with open(path) as f:
            row = json.load(f)
        rows[row['config']] = row
    assert sorted(rows) == sorted(
        osp.relpath(p, REPO) for p in smoke.find_configs())
    for config, row in rows.items():
        assert row['ok'], (config, row['error'])
    runs = {}
    for path in glob.glob(osp.join(work_dir, 'results', '*.json')):
        with open(path) as f:
            run = json.load(f)
        runs[run['name']] = run
    stage1_only = {name for name in runs if name.startswith('tsm_')}
    assert TSM_RELEASED in stage1_only and len(stage1_only) == 3
    for name, run in runs.items():
        assert len(run['iteration_seconds']) == smoke.TRAIN_ITERS, name
        assert run['train']['max_rss_gib'] > 0.3, name
        if name in stage1_only:
            assert run['test'] is None, name
        else:
            assert run['test_seconds_per_sample'] > 0, name
    assert rows[f'configs/dncnn_off/{DNCNN.format(40)}.py'][
        'run'] == DNCNN.format(20)

    # a run killed before its result was written is redone, alone
    os.remove(osp.join(work_dir, 'results', f'{DNCNN.format(20)}.json'))
    proc = run_smoke(work_dir, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    assert proc.stdout.count('OK earlier, not rerun') == len(runs) - 1
    assert f'[{DNCNN.format(20)}] training' in proc.stdout
