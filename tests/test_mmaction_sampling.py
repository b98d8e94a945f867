"""Fixed-interval segment sampling (Section 4.2.3) and video loading errors."""
import glob
import os.path as osp
import warnings

import decord
import numpy as np
import off_plugins.mmaction  # noqa: F401
import pytest
from data_tools.motion import write_mp4
from mmaction.registry import TRANSFORMS
from mmaction.utils import register_all_modules
from mmengine.config import Config
from off_plugins.mmaction import CheckedDecordInit, FixedIntervalSampleFrames

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
# Every config with an OFF neck (the tsn_ configs are the TSN baselines).
OFF_CONFIGS = sorted(
    c for c in glob.glob(osp.join(REPO, 'configs', 'off_ts[nm]', '*.py'))
    if not osp.basename(c).startswith('tsn_'))
register_all_modules(init_default_scope=False)


def sample(total, **kwargs):
    t = FixedIntervalSampleFrames(**kwargs)
    return t(dict(total_frames=total, start_index=0, filename='v.mp4'))


def test_training_uses_the_test_interval():
    for seed in range(20):
        out = sample(100, num_segments=3, test_segments=25, seed=seed)
        inds = out['frame_inds']
        assert out['segment_interval'] == 4  # floor(100 / 25)
        assert np.all(np.diff(inds) == 4)
        assert 0 <= inds[0] <= 100 - 1 - 2 * 4  # seed p range of the paper
        assert out['num_clips'] == 3 and out['clip_len'] == 1


def test_seed_covers_the_whole_range():
    seeds = {
        int(
            sample(20, num_segments=2, test_segments=4,
                   seed=s)['frame_inds'][0])
        for s in range(200)
    }
    # interval 5, p in {0 .. 20 - 1 - 5}
    assert seeds == set(range(15))


def test_testing_takes_all_segments_centred():
    out = sample(103, num_segments=3, test_segments=25, test_mode=True)
    inds = out['frame_inds']
    assert len(inds) == 25 and np.all(np.diff(inds) == 4)
    # span 97 frames, 6 to spare, centred
    assert inds[0] == 3 and inds[-1] == 99
    assert out['num_clips'] == 25


def test_several_test_clips_keep_the_training_interval():
    """TSM's 10-clip test: every clip is a run of beta segments at the
    interval floor(L / beta) that training uses, the runs spread evenly."""
    out = sample(
        100, num_segments=8, test_segments=8, test_mode=True, test_clips=10)
    inds = out['frame_inds'].reshape(10, 8)  # (clips, segments)
    assert out['segment_interval'] == 12 and out['num_clips'] == 8
    assert np.all(np.diff(inds, axis=1) == 12)
    # span 7 * 12 + 1 = 85 frames, 15 to spare: starts floor((2c + 1) * 15 / 20)
    assert inds[:, 0].tolist() == [0, 2, 3, 5, 6, 8, 9, 11, 12, 14]
    assert inds.min() >= 0 and inds.max() <= 99
    for seed in range(10):
        train = sample(100, num_segments=8, test_segments=8, seed=seed)
        assert np.all(np.diff(train['frame_inds']) == 12)
    one = sample(100, num_segments=8, test_segments=8, test_mode=True)
    assert one['frame_inds'][0] == 15 // 2  # one clip: the centred run


def test_several_test_clips_of_stacked_frames_in_a_short_video():
    out = sample(
        12,
        num_segments=2,
        test_segments=4,
        clip_len=5,
        test_mode=True,
        test_clips=3)
    segs = out['frame_inds'].reshape(3, 4, 5)  # (clips, segments, clip_len)
    assert np.all(np.diff(segs, axis=2) == 1)
    assert segs.min() >= 0 and segs.max() == 11


def test_clip_len_stacks_consecutive_frames():
    out = sample(
        50, num_segments=2, test_segments=5, clip_len=5, test_mode=True)
    inds = out['frame_inds'].reshape(5, 5)
    assert np.all(np.diff(inds, axis=1) == 1)
    assert np.all(np.diff(inds[:, 0]) == 10)


def test_start_index_offsets_frames():
    t = FixedIntervalSampleFrames(2, 4, test_mode=True)
    out = t(dict(total_frames=8, start_index=1, filename='v'))
    assert out['frame_inds'].tolist() == [1, 3, 5, 7]


@pytest.mark.parametrize('total', [1, 3, 7])
def test_short_videos_clamp_to_last_frame(total):
    out = sample(total, num_segments=3, test_segments=8, test_mode=True)
    inds = out['frame_inds']
    assert len(inds) == 8
    assert inds.min() >= 0 and inds.max() == total - 1
    assert np.all(np.diff(inds)
                  >= 0)  # interval 1, then the last frame repeats
    train = sample(
        total, num_segments=3, test_segments=8, seed=0)['frame_inds']
    assert len(train) == 3 and train.max() <= total - 1


def test_empty_video_names_the_file():
    with pytest.raises(ValueError, match='v.mp4: video has no frames'):
        sample(0, num_segments=2, test_segments=4)


