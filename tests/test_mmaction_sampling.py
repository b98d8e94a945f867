"""Fixed-interval segment sampling (Section 4.2.3) and video loading errors."""
import warnings

import numpy as np
import pytest

import off_plugins.mmaction  # noqa: F401
from off_plugins.mmaction import CheckedDecordInit, FixedIntervalSampleFrames
from off_plugins.toydata.motion import write_mp4


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
    seeds = {int(sample(20, num_segments=2, test_segments=4, seed=s)['frame_inds'][0])
             for s in range(200)}
    # interval 5, p in {0 .. 20 - 1 - 5}
    assert seeds == set(range(15))


def test_testing_takes_all_segments_centred():
    out = sample(103, num_segments=3, test_segments=25, test_mode=True)
    inds = out['frame_inds']
    assert len(inds) == 25 and np.all(np.diff(inds) == 4)
    # span 97 frames, 6 to spare, centred
    assert inds[0] == 3 and inds[-1] == 99
    assert out['num_clips'] == 25


def test_clip_len_stacks_consecutive_frames():
    out = sample(50, num_segments=2, test_segments=5, clip_len=5, test_mode=True)
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
    assert np.all(np.diff(inds) >= 0)  # interval 1, then the last frame repeats
    train = sample(total, num_segments=3, test_segments=8, seed=0)['frame_inds']
    assert len(train) == 3 and train.max() <= total - 1


def test_empty_video_names_the_file():
    with pytest.raises(ValueError, match='v.mp4: video has no frames'):
        sample(0, num_segments=2, test_segments=4)


@pytest.mark.parametrize('kwargs, message', [
    (dict(num_segments=0, test_segments=4), 'num_segments must be a positive int'),
    (dict(num_segments=5, test_segments=4), 'must not exceed test_segments'),
    (dict(num_segments=2, test_segments=4, clip_len=0), 'clip_len must be'),
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
    with pytest.warns(UserWarning, match='two_frames.mp4: video has 2 '
                      r'frame\(s\), fewer than the 8 its sampling needs'):
        assert loader(dict(filename=path))['total_frames'] == 2
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # the second time it stays quiet
        loader(dict(filename=path))
        CheckedDecordInit(min_frames=2)(dict(filename=path))  # long enough
    with pytest.raises(ValueError, match='two_frames.mp4: video has 2'):
        CheckedDecordInit(min_frames=8, too_short='error')(
            dict(filename=path))
    with pytest.raises(ValueError, match="too_short must be 'warn' or"):
        CheckedDecordInit(too_short='ignore')
