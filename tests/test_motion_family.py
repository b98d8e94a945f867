"""The motion-benchmark family: every variant renders what its spec says, the
main job's set is unchanged, and the held-out photographs stay held out."""
import json
import os.path as osp

import numpy as np
import pytest
from data_tools.motion import (ALL_MOTIONS, HOLDOUT_B_PHOTOS, HOLDOUT_PHOTOS,
                               HOLDOUT_VARIANTS, MOTION_CLASSES, TUNING_PHOTOS,
                               VARIANTS, MotionSpec, _bounce, flip_label_map,
                               make_motion_dataset, render_spec_video,
                               render_video)


def test_at_least_three_variants_differing_in_several_axes():
    fields = MotionSpec.__dataclass_fields__
    tuned = [v for k, v in VARIANTS.items() if k not in HOLDOUT_VARIANTS]
    assert len(tuned) >= 3
    for i, a in enumerate(tuned):
        for b in tuned[i + 1:]:
            differing = [f for f in fields if getattr(a, f) != getattr(b, f)]
            assert len(differing) >= 3, differing


@pytest.mark.parametrize('holdout,photos', [('holdout', HOLDOUT_PHOTOS),
                                            ('holdout-b', HOLDOUT_B_PHOTOS)])
def test_holdout_uses_photographs_no_other_variant_uses(holdout, photos):
    assert not set(photos) & set(TUNING_PHOTOS)
    for name, spec in VARIANTS.items():
        if name != holdout:
            assert not set(spec.photos) & set(photos), name
    assert set(VARIANTS[holdout].photos) == set(photos)


def test_flip_label_map_mirrors_motion():
    bars = list(MOTION_CLASSES)
    h = flip_label_map(bars, 'horizontal')
    named = {bars[a]: bars[b] for a, b in h.items()}
    assert named == {
        'right_slow': 'left_slow',
        'left_slow': 'right_slow',
        'right_fast': 'left_fast',
        'left_fast': 'right_fast',
        'rotate_cw': 'rotate_ccw',
        'rotate_ccw': 'rotate_cw'
    }
    v = flip_label_map(bars, 'vertical')
    assert {
        bars[a]: bars[b]
        for a, b in v.items()
    } == {
        'up': 'down',
        'down': 'up',
        'rotate_cw': 'rotate_ccw',
        'rotate_ccw': 'rotate_cw'
    }
    # a mirrored diagonal that is not a class: the flip cannot be used
    assert flip_label_map(['up_right', 'down_left'], 'horizontal') is None
    assert flip_label_map(['up_right', 'down_left'], 'vertical') is None
    with pytest.raises(ValueError, match="got 'diagonal'"):
        flip_label_map(bars, 'diagonal')
    with pytest.raises(ValueError, match='sideways'):
        flip_label_map(['right', 'sideways'], 'horizontal')


@pytest.mark.parametrize('name', sorted(VARIANTS))
def test_flip_label_map_is_an_involution(name):
    classes = VARIANTS[name].classes
    for direction in ('horizontal', 'vertical'):
        mapping = flip_label_map(classes, direction)
        if mapping is None:
            continue
        full = {i: mapping.get(i, i) for i in range(len(classes))}
        assert all(full[full[i]] == i for i in full)
        for a, b in mapping.items():  # mirrored speeds are equal
            dxa, dya, ra = ALL_MOTIONS[classes[a]]
            dxb, dyb, rb = ALL_MOTIONS[classes[b]]
            assert (abs(dxa), abs(dya), abs(ra)) == (abs(dxb), abs(dyb),
                                                     abs(rb))


def test_mirrored_video_moves_like_its_mapped_class():
    """A horizontally mirrored 'right_fast' video moves as 'left_fast'."""
    spec = VARIANTS['holdout-b']
    label = spec.classes.index('right_fast')
    video = render_spec_video(label, np.random.default_rng(5), spec)
    mirrored = video[:, :, ::-1]
    x0, _ = object_centre(mirrored, 0)
    x1, _ = object_centre(mirrored, 4)
    assert x1 < x0  # moves left
    mapped = flip_label_map(spec.classes, 'horizontal')[label]
    assert spec.classes[mapped] == 'left_fast'


@pytest.mark.parametrize('name', sorted(VARIANTS))
def test_variant_renders_its_spec(name):
    spec = VARIANTS[name]
    frames = render_spec_video(0, np.random.default_rng(0), spec)
    assert frames.shape == (spec.num_frames, spec.size, spec.size, 3)
    assert frames.dtype == np.uint8
    # the object moves: consecutive frames differ
    assert np.abs(np.diff(frames.astype(np.int16), axis=0)).mean() > 0.5


