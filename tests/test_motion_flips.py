"""Mirrored training videos of the motion benchmark are relabelled: the
shipped stage-2 config's maps are its dataset's, the benchmark sets each
variant's, and MMAction2's Flip applies them to the frames and the label."""
import os.path as osp

import numpy as np
import pytest
from data_tools.motion import MOTION_CLASSES, VARIANTS, flip_label_map
from job_tools.runs import OFFMOTION_STAGE2, flipped_train_pipeline

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
STAGE2 = osp.join(REPO, OFFMOTION_STAGE2)


def flips(pipeline):
    return {
        s['direction']: s['flip_label_map']
        for s in pipeline if s['type'] == 'Flip'
    }


def test_shipped_config_maps_are_its_datasets():
    from mmengine.config import Config
    cfg = Config.fromfile(STAGE2)
    pipeline = cfg.to_dict()['train_dataloader']['dataset']['pipeline']
    assert flips(pipeline) == {
        d: flip_label_map(list(MOTION_CLASSES), d)
        for d in ('horizontal', 'vertical')
    }
    # validation and test are not flipped
    for loader in ('val_dataloader', 'test_dataloader'):
        steps = cfg.to_dict()[loader]['dataset']['pipeline']
        assert not [s for s in steps if s['type'] == 'Flip']


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_each_variant_gets_its_own_maps(variant):
    classes = VARIANTS[variant].classes
    pipeline = flipped_train_pipeline(STAGE2, classes)
    expected = {
        d: flip_label_map(classes, d)
        for d in ('horizontal', 'vertical')
    }
    assert flips(pipeline) == {
        d: m
        for d, m in expected.items() if m is not None
    }
    if variant == 'bounce-small':  # its diagonals have no mirrored class
        assert flips(pipeline) == {}
    # the other steps are the config's, in its order
    others = [s['type'] for s in pipeline if s['type'] != 'Flip']
    assert others[-2:] == ['FormatShape', 'PackActionInputs']


def test_toolbox_flip_mirrors_frames_and_relabels():
    import off_plugins.mmaction  # noqa: F401
    from mmaction.registry import TRANSFORMS
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    mapping = flip_label_map(list(MOTION_CLASSES), 'horizontal')
    flip = TRANSFORMS.build(
        dict(type='Flip', flip_ratio=1.0, flip_label_map=mapping))
    imgs = [np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)]
    right_fast = list(MOTION_CLASSES).index('right_fast')
    out = flip(
        dict(
            imgs=[imgs[0].copy()],
            label=right_fast,
            modality='RGB',
            img_shape=(2, 3)))
    np.testing.assert_array_equal(out['imgs'][0], imgs[0][:, ::-1])
    assert list(MOTION_CLASSES)[out['label']] == 'left_fast'
    up = list(MOTION_CLASSES).index('up')
    out = flip(
        dict(
            imgs=[imgs[0].copy()], label=up, modality='RGB', img_shape=(2, 3)))
    assert out['label'] == up


def test_recipe_fingerprint_follows_config_settings_data_and_stage1(tmp_path):
    from job_tools.runs import recipe_fingerprint
    base = tmp_path / 'base.py'
    base.write_text("a = dict(b=1)\n")
    manifest = dict(classes=['right', 'left'])
    ref = recipe_fingerprint(str(base), {'x': 1}, manifest)
    assert ref == recipe_fingerprint(str(base), {'x': 1}, dict(manifest))
    assert ref != recipe_fingerprint(str(base), {'x': 2}, manifest)
    assert ref != recipe_fingerprint(
        str(base), {'x': 1}, dict(classes=['left', 'right']))
    assert ref != recipe_fingerprint(str(base), {'x': 1}, manifest, 'stage1')
    base.write_text("a = dict(b=2)\n")
    assert ref != recipe_fingerprint(str(base), {'x': 1}, manifest)
    # formatting alone does not change the recipe
    base.write_text("a = dict(\n    b=1)\n")
    assert ref == recipe_fingerprint(str(base), {'x': 1}, manifest)


def test_a_run_of_another_recipe_is_set_aside_not_reused(tmp_path):
    from job_tools.runs import set_aside_other_recipe
    work_dir = tmp_path / 'off'
    set_aside_other_recipe(str(work_dir), 'aaa', log=lambda m: None)
    assert not work_dir.exists()  # nothing there: nothing to do
    work_dir.mkdir()
    (work_dir / 'RECIPE').write_text('aaa\n')
    (work_dir / 'result.json').write_text('{}')
    set_aside_other_recipe(str(work_dir), 'aaa', log=lambda m: None)
    assert (work_dir / 'result.json').exists()  # same recipe: kept
    messages = []
    set_aside_other_recipe(str(work_dir), 'bbb', log=messages.append)
    assert not work_dir.exists()
    assert (tmp_path / 'off.stale-aaa' / 'result.json').exists()
    assert 'another recipe' in messages[0]
    # a run from before fingerprints (no RECIPE file) is set aside too,
    # next to the first one
    work_dir.mkdir()
    (work_dir / 'epoch_5.pth').write_text('')
    set_aside_other_recipe(str(work_dir), 'bbb', log=lambda m: None)
    assert (tmp_path / 'off.stale-unknown' / 'epoch_5.pth').exists()
    work_dir.mkdir()
    (work_dir / 'epoch_5.pth').write_text('')
    set_aside_other_recipe(str(work_dir), 'bbb', log=lambda m: None)
    assert (tmp_path / 'off.stale-unknown-1' / 'epoch_5.pth').exists()


def test_table_only_trains_nothing_and_prints_markdown(tmp_path, capsys):
    from tool_loader import load_tool
    bench = load_tool('motion_benchmark.py')
    bench.main([
        '--table-only', '--markdown', '--variants', 'bars', '--seeds', '0',
        '--work-dir',
        str(tmp_path / 'runs')
    ])
    out = capsys.readouterr().out
    assert '| TSN + OFF | - |' in out
    assert '| `bars` | - | - | - | - |' in out
    assert not (tmp_path / 'runs').exists()


def test_table_checks_each_run_and_stage1_once_with_a_cache(
        tmp_path, fake_motion_job):
    import json

    import job_tools.runs as runs
    calls = fake_motion_job
    made = {
        'tsn': 'tsn<',
        'off': 'off<tsn<',
        'off-t': 'off-t<tsn<',
        'hypercolumn': 'old recipe'
    }
    for model, recipe in made.items():
        (tmp_path / model).mkdir()
        (tmp_path / model / 'result.json').write_text(
            json.dumps(dict(recipe=recipe, top1=50.0)))
    where = dict(data_root='data', run_root=str(tmp_path))

    def table(cache):
        return {
            m: runs.current_result('repo', 'bars', 0, m, cache=cache, **where)
            for m in ('off', 'off-t', 'hypercolumn', 'tsn')
        }

    uncached = table(None)
    assert len(calls) == 7  # stage 1 again for every stage-2 model
    calls.clear()
    cache = {}
    assert table(cache) == uncached
    assert sorted(calls) == ['hypercolumn', 'off', 'off-t', 'tsn']
    assert uncached['hypercolumn'] is None  # another recipe: left out
    assert uncached['off']['recipe'] == 'off<tsn<'
    # a second pass with the same cache works nothing out again
    calls.clear()
    assert table(cache) == uncached and calls == []
