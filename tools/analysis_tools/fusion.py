"""Late fusion of class scores from several streams (RGB, OFF, flow, ...).

The inputs are the pickles MMAction2's ``tools/test.py --dump preds.pkl``
writes: mmengine's ``DumpResults`` metric stores one dict per test video,
``ActionDataSample.to_dict()``, with ``pred_score`` (tensor ``(C,)``),
``pred_label``, ``gt_label`` (tensor ``(1,)``) and the sample's metainfo
(``filename`` for video datasets, ``frame_dir`` for rawframe and pose ones).

The fusion and the metrics are MMAction2's own, as in its
``tools/analysis_tools/report_accuracy.py``: ``get_weighted_score``,
``top_k_accuracy`` and ``mean_class_accuracy``. This module adds what that
script lacks: named streams, several combinations in one call (one row each,
with the per-stream rows next to the fused ones), a top-5 that says it is a
top-C when there are fewer than 5 classes, safe loading (a crafted pickle is
refused before it runs anything, :mod:`off_plugins.safe_pickle`), and
alignment by video identity: each dump's videos are matched by name
(``filename`` or ``frame_dir``, which the shipped configs' ``PackActionInputs``
keep in the dumps), so streams tested in different orders fuse correctly and
a dump of other videos is an error, not a silently wrong score. Dumps without
video names can only be matched by position and label, which cannot notice
two videos of one class swapped; they are refused unless the caller allows it.
"""
import math
import os.path as osp
import warnings
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence

import numpy as np
import torch
from mmaction.evaluation.functional import (get_weighted_score,
                                            mean_class_accuracy,
                                            top_k_accuracy)
from off_plugins.safe_pickle import load_prediction_dump
from scipy.special import softmax

# Metainfo keys that name the video a sample came from, in order of preference.
ID_KEYS = ('filename', 'frame_dir')
# Extensions dropped before comparing video names, so that ``v_x.avi`` (RGB
# from videos) matches ``v_x`` (flow from rawframes).
VIDEO_EXTENSIONS = ('.avi', '.mp4', '.mkv', '.webm', '.mov', '.flv', '.mpg',
                    '.mpeg', '.m4v', '.wmv')
TOP5 = 5


class StreamDump(NamedTuple):
    """One stream's test results, as loaded from its dump.

    Attributes:
        path: the pickle it was loaded from.
        scores: ``(N, C)`` class scores, one row per video.
        labels: ``(N,)`` int64 ground-truth class of each video.
        ids: the ``N`` video identifiers (``filename`` or ``frame_dir``), or
            None when the dump does not carry them.
    """
    path: str
    scores: np.ndarray
    labels: np.ndarray
    ids: Optional[List[str]]


def _to_numpy(value) -> np.ndarray:
    """A tensor, array or number as a numpy array (tensors copied to CPU)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _sample_ids(samples: Sequence[dict]) -> Optional[List[str]]:
    """Identifiers of ``samples`` under the first ``ID_KEYS`` key they all
    carry, or None if none is carried by every sample."""
    for key in ID_KEYS:
        if all(key in sample for sample in samples):
            return [str(sample[key]) for sample in samples]
    return None


def load_dump(path: str) -> StreamDump:
    """Load one ``tools/test.py --dump`` pickle of a single-label recognizer.

    Args:
        path: the ``.pkl`` file: a list of dicts with ``pred_score`` (C,) and
            ``gt_label`` (a one-element tensor or an int).

    Returns:
        ``StreamDump`` with scores ``(N, C)`` in the dump's dtype, labels
        ``(N,)`` int64 and the video identifiers if every sample has one.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file does not load, is empty, or a sample lacks a
            score or label, has a multi-label ``gt_label``, a score of
            another length than the first sample's, or a label outside
            ``[0, C)``. Every message names the file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'score dump {path} does not exist')
    try:
        samples = load_prediction_dump(path)
    except Exception as err:
        raise ValueError(f'cannot load score dump {path}: {err}') from err
    if not isinstance(samples, (list, tuple)):
        raise ValueError(f'{path} should hold a list of per-video dicts as '
                         f'tools/test.py --dump writes, got '
                         f'{type(samples).__name__}')
    if not samples:
        raise ValueError(f'{path} holds no samples')

    scores, labels = [], []
    for index, sample in enumerate(samples):
        if not isinstance(sample, dict) or not {'pred_score', 'gt_label'
                                                } <= sample.keys():
            found = sorted(sample) if isinstance(
                sample, dict) else type(sample).__name__
            raise ValueError(f'{path}: sample {index} should be a dict with '
                             f"'pred_score' and 'gt_label', got {found}")
        score = _to_numpy(sample['pred_score'])
        if score.ndim != 1:
            raise ValueError(f'{path}: sample {index} pred_score should have '
                             f'shape (num_classes,), got {score.shape}')
        if scores and score.shape != scores[0].shape:
            raise ValueError(f'{path}: sample {index} has '
                             f'{score.shape[0]} class scores, sample 0 has '
                             f'{scores[0].shape[0]}')
        label = _to_numpy(sample['gt_label'])
        if label.size != 1:
            raise ValueError(f'{path}: sample {index} gt_label should hold '
                             f'one class index, got shape {label.shape} '
                             '(multi-label dumps are not supported)')
        label = int(label.reshape(()))
        if not 0 <= label < score.shape[0]:
            raise ValueError(f'{path}: sample {index} gt_label {label} is '
                             f'outside [0, {score.shape[0]})')
        scores.append(score)
        labels.append(label)
    return StreamDump(
        path=path,
        scores=np.stack(scores),
        labels=np.asarray(labels, dtype=np.int64),
        ids=_sample_ids(samples))