def test_same_seed_same_video_and_classes_differ_by_motion_only():
    spec = VARIANTS['photo-objects']
    a = render_spec_video(0, np.random.default_rng(3), spec)
    b = render_spec_video(0, np.random.default_rng(3), spec)
    c = render_spec_video(1, np.random.default_rng(3),
                          spec)  # same draws, other motion
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[0], c[0])  # first frames identical
    assert not np.array_equal(a[-1], c[-1])


def object_centre(video, t):
    """Centre of frame ``t``'s pixels far from the per-pixel median over the
    video (the static background: the moving object covers a pixel briefly)."""
    background = np.median(video.astype(np.float32), axis=0)
    diff = np.abs(video[t].astype(np.float32) - background).sum(-1) > 60
    ys, xs = np.nonzero(diff)
    return xs.mean(), ys.mean()


def test_bounce_keeps_a_path_that_fits_inside():
    assert _bounce(5.0, 2.0, 3, 20.0) == 11.0
    assert _bounce(18.0, 2.0, 2, 20.0) == 18.0  # 22 reflects to 18
    assert _bounce(1.0, -2.0, 1, 20.0) == 1.0  # -1 reflects to 1
    spec = MotionSpec(
        classes=('right', 'left'),
        photos=TUNING_PHOTOS,
        shape='disc',
        size=96,
        object_size=(0.15, 0.15),
        num_frames=24,
        border='bounce')
    for label, sign in ((0, 1), (1, -1)):
        for seed in range(3):
            video = render_spec_video(label, np.random.default_rng(seed), spec)
            x0, x1 = object_centre(video, 0)[0], object_centre(video, 23)[0]
            # 2 px per frame for 23 frames, never reflected: 46 px
            assert 40 < sign * (x1 - x0) < 52, (label, seed, x0, x1)


def test_bars_variant_is_the_main_job_set(tmp_path):
    default = make_motion_dataset(
        str(tmp_path / 'a'), {
            'train': 1,
            'val': 1
        }, log=lambda s: None)
    bars = make_motion_dataset(
        str(tmp_path / 'b'), {
            'train': 1,
            'val': 1
        },
        log=lambda s: None,
        variant='bars')
    assert default == bars
    for name in ('offmotion_train_list_videos.txt',
                 'offmotion_val_list_videos.txt'):
        with open(tmp_path / 'a' / name) as f, open(tmp_path / 'b' /
                                                    name) as g:
            assert f.read() == g.read()
    # bit-identical frames to the unchanged renderer
    np.testing.assert_array_equal(
        render_video(2, np.random.default_rng(1)),
        render_video(2, np.random.default_rng(1)))


def test_variant_dataset_layout_and_manifest(tmp_path):
    root = tmp_path / 'photo'
    manifest = make_motion_dataset(
        str(root), {
            'train': 1,
            'val': 1
        },
        log=lambda s: None,
        variant='photo-objects')
    spec = VARIANTS['photo-objects']
    assert manifest['classes'] == list(spec.classes)
    assert manifest['variant'] == 'photo-objects' and manifest[
        'size'] == spec.size
    with open(root / 'offmotion_train_list_videos.txt') as f:
        lines = f.read().splitlines()
    assert len(lines) == len(spec.classes)
    path, label = lines[1].split()
    assert osp.isfile(root / 'videos' / path) and int(label) == 1
    with open(root / 'manifest.json') as f:
        assert json.load(f) == manifest
    # the same call again reuses it
    again = make_motion_dataset(
        str(root), {
            'train': 1,
            'val': 1
        },
        log=lambda s: None,
        variant='photo-objects')
    assert again == manifest
    with pytest.raises(ValueError, match='unknown variant'):
        make_motion_dataset(str(tmp_path / 'x'), variant='nope')


@pytest.mark.parametrize('kwargs, message', [
    (dict(classes=('right', 'jump')), 'classes must name'),
    (dict(shape='star'), 'shape must be'),
    (dict(border='clip'), 'border must be'),
    (dict(object_size=(0.5, 0.2)), 'object_size'),
    (dict(speed=(0, 1)), 'speed'),
    (dict(size=72), 'multiple of 16'),
])
def test_spec_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MotionSpec(**kwargs)


def test_every_class_of_every_variant_is_a_known_motion():
    for spec in VARIANTS.values():
        assert set(spec.classes) <= set(ALL_MOTIONS)