@pytest.mark.parametrize('kwargs, message', [
    (dict(num_segments=0,
          test_segments=4), 'num_segments must be a positive int'),
    (dict(num_segments=5, test_segments=4), 'must not exceed test_segments'),
    (dict(num_segments=2, test_segments=4, clip_len=0), 'clip_len must be'),
    (dict(num_segments=2, test_segments=4,
          test_clips=0), 'test_clips must be'),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FixedIntervalSampleFrames(**kwargs)


def test_missing_video_names_the_file(tmp_path):
    path = str(tmp_path / 'nope.mp4')
    with pytest.raises(FileNotFoundError, match='nope.mp4'):
        CheckedDecordInit()(dict(filename=path))


def test_undecodable_video_names_the_file(tmp_path):
    path = tmp_path / 'broken.mp4'
    path.write_bytes(b'this is not a video' * 10)
    with pytest.raises(RuntimeError, match='broken.mp4: cannot decode video'):
        CheckedDecordInit()(dict(filename=str(path)))


def test_too_short_video_warns_once_or_errors(tmp_path):
    path = str(tmp_path / 'two_frames.mp4')
    write_mp4(path, np.zeros((2, 32, 32, 3), np.uint8))
    loader = CheckedDecordInit(min_frames=8)
    with pytest.warns(
            UserWarning,
            match='two_frames.mp4: video has 2 '
            r'frame\(s\), fewer than the 8 its sampling needs'):
        assert loader(dict(filename=path))['total_frames'] == 2
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # the second time it stays quiet
        loader(dict(filename=path))
        CheckedDecordInit(min_frames=2)(dict(filename=path))  # long enough
    with pytest.raises(ValueError, match='two_frames.mp4: video has 2'):
        CheckedDecordInit(min_frames=8, too_short='error')(dict(filename=path))
    with pytest.raises(ValueError, match="too_short must be 'warn' or"):
        CheckedDecordInit(too_short='ignore')


def segment_gaps(cfg, split, total, seeds=range(8)):
    """The frame gaps between adjacent segments of a view that ``split``'s
    pipeline samples from a video of ``total`` frames (several draws)."""
    steps = [
        step for step in cfg[f'{split}_dataloader'].dataset.pipeline
        if step.type.endswith('SampleFrames')
    ]
    assert len(steps) == 1, (split, steps)
    neck = cfg.model.neck
    t = neck.num_segments if split == 'train' else neck.get(
        'test_num_segments') or neck.num_segments
    gaps = set()
    for seed in seeds:
        np.random.seed(seed)
        out = TRANSFORMS.build(steps[0].to_dict())(
            dict(
                total_frames=total,
                start_index=0,
                filename='v.mp4',
                frame_dir='v',
                modality='RGB'))
        # (views, T, clip_len): views = clips, segments of a view contiguous
        starts = out['frame_inds'].reshape(-1, t, out['clip_len'])[..., 0]
        gaps |= set(np.diff(starts, axis=1).ravel().tolist())
    return gaps


@pytest.mark.parametrize('path', OFF_CONFIGS, ids=osp.basename)
def test_train_val_test_sample_one_temporal_gap(path):
    """Eq. 7 holds for one Delta t only: every split pairs segments that lie
    the same number of frames apart (Section 4.2.3)."""
    cfg = Config.fromfile(path)
    for total in (97, 250, 301):
        gaps = {
            split: segment_gaps(cfg, split, total)
            for split in ('train', 'val', 'test')
        }
        assert len(gaps['train']) == 1, (total, gaps)
        assert gaps['train'] == gaps['val'] == gaps['test'], (total, gaps)


def test_tsm_test_pipeline_gives_30_views_of_one_gap(tmp_path):
    """The Kinetics-400 TSM + OFF test pipeline on a real video: 3 crops x
    10 clips, each view 8 frames floor(L / 8) apart (frame i is painted
    with intensity 3 i, so each decoded frame says which frame it is)."""
    path = str(tmp_path / 'ramp.mp4')
    total = 80
    frames = np.stack(
        [np.full((48, 64, 3), 3 * i, np.uint8) for i in range(total)])
    write_mp4(path, frames)
    cfg = Config.fromfile(
        osp.join(
            REPO, 'configs/off_tsm/'
            'off-tsm_tsm-1x1x8-100e-pretrained-r50_8xb16-1x1x8-110e_kinetics400-rgb.py'
        ))
    pipeline = [
        TRANSFORMS.build(step.to_dict())
        for step in cfg.test_dataloader.dataset.pipeline
    ]
    results = dict(filename=path, label=0, start_index=0, modality='RGB')
    for transform in pipeline:
        results = transform(results)
    imgs = results['inputs']  # (crops * clips * T, 3, 256, 256)
    assert tuple(imgs.shape) == (3 * 10 * 8, 3, 256, 256)
    # frame index per image: the frame whose decoded intensity it has
    decoded = decord.VideoReader(path).get_batch(range(total)).asnumpy()
    levels = decoded.reshape(total, -1).mean(1)  # (total, ), increasing
    means = imgs.float().mean(dim=(1, 2, 3)).numpy()
    seen = np.abs(means[:, None] - levels[None]).argmin(1)
    views = seen.reshape(3, 10, 8)  # (crops, clips, T)
    # interval 10, span 71, 9 frames to spare: clips start floor((2c + 1) * 9 / 20)
    starts = np.array([0, 1, 2, 3, 4, 4, 5, 6, 7, 8])
    expected = starts[:, None] + 10 * np.arange(8)  # (clips, T)
    for crop in views:
        np.testing.assert_array_equal(crop, expected)
