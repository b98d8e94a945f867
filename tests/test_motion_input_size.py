"""``motion_benchmark.py --input-size``: both stages see larger frames, the
runs are fingerprinted apart from the configs' 64 px ones and kept in their
own folder; without it nothing changes."""
import os.path as osp

import pytest
from job_tools import runs

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SPLITS = ('train', 'val', 'test')


def pipeline(settings, cfg, split):
    key = f'{split}_dataloader.dataset.pipeline'
    return settings.get(
        key) or cfg.to_dict()[f'{split}_dataloader']['dataset']['pipeline']


def resizes(steps):
    return [tuple(s['scale']) for s in steps if s['type'] == 'Resize']


@pytest.mark.parametrize('model', ['tsn', 'off'])
def test_every_resize_of_both_stages_takes_the_size(fake_dataset, model):
    from mmengine.config import Config
    stage1 = dict(checkpoint='stage1.pth', recipe='r1')
    jobs = {
        size:
        runs.motion_job(
            REPO,
            'bars',
            0,
            model,
            data_root='data/x',
            stage1=None if model == 'tsn' else stage1,
            input_size=size,
            log=lambda m: None)
        for size in (None, 112)
    }
    base, plain, recipe = jobs[None]
    _, large, large_recipe = jobs[112]
    cfg = Config.fromfile(base)
    assert recipe != large_recipe
    for split in SPLITS:
        assert resizes(pipeline(plain, cfg, split)) == [(64, 64)]
        assert resizes(pipeline(large, cfg, split)) == [(112, 112)]
        # only the Resize differs
        a, b = pipeline(plain, cfg, split), pipeline(large, cfg, split)
        assert [s for s in a if s['type'] != 'Resize'
                ] == [s for s in b if s['type'] != 'Resize']
    # without a size the settings are today's: no val/test pipeline set, so
    # the 64 px runs keep their fingerprints
    assert 'val_dataloader.dataset.pipeline' not in plain
    assert 'test_dataloader.dataset.pipeline' not in plain
    if model == 'off':  # the relabelled flips survive the resize
        flips = [
            s for s in large['train_dataloader.dataset.pipeline']
            if s['type'] == 'Flip'
        ]
        assert len(flips) == 2 and all(f['flip_label_map'] for f in flips)


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match='>= 32'):
        runs.resized_pipelines(osp.join(REPO, runs.OFFMOTION_STAGE1), {}, 16)
    with pytest.raises(ValueError, match='int'):
        runs.resized_pipelines(
            osp.join(REPO, runs.OFFMOTION_STAGE1), {}, 112.0)


def test_cli_keeps_larger_runs_in_their_own_folder(capsys):
    from tool_loader import load_tool
    bench = load_tool('motion_benchmark.py')
    assert bench.parse_args([]).work_dir == 'work_dirs/motion_benchmark'
    args = bench.parse_args(['--input-size', '112'])
    assert args.work_dir == 'work_dirs/motion_benchmark-112px'
    assert bench.location(args, 'bars', 0)['input_size'] == 112
    args = bench.parse_args(['--input-size', '112', '--work-dir', 'w'])
    assert args.work_dir == 'w'
    with pytest.raises(SystemExit):
        bench.parse_args(['--input-size', '16'])
    assert 'at least 32' in capsys.readouterr().err


def test_stage2_checks_its_stage1_at_the_same_size(tmp_path, fake_motion_job):
    import json
    for model, recipe in (('tsn', 'tsn@112<'), ('off', 'off@112<tsn@112<')):
        (tmp_path / model).mkdir()
        (tmp_path / model / 'result.json').write_text(
            json.dumps(dict(recipe=recipe, top1=90.0)))
    where = dict(data_root='data', run_root=str(tmp_path))
    assert runs.current_result(
        'repo', 'bars', 0, 'off', input_size=112, **where)['top1'] == 90.0
    # the same runs are not today's at the configs' size
    assert runs.current_result('repo', 'bars', 0, 'off', **where) is None
    assert runs.current_result('repo', 'bars', 0, 'tsn', **where) is None