def video_name(identifier: str) -> str:
    """The video's name in ``identifier``: its last path component without a
    video extension (``'data/v/a.avi'`` and ``'data/flow/a/'`` give ``'a'``).
    """
    name = osp.basename(identifier.rstrip('/\\'))
    stem, ext = osp.splitext(name)
    return stem if ext.lower() in VIDEO_EXTENSIONS else name


def _select(dump: StreamDump, order: Sequence[int]) -> StreamDump:
    """``dump`` with its videos taken in ``order``."""
    index = np.asarray(order, dtype=np.int64)
    return dump._replace(
        scores=dump.scores[index],
        labels=dump.labels[index],
        ids=[dump.ids[i] for i in index])


def _name_index(name: str, dump: StreamDump) -> Dict[str, int]:
    """Video name -> position in ``dump``; ValueError on a repeated name."""
    index: Dict[str, int] = {}
    for position, identifier in enumerate(dump.ids):
        key = video_name(identifier)
        if key in index:
            raise ValueError(
                f'stream {name!r} ({dump.path}) holds video {key!r} twice '
                f'(samples {index[key]} and {position}): cannot match its '
                'videos to the other streams')
        index[key] = position
    return index


def align(dumps: Mapping[str, StreamDump],
          allow_unnamed: bool = False) -> Dict[str, StreamDump]:
    """Match every dump's videos to the first dump's, by video name.

    Each dump is reordered to the first dump's video order (the video names
    of :func:`video_name`, so a video file and its rawframe folder match),
    then :func:`check_aligned` checks counts, classes and that every video
    has the same ground truth in every stream.

    Args:
        dumps: stream name -> its loaded dump.
        allow_unnamed: when one of several dumps carries no video names
            (a single dump needs none), match by position
            (with a warning) instead of raising. Position and label cannot
            tell two videos of one class apart.

    Returns:
        stream name -> its dump in the first dump's video order.

    Raises:
        ValueError: ``dumps`` is empty; a dump has no video names (unless
            ``allow_unnamed``); a name repeats within a dump; the dumps hold
            different videos (the message names the streams, files and the
            first videos missing); or :func:`check_aligned` fails.
    """
    if not dumps:
        raise ValueError('need at least one stream to align, got none')
    unnamed = [
        f'{name!r} ({dump.path})' for name, dump in dumps.items()
        if dump.ids is None
    ]
    if unnamed and len(dumps) > 1:
        message = (f'stream(s) {", ".join(unnamed)} do not record which video '
                   'each score belongs to (no filename / frame_dir); add '
                   "'filename' (videos) or 'frame_dir' (rawframes) to "
                   "PackActionInputs' meta_keys in the test pipeline and "
                   'dump again')
        if not allow_unnamed:
            raise ValueError(message + ', or allow matching by position '
                             '(--allow-unnamed), which cannot notice two '
                             'videos of one class in a different order')
        warnings.warn(message + '; matching by position and label only')
        check_aligned(dumps)
        return dict(dumps)
    if len(dumps) == 1:
        return dict(dumps)

    (ref_name, ref), *others = dumps.items()
    ref_index = _name_index(ref_name, ref)
    aligned = {ref_name: ref}
    for name, dump in others:
        own_index = _name_index(name, dump)
        missing = [key for key in ref_index if key not in own_index]
        extra = [key for key in own_index if key not in ref_index]
        if missing or extra:
            raise ValueError(
                f'stream {name!r} ({dump.path}) and stream {ref_name!r} '
                f'({ref.path}) hold different videos: {len(missing)} only in '
                f'{ref_name!r} (first: {missing[:3]}), {len(extra)} only in '
                f'{name!r} (first: {extra[:3]})')
        aligned[name] = _select(dump, [own_index[key] for key in ref_index])
    check_aligned(aligned)
    return aligned


