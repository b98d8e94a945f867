"""Score fusion across streams from MMAction2 test dumps.

The dumps are written by mmengine's ``DumpResults`` metric from
``ActionDataSample`` outputs, the path ``tools/test.py --dump`` takes, and the
fused numbers are checked by hand and against MMAction2's own
``report_accuracy.py``.
"""
import json
import os
import os.path as osp
import pickle
import re
import subprocess
import sys

import mmengine
import numpy as np
import pytest
import torch
from analysis_tools.fusion import (check_aligned, evaluate, fuse, fusion_table,
                                   load_dump, video_name)
from job_tools.runs import test_summary as job_summary
from mmaction.structures import ActionDataSample
from mmengine.evaluator import DumpResults, Evaluator
from off_plugins.safe_pickle import UnsafePickleError, load_prediction_dump
from off_plugins.utils import shipped_file

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
FUSE_SCORES = osp.join(REPO, 'tools', 'fuse_scores.py')

# 4 videos, 3 classes: each stream alone is right on 2 videos, their sum on 4.
LABELS = [0, 1, 2, 0]
RGB = [
    [0.6, 0.3, 0.1],  # right
    [0.2, 0.7, 0.1],  # right
    [0.5, 0.1, 0.4],  # wrong: 0
    [0.1, 0.5, 0.4]
]  # wrong: 1
FLOW = [
    [0.3, 0.45, 0.25],  # wrong: 1
    [0.5, 0.3, 0.2],  # wrong: 0
    [0.1, 0.2, 0.7],  # right
    [0.8, 0.1, 0.1]
]  # right


def write_dump(path, scores, labels, ids='default', id_key='filename'):
    """Write ``path`` as ``tools/test.py --dump`` does: ActionDataSamples
    through an Evaluator holding mmengine's DumpResults metric.

    ``ids``: the videos' names, as the shipped configs record them; by
    default ``videos/v<i>.mp4``; None writes a dump without names, as
    MMAction2's stock configs do."""
    if ids == 'default':
        ids = [f'videos/v{i}.mp4' for i in range(len(scores))]
    samples = []
    for index, (score, label) in enumerate(zip(scores, labels)):
        metainfo = {} if ids is None else {id_key: ids[index]}
        sample = ActionDataSample(metainfo=metainfo)
        sample.set_gt_label(int(label))
        score = torch.tensor(score, dtype=torch.float32)
        sample.set_pred_score(score)
        sample.set_pred_label(int(score.argmax()))
        samples.append(sample)
    evaluator = Evaluator(DumpResults(out_file_path=str(path)))
    evaluator.process(samples)
    evaluator.evaluate(len(samples))
    return str(path)


@pytest.fixture
def two_streams(tmp_path):
    """name -> path of the RGB and flow dumps of the known-answer example."""
    return dict(
        rgb=write_dump(tmp_path / 'rgb.pkl', RGB, LABELS),
        flow=write_dump(tmp_path / 'flow.pkl', FLOW, LABELS))


