"""Fixed-interval segment sampling of Section 4.2.3 as an MMAction2 transform."""
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform


@TRANSFORMS.register_module()
class FixedIntervalSampleFrames(BaseTransform):
    """Sample segments at the same interval in training and testing.

    A video of L frames is cut into ``test_segments`` (beta) chunks of
    ``interval = floor(L / beta)`` frames. Training takes ``num_segments``
    (alpha) segments ``p, p + interval, ..., p + (alpha - 1) * interval`` from
    a random seed frame ``p``; testing takes all beta segments at the same
    interval, the run centred in the video. Each segment is ``clip_len``
    consecutive frames (1 for RGB, 5 for RGB-diff and flow stacks).

    Several test clips (``test_clips`` C > 1, the multi-clip views of TSM's
    protocol): C runs of beta segments, all at the same interval, their
    starts spread evenly over the frames the run leaves free (clip ``c``
    starts at ``floor((2c + 1) * slack / 2C)``, ``slack = L - span``), so
    every clip has the training gap; with C = 1 this is the centred run.
    The frames come clip-major: C blocks of beta segments, each a view of
    its own for a neck that pairs segments inside a view.

    Short videos: the interval is at least one frame, and a segment that
    would run past the end starts at ``L - clip_len`` instead, so every
    segment is ``clip_len`` real consecutive frames (with ``clip_len=1`` the
    last frame repeats). A video with fewer than ``clip_len`` frames (none,
    for RGB) raises an error naming it and its frame count.

    Required keys: ``total_frames``, ``start_index``; ``filename`` or
    ``frame_dir`` is used in error messages.
    Added keys: ``frame_inds`` (``(C * beta * clip_len,)`` in testing,
    ``(alpha * clip_len,)`` in training), ``clip_len``, ``frame_interval``,
    ``num_clips`` (segments per clip, as MMAction2's samplers count them),
    ``segment_interval``.

    Args:
        num_segments: alpha, segments per training sample (>= 1).
        test_segments: beta, segments per test clip and the interval divisor.
        clip_len: consecutive frames per segment.
        test_mode: sample as in testing.
        test_clips: C, clips per video in testing (>= 1).
        seed: seed of a private random generator; None uses numpy's global
            state (which MMEngine seeds per worker).
    """

    def __init__(self,
                 num_segments: int,
                 test_segments: int,
                 *,
                 clip_len: int = 1,
                 test_mode: bool = False,
                 test_clips: int = 1,
                 seed=None):
        for name, value in (('num_segments', num_segments), ('test_segments',
                                                             test_segments),
                            ('clip_len', clip_len), ('test_clips',
                                                     test_clips)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f'{name} must be a positive int, got {value!r}')
        if num_segments > test_segments:
            raise ValueError(f'num_segments ({num_segments}) must not exceed '
                             f'test_segments ({test_segments}): training '
                             'segments are a run of the test segments')
        self.num_segments = num_segments
        self.test_segments = test_segments
        self.clip_len = clip_len
        self.test_mode = test_mode
        self.test_clips = test_clips
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def _randint(self, high: int) -> int:
        """A random int in [0, high)."""
        if self._rng is not None:
            return int(self._rng.integers(high))
        return int(np.random.randint(high))

    def sample(self, total_frames: int) -> np.ndarray:
        """0-based frame indices, (clips * segments * clip_len,), clip-major
        then segment-major."""
        interval = max(1, total_frames // self.test_segments)
        count = self.test_segments if self.test_mode else self.num_segments
        span = (count - 1) * interval + self.clip_len
        slack = max(0, total_frames - span)
        if self.test_mode:
            c = np.arange(self.test_clips)
            first = (2 * c + 1) * slack // (2 * self.test_clips)  # (C,)
        else:
            first = np.array([self._randint(slack + 1)])  # (1,)
        starts = first[:, None] + interval * np.arange(count)  # (C, count)
        # no segment may run past the last frame
        starts = np.minimum(starts, total_frames - self.clip_len)
        inds = starts[..., None] + np.arange(
            self.clip_len)  # (C, count, clip_len)
        return inds.reshape(-1)

    def transform(self, results: dict) -> dict:
        total = results['total_frames']
        if total < max(1, self.clip_len):
            name = results.get('filename', results.get('frame_dir',
                                                       '<unknown>'))
            if total < 1:
                raise ValueError(f'{name}: video has no frames to sample')
            raise ValueError(
                f'{name}: video has {total} frames, too short for segments '
                f'of {self.clip_len} consecutive frames')
        inds = self.sample(total) + results.get('start_index', 0)
        results['frame_inds'] = inds.astype(np.int32)
        results['clip_len'] = self.clip_len
        results['frame_interval'] = None
        results['num_clips'] = (
            self.test_segments if self.test_mode else self.num_segments)
        results['segment_interval'] = max(1, total // self.test_segments)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_segments={self.num_segments}, '
                f'test_segments={self.test_segments}, '
                f'clip_len={self.clip_len}, test_mode={self.test_mode}, '
                f'test_clips={self.test_clips})')


@TRANSFORMS.register_module()
class TimeReverse(BaseTransform):
    """Play a training sample backwards and relabel it, as ``Flip`` does.

    A video played backwards shows the opposite motion: rightward becomes
    leftward, a clockwise rotation anticlockwise, with the same frames. With
    ``label_map`` (``{label: label of the reversed video}``, the labels a
    reversal keeps left out) a reversed sample is a sample of another class
    whose appearance is that of the original, so the only way to tell the
    two apart is the order of the segments. Put it after the sampler and
    before the decoder: it reverses ``frame_inds`` (segment order and the
    frames inside each segment), which the decoders read in order.

    For frame inputs (RGB, and RGB-diff, which differences the decoded
    frames): optical-flow stacks played backwards would also need every
    flow vector negated, which this does not do.

    Required keys: ``frame_inds``; ``label`` when ``label_map`` is given.
    Modified keys: ``frame_inds``, ``label``. Added key: ``time_reversed``.

    Args:
        reverse_ratio: probability of reversing a sample.
        label_map: labels of the reversed classes; None keeps the label
            (for classes a reversal does not change).
    """

    def __init__(self, reverse_ratio: float = 0.5, label_map=None):
        if not 0 <= reverse_ratio <= 1:
            raise ValueError(
                f'reverse_ratio must be in [0, 1], got {reverse_ratio!r}')
        self.reverse_ratio = reverse_ratio
        self.label_map = None if label_map is None else {
            int(k): int(v)
            for k, v in dict(label_map).items()
        }

    def transform(self, results: dict) -> dict:
        if 'imgs' in results:
            raise RuntimeError('TimeReverse reverses frame_inds, so it must '
                               'come before the decoder, not after it')
        reverse = bool(np.random.rand() < self.reverse_ratio)
        results['time_reversed'] = reverse
        if reverse:
            results['frame_inds'] = np.ascontiguousarray(
                results['frame_inds'][::-1])
            if self.label_map is not None:
                label = results['label']
                results['label'] = self.label_map.get(int(label), label)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(reverse_ratio='
                f'{self.reverse_ratio}, label_map={self.label_map})')