def check_aligned(dumps: Mapping[str, StreamDump]) -> None:
    """Check that every dump scores the same videos in the same order.

    Each dump is compared with the first: number of videos, number of
    classes, the ground-truth label of every video and, when both dumps carry
    video identifiers, the video names (:func:`video_name`, so a video file
    and its rawframe folder match).

    Args:
        dumps: stream name -> its loaded dump.

    Raises:
        ValueError: ``dumps`` is empty, or a dump disagrees with the first;
            the message names both streams and files and the first
            differing video.
    """
    if not dumps:
        raise ValueError('need at least one stream to check, got none')
    (ref_name, ref), *others = dumps.items()
    for name, dump in others:
        pair = (f'stream {name!r} ({dump.path}) and stream {ref_name!r} '
                f'({ref.path})')
        if len(dump.labels) != len(ref.labels):
            raise ValueError(f'{pair} hold different numbers of videos: '
                             f'{len(dump.labels)} and {len(ref.labels)}')
        if dump.scores.shape[1] != ref.scores.shape[1]:
            raise ValueError(f'{pair} score different numbers of classes: '
                             f'{dump.scores.shape[1]} and '
                             f'{ref.scores.shape[1]}')
        if dump.ids is not None and ref.ids is not None:
            for index, (own, other) in enumerate(zip(dump.ids, ref.ids)):
                if video_name(own) != video_name(other):
                    raise ValueError(f'{pair} differ at video {index}: '
                                     f'{own!r} and {other!r}')
        differ = np.flatnonzero(dump.labels != ref.labels)
        if differ.size:
            index = int(differ[0])
            video = '' if ref.ids is None else f' ({ref.ids[index]!r})'
            raise ValueError(f'{pair} have different ground truth at video '
                             f'{index}{video}: label {dump.labels[index]} '
                             f'and {ref.labels[index]}')


def fuse(score_list: Sequence[np.ndarray],
         weights: Sequence[float],
         apply_softmax: bool = False) -> np.ndarray:
    """Weighted sum of the streams' scores, ``sum_s weights[s] * scores[s]``.

    Args:
        score_list: S arrays of shape ``(N, C)``, one per stream.
        weights: S finite positive coefficients, one per stream.
        apply_softmax: softmax each video's scores over the classes first
            (as ``report_accuracy.py --apply-softmax``), so that streams with
            logits of different scales count alike.

    Returns:
        ``(N, C)`` fused scores.
    """
    if not score_list:
        raise ValueError('need at least one score array to fuse, got none')
    if len(weights) != len(score_list):
        raise ValueError(f'need one weight per stream: got {len(weights)} '
                         f'weights for {len(score_list)} streams')
    if not all(math.isfinite(w) and w > 0 for w in weights):
        raise ValueError(f'weights must be finite positive numbers, got '
                         f'{list(weights)}')
    shape = np.shape(score_list[0])
    if len(shape) != 2:
        raise ValueError(f'scores should have shape (N, C), got {shape}')
    for index, scores in enumerate(score_list):
        if np.shape(scores) != shape:
            raise ValueError(f'scores {index} have shape {np.shape(scores)}, '
                             f'scores 0 have {shape}')
    if apply_softmax:
        score_list = [softmax(scores, axis=1) for scores in score_list]
    return np.stack(get_weighted_score(list(score_list), list(weights)))