def random_streams(tmp_path,
                   names=('a', 'b', 'c'),
                   num_videos=30,
                   num_classes=7,
                   seed=0):
    """Dumps of noisy scores that are right on some videos, with logits of
    different scales per stream so that softmax changes the fusion."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, num_videos)
    streams = {}
    for scale, name in enumerate(names, start=1):
        scores = rng.normal(size=(num_videos, num_classes))
        scores[np.arange(num_videos), labels] += rng.uniform(0, 2, num_videos)
        streams[name] = write_dump(tmp_path / f'{name}.pkl', scale * scores,
                                   labels)
    return streams


def report_accuracy(paths, coefficients, apply_softmax):
    """What MMAction2's report_accuracy.py prints: its three numbers as the
    4-decimal strings it prints them with."""
    script = shipped_file('mmaction', 'tools', 'analysis_tools',
                          'report_accuracy.py')
    cmd = [
        sys.executable, script, '--preds', *paths, '--coefficients',
        *map(str, coefficients)
    ] + (['--apply-softmax'] if apply_softmax else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    found = dict(
        re.findall(r'^(Mean Class|Top 1|Top 5) Accuracy: (\S+)$', out.stdout,
                   re.M))
    assert len(found) == 3, out.stdout
    return found


def test_load_dump_reads_what_dump_results_writes(tmp_path):
    path = write_dump(
        tmp_path / 'rgb.pkl',
        RGB,
        LABELS,
        ids=['v/a.mp4', 'v/b.mp4', 'v/c.mp4', 'v/d.mp4'])
    raw = mmengine.load(path)
    assert isinstance(raw[0]['pred_score'], torch.Tensor)
    assert raw[0]['gt_label'].shape == (1, )

    dump = load_dump(path)
    assert dump.path == path
    assert dump.scores.shape == (4, 3)
    np.testing.assert_allclose(dump.scores, RGB, rtol=1e-6)
    assert dump.labels.dtype == np.int64
    assert dump.labels.tolist() == LABELS
    assert dump.ids == ['v/a.mp4', 'v/b.mp4', 'v/c.mp4', 'v/d.mp4']
    assert load_dump(write_dump(tmp_path / 'x.pkl', RGB, LABELS,
                                ids=None)).ids is None


def test_load_dump_accepts_scalar_tensors_and_frame_dir(tmp_path):
    samples = [
        dict(
            pred_score=torch.tensor(score),
            pred_label=torch.tensor(1),
            gt_label=torch.tensor(label),
            frame_dir=f'f/{i}')
        for i, (score, label) in enumerate(zip(FLOW, LABELS))
    ]
    mmengine.dump(samples, tmp_path / 'flow.pkl')
    dump = load_dump(str(tmp_path / 'flow.pkl'))
    assert dump.labels.tolist() == LABELS
    assert dump.ids == ['f/0', 'f/1', 'f/2', 'f/3']


def test_each_stream_half_right_their_sum_all_right(two_streams):
    rows = fusion_table(two_streams)
    assert [r['combo'] for r in rows] == ['rgb', 'flow', 'rgb+flow']
    assert [r['top1'] for r in rows] == [0.5, 0.5, 1.0]
    # rgb: class 0 1/2, class 1 1/1, class 2 0/1; flow: 1/2, 0/1, 1/1.
    assert [r['mean_class_acc'] for r in rows] == [0.5, 0.5, 1.0]
    # Only 3 classes: the top-5 column is a top-3, right for every video.
    assert all(r['top5_k'] == 3 and r['top5'] == 1.0 for r in rows)
    assert all(r['num_videos'] == 4 for r in rows)
    assert rows[2]['streams'] == ['rgb', 'flow']
    assert rows[2]['weights'] == [1.0, 1.0]


def test_weights_change_the_winner(two_streams):
    fused = fuse([np.array(RGB), np.array(FLOW)], [1.0, 3.0])
    np.testing.assert_allclose(fused, np.array(RGB) + 3 * np.array(FLOW))
    # Flow weighted 3x wins on every video, so it is right on 2 of 4 again.
    assert fused.argmax(1).tolist() == np.argmax(FLOW, 1).tolist()
    rows = fusion_table(
        two_streams, [['rgb', 'flow']], weights=dict(rgb=1, flow=3))
    assert rows[-1]['weights'] == [1.0, 3.0]
    assert rows[-1]['top1'] == 0.5


def test_softmax_evens_out_logit_scales():
    big = np.array([[10.0, 9.0, 9.0]])  # large logits, unsure
    small = np.array([[0.0, 0.9, -5.0]])  # small logits, sure
    assert fuse([big, small], [1, 1]).argmax() == 0

    fused = fuse([big, small], [1, 1], apply_softmax=True)

    def reference(x):
        e = np.exp(x - x.max())
        return e / e.sum()

    np.testing.assert_allclose(fused, reference(big) + reference(small))
    assert fused.argmax() == 1


def test_evaluate_top5_with_many_classes():
    # 6 classes: the label is ranked 1st, 5th and 6th on the three videos.
    scores = np.array(
        [[6, 5, 4, 3, 2, 1], [2, 6, 5, 4, 3, 1], [6, 5, 4, 3, 2, 1]],
        dtype=float)
    labels = np.array([0, 0, 5])
    result = evaluate(scores, labels)
    assert result['top5_k'] == 5
    assert result['top1'] == pytest.approx(1 / 3)
    assert result['top5'] == pytest.approx(2 / 3)
    # Classes 0 (1/2 right), 1 (predicted, never a label: 0), 5 (0/1).
    assert result['mean_class_acc'] == pytest.approx(0.5 / 3)


@pytest.mark.parametrize('apply_softmax', [False, True])
def test_matches_mmaction_report_accuracy(tmp_path, apply_softmax):
    streams = random_streams(tmp_path)
    weights = dict(a=1.0, b=0.5, c=2.0)
    rows = fusion_table(streams, [['a', 'b', 'c']], weights, apply_softmax)
    fused = rows[-1]
    assert 0 < fused['top1'] < fused['top5'] < 1  # not a trivial case
    printed = report_accuracy(
        list(streams.values()), weights.values(), apply_softmax)
    assert printed == {
        'Mean Class': f'{fused["mean_class_acc"]:.4f}',
        'Top 1': f'{fused["top1"]:.4f}',
        'Top 5': f'{fused["top5"]:.4f}'
    }


def test_single_stream_matches_mmaction_report_accuracy(tmp_path):
    streams = random_streams(tmp_path, names=('a', ))
    row = fusion_table(streams)[0]
    printed = report_accuracy([streams['a']], [1.0], False)
    assert printed == {
        'Mean Class': f'{row["mean_class_acc"]:.4f}',
        'Top 1': f'{row["top1"]:.4f}',
        'Top 5': f'{row["top5"]:.4f}'
    }


def test_combos_are_listed_after_the_streams_they_use(tmp_path):
    streams = random_streams(tmp_path, num_videos=5)
    assert [r['combo']
            for r in fusion_table(streams)] == ['a', 'b', 'c', 'a+b+c']
    rows = fusion_table(streams, [['c', 'a'], ['a'], ['a', 'c']])
    assert [r['combo'] for r in rows] == ['a', 'c', 'c+a']


def test_video_names_match_across_video_and_rawframe_datasets(tmp_path):
    videos = [
        'data/videos/v_a.avi', 'data/videos/v_b.avi', 'data/videos/v_c.avi',
        'data/videos/v_d.avi'
    ]
    frames = [
        'data/flow/v_a', 'data/flow/v_b/', 'data/flow/v_c', 'data/flow/v_d'
    ]
    assert video_name('data/x/v_1.2.mp4') == 'v_1.2'
    assert video_name('data/flow/v_1.2') == 'v_1.2'
    rows = fusion_table(
        dict(
            rgb=write_dump(tmp_path / 'rgb.pkl', RGB, LABELS, videos),
            flow=write_dump(
                tmp_path / 'flow.pkl',
                FLOW,
                LABELS,
                frames,
                id_key='frame_dir')))
    assert rows[-1]['top1'] == 1.0


# ---------------------------------------------------------------- errors


def test_missing_and_unloadable_files_are_named(tmp_path, two_streams):
    missing = str(tmp_path / 'nope.pkl')
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        fusion_table(dict(two_streams, off=missing))
    broken = tmp_path / 'broken.pkl'
    broken.write_bytes(b'not a pickle')
    with pytest.raises(ValueError, match=f'cannot load .*{broken}'):
        load_dump(str(broken))


def test_empty_and_malformed_dumps_are_named(tmp_path):
    mmengine.dump([], tmp_path / 'empty.pkl')
    with pytest.raises(ValueError, match='empty.pkl holds no samples'):
        load_dump(str(tmp_path / 'empty.pkl'))
    mmengine.dump([dict(pred_score=torch.rand(3))], tmp_path / 'nolabel.pkl')
    with pytest.raises(ValueError, match="nolabel.pkl: sample 0 .*'gt_label'"):
        load_dump(str(tmp_path / 'nolabel.pkl'))
    mmengine.dump(
        [dict(pred_score=torch.rand(3), gt_label=torch.tensor([0, 1]))],
        tmp_path / 'multi.pkl')
    with pytest.raises(ValueError, match='multi.pkl: .*multi-label'):
        load_dump(str(tmp_path / 'multi.pkl'))
    with pytest.raises(
            ValueError,
            match=r'bad.pkl: sample 1 gt_label 3 is '
            r'outside \[0, 3\)'):
        load_dump(write_dump(tmp_path / 'bad.pkl', RGB, [0, 3, 0, 0]))


def test_different_videos_are_an_error(tmp_path, two_streams):
    short = write_dump(tmp_path / 'short.pkl', FLOW[:3], LABELS[:3])
    with pytest.raises(
            ValueError,
            match=r"'off' \(.*short.pkl\) and stream "
            r"'rgb' .* hold different videos: 1 only in 'rgb' "
            r"\(first: \['v3'\]\), 0 only in 'off'"):
        fusion_table(dict(two_streams, off=short))
    unnamed = [
        write_dump(tmp_path / f'{name}.pkl', scores, labels, ids=None)
        for name, scores, labels in (('a', FLOW, LABELS), ('b', FLOW[:3],
                                                           LABELS[:3]))
    ]
    with pytest.raises(
            ValueError,
            match=r"'b' \(.*b.pkl\) and stream 'a' "
            r".* different numbers of videos: 3 and 4"):
        fusion_table(dict(a=unnamed[0], b=unnamed[1]), allow_unnamed=True)


def test_different_class_counts_are_an_error(tmp_path, two_streams):
    wide = write_dump(tmp_path / 'wide.pkl', [s + [0.0] for s in FLOW], LABELS)
    with pytest.raises(
            ValueError,
            match=r"'off' \(.*wide.pkl\).* different "
            'numbers of classes: 4 and 3'):
        fusion_table(dict(two_streams, off=wide))


def test_first_differing_label_is_named(tmp_path, two_streams):
    other = write_dump(tmp_path / 'other.pkl', FLOW, [0, 1, 1, 2])
    with pytest.raises(
            ValueError,
            match=r"other.pkl.*ground truth at video "
            r"2 \('videos/v2.mp4'\): label 1 and 2"):
        fusion_table(dict(two_streams, off=other))


def test_first_differing_video_is_named(tmp_path):
    rgb = write_dump(tmp_path / 'rgb.pkl', RGB, LABELS, ['a', 'b', 'c', 'd'])
    # Same labels, but videos 2 and 3 swapped.
    flow = write_dump(tmp_path / 'flow.pkl', FLOW, LABELS,
                      ['a.mp4', 'b.mp4', 'd.mp4', 'c.mp4'])
    with pytest.raises(
            ValueError,
            match=r"'flow' \(.*flow.pkl\).* differ at "
            "video 2: 'd.mp4' and 'c'"):
        check_aligned(dict(rgb=load_dump(rgb), flow=load_dump(flow)))


def test_weights_must_match_the_streams(two_streams):
    with pytest.raises(ValueError, match='got 1 weights for 2 streams'):
        fuse([np.array(RGB), np.array(FLOW)], [1.0])
    with pytest.raises(ValueError, match='missing: flow, unknown: off'):
        fusion_table(two_streams, weights=dict(rgb=1, off=2))
    for bad in (float('nan'), 0.0, -1.0):
        with pytest.raises(ValueError, match='finite positive numbers'):
            fuse([np.array(RGB)], [bad])


def test_unknown_or_repeated_stream_in_a_combination(two_streams):
    with pytest.raises(
            ValueError,
            match="unknown stream 'off' in combination "
            "'rgb\\+off'; known streams: rgb, flow"):
        fusion_table(two_streams, [['rgb', 'off']])
    with pytest.raises(ValueError, match="'rgb\\+rgb' names a stream twice"):
        fusion_table(two_streams, [['rgb', 'rgb']])


# ------------------------------------------------------------------- CLI


def run_cli(*args):
    return subprocess.run([sys.executable, FUSE_SCORES, *args],
                          capture_output=True,
                          text=True,
                          cwd=REPO)


def test_cli_prints_stream_and_fused_rows_and_writes_json(
        tmp_path, two_streams):
    out = tmp_path / 'results' / 'table.json'
    proc = run_cli('--streams', f'rgb={two_streams["rgb"]}',
                   f'flow={two_streams["flow"]}', '--weights', '1', '1',
                   '--apply-softmax', '--out', str(out))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == ('4 videos, accuracy in %, softmax before fusing: on '
                        '(top-3: only 3 classes)')
    assert lines[1].split() == [
        'combination', 'weights', 'top-1', 'top-3', 'mean', 'class', 'videos'
    ]
    table = {line.split()[0]: line.split()[1:] for line in lines[2:5]}
    assert table == {
        'rgb': ['1', '50.00', '100.00', '50.00', '4'],
        'flow': ['1', '50.00', '100.00', '50.00', '4'],
        'rgb+flow': ['1', '1', '100.00', '100.00', '100.00', '4']
    }
    saved = json.loads(out.read_text())
    assert saved['apply_softmax'] is True
    assert saved['streams'] == two_streams
    assert saved['rows'] == fusion_table(two_streams, apply_softmax=True)
    assert os.listdir(out.parent) == ['table.json']


def test_cli_reports_bad_input_without_a_traceback(two_streams):
    proc = run_cli('--streams', f'rgb={two_streams["rgb"]}',
                   f'flow={two_streams["flow"]}', '--combos', 'rgb+off')
    assert proc.returncode != 0
    assert 'Traceback' not in proc.stderr
    assert "unknown stream 'off'" in proc.stderr
    assert 'known streams: rgb, flow' in proc.stderr
    proc = run_cli('--streams', f'rgb={two_streams["rgb"]}', '--weights',
                   'rgb=1', 'flow=2')
    assert 'missing: none, unknown: flow' in proc.stderr


# ------------------------------------------------- alignment by identity

# Videos 0 and 3 are both of class 0: position and label cannot tell them
# apart.
SWAP = [3, 1, 2, 0]


def test_streams_in_another_order_are_matched_by_video_name(
        tmp_path, two_streams):
    names = [f'videos/v{i}.mp4' for i in range(4)]
    swapped = write_dump(tmp_path / 'swapped.pkl', [FLOW[i] for i in SWAP],
                         [LABELS[i] for i in SWAP], [names[i] for i in SWAP])
    assert [LABELS[i] for i in SWAP] == LABELS  # invisible to a label check
    rows = fusion_table(dict(rgb=two_streams['rgb'], flow=swapped))
    assert rows == fusion_table(two_streams)
    assert rows[-1]['top1'] == 1.0  # fused by position it would be 0.75


def test_dumps_without_video_names_are_refused_unless_allowed(tmp_path):
    rgb = write_dump(tmp_path / 'rgb.pkl', RGB, LABELS, ids=None)
    swapped = write_dump(
        tmp_path / 'flow.pkl', [FLOW[i] for i in SWAP], LABELS, ids=None)
    with pytest.raises(
            ValueError,
            match=r"stream\(s\) 'rgb' \(.*rgb.pkl\), "
            r"'flow' .* do not record which video .*meta_keys"):
        fusion_table(dict(rgb=rgb, flow=swapped))
    with pytest.warns(UserWarning, match='matching by position'):
        rows = fusion_table(dict(rgb=rgb, flow=swapped), allow_unnamed=True)
    # Fused by position, video 3 gets video 0's flow scores and is missed:
    # the silent error that the names prevent.
    assert rows[-1]['top1'] == 0.75
    assert fusion_table(dict(rgb=rgb))[0]['top1'] == 0.5  # one stream: fine


def test_a_video_named_twice_is_an_error(tmp_path, two_streams):
    twice = write_dump(tmp_path / 'twice.pkl', FLOW, LABELS,
                       ['a/v0.mp4', 'b/v1.mp4', 'c/v2.mp4', 'd/v0.mp4'])
    with pytest.raises(
            ValueError,
            match=r"'flow' \(.*twice.pkl\) holds "
            r"video 'v0' twice \(samples 0 and 3\)"):
        fusion_table(dict(rgb=two_streams['rgb'], flow=twice))


# ------------------------------------------------------ untrusted pickles


class RunsCode:
    """Unpickling this calls ``open(path, 'w')``: it creates ``path``."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return open, (self.path, 'w')


