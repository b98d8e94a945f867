"""tools/analysis_tools/motion_confusions.py: errors by pair of classes
from real ``tools/test.py --dump`` pickles, read without running code."""
import pickle

import mmengine
import pytest
import torch
from analysis_tools.motion_confusions import (confusions, direction_swaps,
                                              dump_labels)
from data_tools.motion import ALL_MOTIONS
from off_plugins.safe_pickle import UnsafePickleError

CLASSES = ['right_fast', 'left_fast', 'up', 'rotate_cw', 'rotate_ccw']


def write_dump(path, pairs):
    """An MMAction2-style dump: per video, 1-element label tensors."""
    samples = [
        dict(
            gt_label=torch.tensor([true]),
            pred_label=torch.tensor([pred]),
            pred_score=torch.rand(len(CLASSES))) for true, pred in pairs
    ]
    mmengine.dump(samples, str(path))
    return str(path)


def test_confusions_count_unordered_pairs_over_the_seeds(tmp_path):
    seed0 = write_dump(tmp_path / 's0.pkl', [(0, 0), (3, 4), (4, 3), (2, 0)])
    seed1 = write_dump(tmp_path / 's1.pkl', [(3, 4), (1, 1), (0, 1)])
    assert dump_labels(seed1) == [(3, 4), (1, 1), (0, 1)]
    videos, errors, pairs = confusions([seed0, seed1], CLASSES)
    assert (videos, errors) == (7, 5)
    assert pairs == {
        'rotate_ccw <-> rotate_cw': 3,
        'right_fast <-> up': 1,
        'left_fast <-> right_fast': 1
    }
    # opposite motions: cw/ccw and right_fast/left_fast, not right_fast/up
    assert direction_swaps(pairs, ALL_MOTIONS) == 4
    assert direction_swaps({'left_slow <-> right_fast': 2}, ALL_MOTIONS) == 0
    assert direction_swaps({'down_left <-> up_right': 2}, ALL_MOTIONS) == 2


def test_confusions_refuse_wrong_and_unsafe_dumps(tmp_path):
    bad_label = write_dump(tmp_path / 'bad.pkl', [(0, 7)])
    with pytest.raises(ValueError, match='label 7 is not one of the 5'):
        confusions([bad_label], CLASSES)
    mmengine.dump(dict(a=1), str(tmp_path / 'dict.pkl'))
    with pytest.raises(ValueError, match='expected a list'):
        dump_labels(str(tmp_path / 'dict.pkl'))
    mmengine.dump([dict(pred_score=torch.rand(3))],
                  str(tmp_path / 'nolabel.pkl'))
    with pytest.raises(ValueError, match='video 0 has no gt_label'):
        dump_labels(str(tmp_path / 'nolabel.pkl'))

    class Payload:

        def __reduce__(self):
            return (print, ('ran', ))

    with open(tmp_path / 'evil.pkl', 'wb') as f:
        pickle.dump([Payload()], f)
    with pytest.raises(UnsafePickleError):
        dump_labels(str(tmp_path / 'evil.pkl'))


def test_benchmark_prints_confusions_of_current_runs_only(
        tmp_path, fake_motion_job, capsys):
    import json

    from tool_loader import load_tool
    data = tmp_path / 'data' / 'bars'
    data.mkdir(parents=True)
    (data / 'manifest.json').write_text(json.dumps(dict(classes=CLASSES)))
    made = {'tsn': 'tsn<', 'off': 'off<tsn<', 'off-t': 'older recipe'}
    for model, recipe in made.items():
        run = tmp_path / 'runs' / 'bars' / 'seed0' / model
        (run / 'test').mkdir(parents=True)
        (run / 'result.json').write_text(
            json.dumps(dict(recipe=recipe, top1=50.0)))
        write_dump(run / 'test' / 'predictions.pkl', [(3, 4), (0, 0)])
    bench = load_tool('motion_benchmark.py')
    bench.main([
        '--confusions', '--variants', 'bars', '--seeds', '0', '--models',
        'off', 'off-t', '--work-dir',
        str(tmp_path / 'runs'), '--data-root',
        str(tmp_path / 'data')
    ])
    out = capsys.readouterr().out
    assert ('bars off (seeds [0]): 1 errors in 2 test videos; 1 between '
            'opposite motions; most: rotate_ccw <-> rotate_cw 1') in out
    assert 'bars off-t: no finished run' in out
    # stage 1 was checked once for both stage-2 models (the shared cache)
    assert fake_motion_job.count('tsn') == 1
