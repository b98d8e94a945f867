"""Checks that stop an MMAction2 run before its first batch, naming the cause.

``InputCheckHook`` compares every annotation list the run reads with the
model: a line without a label (MMAction2 gives it the fake label -1) or with a
label outside ``[0, num_classes)`` would make training fail with an opaque
index error and make a test report 0% and exit 0. It also checks that the OFF
neck's per-scale classifiers and the head predict the same number of classes,
and that the evaluation pipelines' frames per video split into views of the
neck's ``test_num_segments`` (otherwise a training run fails only at its
first validation, after the training).
"""
from typing import List, Optional

from mmaction.registry import DATASETS, HOOKS
from mmengine.fileio import list_from_file
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

MAX_LISTED = 3


def _num_classes(runner) -> int:
    """``cls_head.num_classes`` of the runner's model; ValueError naming the
    neck's when the OFF neck disagrees."""
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    head = getattr(model, 'cls_head', None)
    if head is None or not hasattr(head, 'num_classes'):
        raise ValueError('InputCheckHook needs a recognizer with a cls_head '
                         f'that has num_classes, got {type(model).__name__}')
    neck_classes = getattr(getattr(model, 'neck', None), 'num_classes', None)
    if neck_classes is not None and neck_classes != head.num_classes:
        raise ValueError(
            f'model.neck.num_classes ({neck_classes}) and '
            f'model.cls_head.num_classes ({head.num_classes}) differ: the OFF '
            'neck and the head must predict the same classes; set both')
    return head.num_classes


def check_labels(dataset, num_classes: int, split: str) -> None:
    """Raise ValueError naming the list file and line of every bad label.

    Args:
        dataset: an MMAction2 dataset read from ``dataset.ann_file`` (one
            sample a line, as ``VideoDataset`` and ``RawframeDataset``).
        num_classes: the model's number of classes.
        split: ``'train'``, ``'val'`` or ``'test'``, for the message.

    Raises:
        ValueError: a sample has no label (MMAction2's fake label -1 for a
            line with only a path) or a label outside ``[0, num_classes)``;
            the first few are listed as ``file, line N: ...``.
    """
    ann_file: Optional[str] = getattr(dataset, 'ann_file', None)
    if not ann_file:
        return
    lines: List[str] = list_from_file(ann_file)
    by_line = len(lines) == len(dataset)
    problems = []
    for index in range(len(dataset)):
        labels = dataset.get_data_info(index)['label']
        labels = labels if isinstance(labels, (list, tuple)) else [labels]
        where = (f'{ann_file}, line {index + 1}'
                 if by_line else f'{ann_file}, sample {index}')
        text = f' ({lines[index].strip()!r})' if by_line else ''
        for label in labels:
            if int(label) == -1:
                problems.append(f'{where}: no class label{text}')
            elif not 0 <= int(label) < num_classes:
                problems.append(f'{where}: label {int(label)} is outside '
                                f'[0, {num_classes}){text}')
    if problems:
        listed = '; '.join(problems[:MAX_LISTED])
        more = len(problems) - MAX_LISTED
        raise ValueError(
            f'{split} annotation list {ann_file} has {len(problems)} bad '
            f'label(s) for a model of {num_classes} classes: {listed}' +
            (f'; and {more} more' if more > 0 else ''))


def check_view_split(dataset, test_num_segments: int, split: str) -> None:
    """Raise ValueError unless ``dataset``'s first sample has a multiple of
    ``test_num_segments`` frames (clips x crops x segments), as the OFF neck
    needs to split it into views.

    Args:
        dataset: an evaluation dataset with its pipeline (one sample is
            loaded: its first video).
        test_num_segments: the neck's ``test_num_segments``.
        split: ``'val'`` or ``'test'``, for the message.
    """
    if len(dataset) == 0:
        return
    frames = dataset[0]['inputs'].shape[0]  # (clips*crops*segments, ...)
    if frames % test_num_segments:
        raise ValueError(
            f'the {split} pipeline gives {frames} frames per video (clips x '
            f'crops x segments), which do not split into views of '
            f'model.neck.test_num_segments={test_num_segments}: make its '
            'sampler produce test_num_segments segments per clip')


@HOOKS.register_module()
class InputCheckHook(Hook):
    """Check the run's inputs against the model before the first batch.

    ``before_train`` checks the train and val lists with
    :func:`check_labels`, the val and test pipelines with
    :func:`check_view_split` (the test one only when its dataset can be
    built, e.g. its list exists); ``before_test`` the test list and
    pipeline. Both first check that the OFF neck and the head agree on
    ``num_classes``.
    """

    priority = 'VERY_HIGH'

    @staticmethod
    def _test_num_segments(runner) -> Optional[int]:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        return getattr(getattr(model, 'neck', None), 'test_num_segments', None)

    def before_train(self, runner) -> None:
        num_classes = _num_classes(runner)
        check_labels(runner.train_dataloader.dataset, num_classes, 'train')
        segments = self._test_num_segments(runner)
        if runner.val_loop is not None:
            check_labels(runner.val_dataloader.dataset, num_classes, 'val')
            if segments:
                check_view_split(runner.val_dataloader.dataset, segments,
                                 'val')
        test_cfg = runner.cfg.get('test_dataloader')
        if segments and test_cfg:
            try:
                dataset = DATASETS.build(test_cfg['dataset'])
            except Exception as err:  # e.g. a test list made later
                runner.logger.warning(f'InputCheckHook: the test dataset '
                                      f'does not build yet ({err}); its '
                                      'pipeline is checked when testing')
                return
            check_view_split(dataset, segments, 'test')

    def before_test(self, runner) -> None:
        dataset = runner.test_dataloader.dataset
        check_labels(dataset, _num_classes(runner), 'test')
        segments = self._test_num_segments(runner)
        if segments:
            check_view_split(dataset, segments, 'test')
