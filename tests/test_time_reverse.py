"""``TimeReverse``: a training video played backwards, relabelled with the
opposite motion (``data_tools.motion.reverse_label_map``), decoded by the
toolbox's own decoder in the reversed order."""
import numpy as np
import off_plugins.mmaction  # noqa: F401
import pytest
from data_tools.motion import (ALL_MOTIONS, MOTION_CLASSES, VARIANTS,
                               reverse_label_map, write_mp4)
from mmaction.registry import TRANSFORMS
from mmaction.utils import register_all_modules
from off_plugins.mmaction import FixedIntervalSampleFrames, TimeReverse

register_all_modules(init_default_scope=False)


def test_reverse_label_map_names_the_opposite_motion():
    bars = list(MOTION_CLASSES)
    named = {bars[a]: bars[b] for a, b in reverse_label_map(bars).items()}
    assert named == {
        'right_slow': 'left_slow',
        'left_slow': 'right_slow',
        'right_fast': 'left_fast',
        'left_fast': 'right_fast',
        'up': 'down',
        'down': 'up',
        'rotate_cw': 'rotate_ccw',
        'rotate_ccw': 'rotate_cw'
    }
    # the diagonals that no flip can map are each other's reversal
    assert reverse_label_map(['up_right', 'down_left']) == {0: 1, 1: 0}
    assert reverse_label_map(['right', 'up']) is None  # no 'left' class
    with pytest.raises(ValueError, match='sideways'):
        reverse_label_map(['right', 'sideways'])


@pytest.mark.parametrize('name', sorted(VARIANTS))
def test_every_variant_is_closed_under_reversal(name):
    classes = VARIANTS[name].classes
    mapping = reverse_label_map(classes)
    assert mapping is not None
    full = {i: mapping.get(i, i) for i in range(len(classes))}
    for a, b in full.items():
        assert full[b] == a
        assert ALL_MOTIONS[classes[b]] == tuple(
            -v for v in ALL_MOTIONS[classes[a]])


def sampled(total=40, **kwargs):
    results = dict(total_frames=total, start_index=0, filename='v.mp4')
    results = FixedIntervalSampleFrames(4, 8)(results)
    return dict(results, **kwargs)


def test_reverses_frames_and_relabels():
    np.random.seed(0)
    results = sampled(label=0)
    forward = results['frame_inds'].copy()
    out = TimeReverse(1.0, label_map={0: 2, 2: 0})(results)
    np.testing.assert_array_equal(out['frame_inds'], forward[::-1])
    assert out['label'] == 2 and out['time_reversed']
    # a label the map leaves out stays; no map keeps every label
    assert TimeReverse(1.0, {0: 2})(sampled(label=4))['label'] == 4
    assert TimeReverse(1.0)(sampled(label=0))['label'] == 0
    # ratio 0 changes nothing
    results = sampled(label=0)
    forward = results['frame_inds'].copy()
    out = TimeReverse(0.0, {0: 2})(results)
    np.testing.assert_array_equal(out['frame_inds'], forward)
    assert out['label'] == 0 and not out['time_reversed']


def test_half_the_samples_are_reversed():
    np.random.seed(1)
    reverse = TimeReverse(0.5, {0: 1, 1: 0})
    labels = [reverse(sampled(label=0))['label'] for _ in range(400)]
    assert 160 < sum(labels) < 240


def test_bad_ratio_and_decoded_frames_are_refused():
    with pytest.raises(ValueError, match='reverse_ratio'):
        TimeReverse(1.5)
    with pytest.raises(RuntimeError, match='before the decoder'):
        TimeReverse(1.0)(sampled(label=0, imgs=[np.zeros((2, 2, 3))]))


def test_toolbox_decoder_reads_the_reversed_order(tmp_path):
    """Built from a config dict like the other steps; MMAction2's decoder
    returns the frames last to first."""
    path = str(tmp_path / 'ramp.mp4')
    # frame t is uniformly 6 * t grey: its value names it after the codec
    # (within 0.9 frame; the neighbours are 1 apart)
    frames = np.repeat(
        np.arange(0, 240, 6, dtype=np.uint8)[:, None, None, None], 32, 1)
    write_mp4(path, np.repeat(np.repeat(frames, 32, 2), 3, 3))
    steps = [
        dict(type='DecordInit'),
        dict(
            type='FixedIntervalSampleFrames', num_segments=4, test_segments=8),
        dict(type='TimeReverse', reverse_ratio=1.0, label_map={3: 5}),
        dict(type='DecordDecode')
    ]
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmaction'):
        pipeline = [TRANSFORMS.build(s) for s in steps]
    results = dict(filename=path, start_index=0, label=3, modality='RGB')
    np.random.seed(2)
    for step in pipeline:
        results = step(results)
    means = [img.mean() / 6 for img in results['imgs']]
    assert results['label'] == 5
    assert np.all(np.diff(means) < -4)  # 5 frames apart, last first
    np.testing.assert_allclose(means, results['frame_inds'], atol=0.9)