def test_reversal_count_sees_bounces_not_wraps():
    from analysis_tools.motion_reversals import (count_reversals, object_steps)
    wrap = VARIANTS['photo-objects']
    right = wrap.classes.index('right')
    for seed in range(3):  # wraps around the edge, never turns
        video = render_spec_video(right, np.random.default_rng(seed), wrap)
        steps = object_steps(video, 0)
        assert np.median(steps) > 0.5  # moves right
        assert count_reversals(steps) == 0
    bounce = VARIANTS['bounce-small']
    fast = bounce.classes.index('right_fast')
    counts = [
        count_reversals(
            object_steps(
                render_spec_video(fast, np.random.default_rng(seed), bounce),
                0)) for seed in range(4)
    ]
    # 3 px a frame for 31 frames is about the frame's width: most reflect
    # (seed 3 starts far enough from the edge to pass without turning)
    assert counts == [2, 1, 1, 0], counts
    slow = bounce.classes.index('right_slow')  # fits inside: never turns
    video = render_spec_video(slow, np.random.default_rng(0), bounce)
    assert count_reversals(object_steps(video, 0)) == 0


def test_count_reversals_ignores_single_mismeasured_steps():
    from analysis_tools.motion_reversals import count_reversals
    assert count_reversals(np.array([1., 1., -1., 1., 1.])) == 0
    assert count_reversals(np.array([1., 1., 1., -1., -1., -1.])) == 1
    assert count_reversals(np.array([1., 1., -2., -2., 0.1, 3., 3.])) == 2
    assert count_reversals(np.array([0.2, -0.3, 0.1])) == 0


def best_rotation(video, t):
    """The angle (cv2's sense: positive is anticlockwise on screen) that
    best turns frame 0 of a noise-free video of a turning object into frame
    ``t``, about the centre of the pixels that change, compared inside half
    their radius."""
    import cv2
    first, later = (video[i].astype(np.float32) for i in (0, t))
    changed = np.abs(later - first).sum(-1) > 30
    # the frame wraps around: roll the object into the middle first
    size = changed.shape[0]
    shift = []
    for axis in (0, 1):
        phase = 2 * np.pi * np.nonzero(changed)[axis] / size
        middle = np.angle(np.exp(1j * phase).mean()) * size / (2 * np.pi)
        shift.append(int(round(size / 2 - middle)) % size)
    first, later, changed = (
        np.roll(a, shift, axis=(0, 1)) for a in (first, later, changed))
    ys, xs = np.nonzero(changed)
    centre = (float(xs.mean()), float(ys.mean()))
    radius = np.sqrt(changed.sum() / np.pi)
    yy, xx = np.mgrid[:first.shape[0], :first.shape[1]]
    inner = np.hypot(xx - centre[0], yy - centre[1]) < radius / 2
    errors = {}
    for angle in range(-60, 61, 2):
        rot = cv2.getRotationMatrix2D(centre, angle, 1.0)
        turned = cv2.warpAffine(first, rot, first.shape[1::-1])
        errors[angle] = np.abs(turned - later)[inner].mean()
    return min(errors, key=errors.get), errors


@pytest.mark.parametrize('name,shape', [('holdout-b', 'disc'),
                                        ('photo-objects', 'square')])
def test_a_rotation_turns_the_texture_with_the_outline(name, shape):
    """A turning disc changes (its outline alone would not), and turns the
    way its class says: clockwise on screen for ``rotate_cw*``."""
    import dataclasses
    spec = dataclasses.replace(VARIANTS[name], noise=0.0)
    assert spec.shape == shape
    for cls in spec.classes:
        degrees = ALL_MOTIONS[cls][2]
        if not degrees:
            continue
        video = render_spec_video(
            spec.classes.index(cls), np.random.default_rng(6), spec)
        angle, errors = best_rotation(video, 8)
        # 8 frames at |degrees| x speed factor per frame
        lo, hi = (8 * abs(degrees) * f for f in spec.speed)
        assert np.sign(angle) == np.sign(degrees), (cls, angle)
        assert lo - 3 <= abs(angle) <= hi + 3, (cls, angle)
        assert errors[angle] < 0.5 * errors[-angle], (cls, errors[angle],
                                                      errors[-angle])


def test_manifest_names_rigid_rotation_only_where_a_class_turns(tmp_path):
    made = {}
    for name in ('holdout-b', 'bounce-small'):
        made[name] = make_motion_dataset(
            str(tmp_path / name),
            videos_per_class={'train': 1},
            variant=name,
            log=lambda _: None)
    assert made['holdout-b']['rotation'] == 'rigid'
    # no class of bounce-small turns: its data and manifest are as before
    assert 'rotation' not in made['bounce-small']
