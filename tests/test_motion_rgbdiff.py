"""The motion benchmark's RGB-difference stream (``tsn-diff``, ``off-diff``)
and the fused row of Table 2 (TSN + OFF and OFF(RGB Diff), scores summed)."""
import json
import os.path as osp

import pytest
from job_tools import runs
from test_fusion import write_dump

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_each_model_starts_from_its_own_stream():
    assert [runs.motion_stage1(m) for m in runs.ALL_MOTION_MODELS
            ] == ['tsn', 'tsn', 'tsn', 'tsn', 'tsn-diff', 'tsn-diff']
    with pytest.raises(ValueError, match="unknown motion model 'flow'"):
        runs.motion_stage1('flow')
    # the main job keeps its four RGB models
    assert list(runs.MOTION_MODELS) == ['tsn', 'hypercolumn', 'off-t', 'off']


def test_diff_runs_use_the_modalities_configs(fake_dataset):
    from mmengine.config import Config
    quiet = dict(data_root='data/x', log=lambda m: None)
    base1, settings1, recipe1 = runs.motion_job(REPO, 'bars', 0, 'tsn-diff',
                                                **quiet)
    assert base1 == osp.join(REPO, runs.OFFMOTION_DIFF_STAGE1)
    stage1 = dict(checkpoint='diff/epoch_8.pth', recipe=recipe1)
    base2, settings2, recipe2 = runs.motion_job(
        REPO, 'bars', 0, 'off-diff', stage1=stage1, **quiet)
    assert base2 == osp.join(REPO, runs.OFFMOTION_DIFF_STAGE2)
    assert settings2['load_from'] == 'diff/epoch_8.pth'
    assert settings2['model.neck.components'] == 'full'
    cfg = Config.fromfile(base2)
    assert cfg.model.backbone.in_channels == 12  # 4 stacked differences
    steps = [s['type'] for s in settings2['train_dataloader.dataset.pipeline']]
    assert 'RGBDiff' in steps
    # the RGB model on the same stage-1 result is another run
    rgb = runs.motion_job(REPO, 'bars', 0, 'off', stage1=stage1, **quiet)
    assert rgb[0] == osp.join(REPO, runs.OFFMOTION_STAGE2)
    assert len({recipe1, recipe2, rgb[2]}) == 3


def test_off_diff_is_current_only_on_its_own_stage1(tmp_path, fake_motion_job):
    for model, recipe in (('tsn', 'tsn<'), ('tsn-diff', 'tsn-diff<'),
                          ('off-diff', 'off-diff<tsn-diff<')):
        (tmp_path / model).mkdir()
        (tmp_path / model / 'result.json').write_text(
            json.dumps(dict(recipe=recipe, top1=95.0)))
    where = dict(data_root='data', run_root=str(tmp_path))
    assert runs.current_result('repo', 'bars', 0, 'off-diff',
                               **where)['top1'] == 95.0
    # a redone RGB-diff stage 1 makes the OFF(RGB Diff) run stale
    (tmp_path / 'tsn-diff' / 'result.json').write_text(
        json.dumps(dict(recipe='tsn-diff<old', top1=50.0)))
    assert runs.current_result('repo', 'bars', 0, 'off-diff', **where) is None


def test_fused_row_sums_both_off_models(tmp_path, monkeypatch, capsys):
    """Each OFF model alone gets 2 of 4 videos; their summed scores get all
    four, and the table prints that row and its check against 90%."""
    from tool_loader import load_tool
    bench = load_tool('motion_benchmark.py')
    labels = [0, 1, 0, 1]
    scores = dict(
        off=[[0.9, 0.1], [0.1, 0.9], [0.4, 0.6], [0.6, 0.4]],
        **{
            'off-diff': [[0.45, 0.55], [0.55, 0.45], [0.95, 0.05],
                         [0.05, 0.95]]
        })
    args = bench.parse_args([
        '--variants', 'bars', '--seeds', '0', '1', '--models', 'off',
        'off-diff', '--work-dir',
        str(tmp_path)
    ])
    finished = {}
    for seed in (0, 1):
        for model, values in scores.items():
            test = tmp_path / 'bars' / f'seed{seed}' / model / 'test'
            test.mkdir(parents=True)
            write_dump(test / 'predictions.pkl', values, labels)
            finished[seed, model] = dict(top1=50.0)
    del finished[1, 'off-diff']  # seed 1 has no OFF(RGB Diff) run

    def current_result(repo, variant, seed, model, **kwargs):
        return finished.get((seed, model))

    monkeypatch.setattr(runs, 'current_result', current_result)
    table = bench.collect(args)
    assert table['bars', 'fused'] == [(0, 100.0)]
    bench.print_table(args, table)
    out = capsys.readouterr().out
    assert 'OFF(RGB) + OFF(RGB Diff), fused' in out
    assert 'bars: [100.0]: met' in out
    # the rows shown: each fused row needs both of its models
    args = bench.parse_args(['--variants', 'bars', '--models', 'off'])
    assert bench.shown(args) == ['off']
    args = bench.parse_args(['--models', 'tsn', 'off', 'tsn-diff', 'off-diff'])
    assert bench.shown(args)[-2:] == ['fused-tsn', 'fused']