class EvilStorage:
    """Pickles as a tensor storage whose nested blob is ``RunsCode``."""

    def __init__(self, path):
        self.blob = pickle.dumps(RunsCode(path), protocol=2)

    def __reduce__(self):
        return torch.storage._load_from_bytes, (self.blob, )


@pytest.mark.parametrize('payload', [RunsCode, EvilStorage])
def test_a_crafted_pickle_is_refused_and_runs_nothing(tmp_path, two_streams,
                                                      payload):
    marker = tmp_path / 'marker'
    crafted = tmp_path / 'crafted.pkl'
    with open(crafted, 'wb') as f:
        pickle.dump([
            dict(pred_score=payload(str(marker)), gt_label=torch.tensor([0]))
        ],
                    f,
                    protocol=2)
    with pytest.raises(ValueError, match=f'{crafted}.*refusing'):
        load_dump(str(crafted))
    proc = run_cli('--streams', f'rgb={two_streams["rgb"]}', f'flow={crafted}')
    assert proc.returncode != 0 and 'Traceback' not in proc.stderr
    assert 'refusing' in proc.stderr and str(crafted) in proc.stderr
    with pytest.raises(UnsafePickleError):
        job_summary(str(tmp_path), str(crafted))
    assert not marker.exists()


def test_the_main_jobs_dumps_load_safely(tmp_path):
    """What the restricted loader admits is enough for real dumps: tensors
    of several dtypes, numpy arrays and scalars, tuples, bytes."""
    sample = ActionDataSample(
        metainfo=dict(
            filename='v/a.mp4',
            img_shape=(64, 64),
            video_id=np.int64(3),
            frame_inds=np.arange(8),
            raw=b'\x00\xff'))
    sample.set_gt_label(2)
    sample.set_pred_score(torch.rand(8, dtype=torch.float64))
    sample.set_pred_label(1)
    path = str(tmp_path / 'd.pkl')
    evaluator = Evaluator(DumpResults(out_file_path=path))
    evaluator.process([sample])
    evaluator.evaluate(1)
    with open(path, 'rb') as f:
        expected = pickle.load(f)
    loaded = load_prediction_dump(path)
    assert loaded[0].keys() == expected[0].keys()
    for key, value in expected[0].items():
        if isinstance(value, torch.Tensor):
            assert torch.equal(loaded[0][key], value), key
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(loaded[0][key], value)
        else:
            assert loaded[0][key] == value, key