def evaluate(scores: np.ndarray, labels: np.ndarray) -> Dict[str, float]:
    """Top-1, top-5 and mean class accuracy, as MMAction2 computes them.

    Args:
        scores: ``(N, C)`` class scores.
        labels: ``(N,)`` ground-truth class indices.

    Returns:
        dict with ``top1``, ``top5`` and ``mean_class_acc`` (fractions in
        [0, 1]), ``top5_k`` (the k used for ``top5``: ``min(5, C)``, as a
        top-5 over fewer than 5 classes is a top-C) and ``num_videos``.
        ``mean_class_acc`` is ``mean_class_accuracy``'s: the mean over every
        class that occurs as a label or a prediction.
    """
    scores = np.asarray(scores)
    labels = np.asarray(labels, dtype=np.int64)
    if scores.ndim != 2 or labels.shape != (scores.shape[0], ):
        raise ValueError(f'need scores (N, C) and labels (N,), got '
                         f'{scores.shape} and {labels.shape}')
    if scores.shape[0] == 0:
        raise ValueError('need at least one video to evaluate, got 0')
    k = min(TOP5, scores.shape[1])
    top1, topk = top_k_accuracy(scores, labels, (1, k))
    return dict(
        top1=float(top1),
        top5=float(topk),
        top5_k=k,
        mean_class_acc=float(mean_class_accuracy(scores, labels)),
        num_videos=int(scores.shape[0]))


def _check_combos(combos: Sequence[Sequence[str]],
                  known: Sequence[str]) -> None:
    """Raise ValueError for an empty combination, a repeated stream in one, or
    a stream name not in ``known``."""
    for combo in combos:
        if not combo:
            raise ValueError('a combination needs at least one stream, got '
                             'an empty one')
        for name in combo:
            if name not in known:
                raise ValueError(f'unknown stream {name!r} in combination '
                                 f'{"+".join(combo)!r}; known streams: '
                                 f'{", ".join(known)}')
        if len(set(combo)) != len(combo):
            raise ValueError(f'combination {"+".join(combo)!r} names a '
                             'stream twice; give it a larger weight instead')


def fusion_table(streams: Mapping[str, str],
                 combos: Optional[Sequence[Sequence[str]]] = None,
                 weights: Optional[Mapping[str, float]] = None,
                 apply_softmax: bool = False,
                 allow_unnamed: bool = False) -> List[dict]:
    """Accuracy of each stream alone and of each combination of streams.

    Every stream used in a combination gets its own row first (in the order
    of ``streams``), then the multi-stream combinations follow in the order
    given, each once (``rgb+flow`` and ``flow+rgb`` are the same fusion).

    Args:
        streams: stream name -> its ``tools/test.py --dump`` pickle. The
            dumps are matched video by video with :func:`align`.
        combos: lists of stream names to fuse; None fuses all streams.
        weights: stream name -> positive coefficient, one for every
            stream; None weighs every stream 1.
        apply_softmax: softmax each stream's scores before fusing.
        allow_unnamed: match dumps without video names by position (see
            :func:`align`).

    Returns:
        One dict per row: ``combo`` (``'rgb+flow'``), ``streams``,
        ``weights``, and :func:`evaluate`'s ``top1``, ``top5``, ``top5_k``,
        ``mean_class_acc`` and ``num_videos``.
    """
    if not streams:
        raise ValueError('need at least one stream, got none')
    names = list(streams)
    if weights is None:
        weights = {name: 1.0 for name in names}
    missing = [name for name in names if name not in weights]
    unknown = [name for name in weights if name not in streams]
    if missing or unknown:
        raise ValueError(f'need one weight per stream ({", ".join(names)}); '
                         f'missing: {", ".join(missing) or "none"}, unknown: '
                         f'{", ".join(unknown) or "none"}')
    combos = [names] if combos is None else [list(c) for c in combos]
    _check_combos(combos, names)

    used = {name for combo in combos for name in combo}
    ordered = [[name] for name in names if name in used]
    seen = set()
    for combo in combos:
        key = frozenset(combo)
        if len(combo) > 1 and key not in seen:
            seen.add(key)
            ordered.append(combo)

    dumps = {name: load_dump(path) for name, path in streams.items()}
    dumps = align(dumps, allow_unnamed)
    labels = next(iter(dumps.values())).labels
    rows = []
    for combo in ordered:
        coeffs = [float(weights[name]) for name in combo]
        fused = fuse([dumps[name].scores for name in combo], coeffs,
                     apply_softmax)
        rows.append(
            dict(
                combo='+'.join(combo),
                streams=combo,
                weights=coeffs,
                **evaluate(fused, labels)))
    return rows
