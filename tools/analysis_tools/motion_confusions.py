"""Which classes does a motion-benchmark model confuse?

Reads the test predictions that ``tools/test.py --dump`` wrote for each
seed of a run (with :func:`off_plugins.safe_pickle.load_prediction_dump`,
which refuses any pickle that names code) and counts the (true, predicted)
class pairs of the errors. A pair and its mirror (``rotate_cw`` read as
``rotate_ccw`` and back) are counted together: for a model that averages
its segments they are the same confusion, the direction of a motion.

    python tools/motion_benchmark.py --holdout --confusions   # no training
"""
from collections import Counter
from typing import Dict, Iterable, List, Sequence, Tuple

from off_plugins.safe_pickle import load_prediction_dump


def _label(value) -> int:
    """A label of MMAction2's dump: a 0-d / 1-element tensor or an int."""
    if hasattr(value, 'reshape'):
        value = value.reshape(-1)[0]
    return int(value)


def dump_labels(path: str) -> List[Tuple[int, int]]:
    """``[(true, predicted)]`` of every video of one prediction dump."""
    samples = load_prediction_dump(path)
    if not isinstance(samples, list):
        raise ValueError(f'{path}: expected a list of per-video results, '
                         f'got {type(samples).__name__}')
    pairs = []
    for index, sample in enumerate(samples):
        if not isinstance(sample, dict) or not {'gt_label', 'pred_label'
                                                } <= set(sample):
            raise ValueError(f'{path}: video {index} has no gt_label and '
                             'pred_label')
        pairs.append(
            (_label(sample['gt_label']), _label(sample['pred_label'])))
    return pairs


def confusions(dumps: Iterable[str],
               classes: Sequence[str]) -> Tuple[int, int, Counter]:
    """Videos, errors and the errors per unordered pair of class names
    (``'a <-> b'``, names sorted) over the given dumps (one per seed)."""
    videos, pairs = 0, Counter()
    for path in dumps:
        for true, pred in dump_labels(path):
            videos += 1
            if true != pred:
                for label in (true, pred):
                    if not 0 <= label < len(classes):
                        raise ValueError(
                            f'{path}: label {label} is not one of the '
                            f'{len(classes)} classes')
                a, b = sorted((classes[true], classes[pred]))
                pairs[f'{a} <-> {b}'] += 1
    return videos, sum(pairs.values()), pairs


def direction_swaps(pairs: Dict[str, int],
                    motions: Dict[str, Tuple[float, float, float]]) -> int:
    """Errors between two classes whose motions are opposite: the same
    (dx, dy, degrees) per frame with every sign flipped, such as
    ``right_fast`` and ``left_fast`` or ``rotate_cw`` and ``rotate_ccw``
    (``motions``: ``data_tools.motion.ALL_MOTIONS``)."""
    total = 0
    for pair, count in pairs.items():
        a, b = pair.split(' <-> ')
        if tuple(-v for v in motions[a]) == tuple(motions[b]):
            total += count
    return total
