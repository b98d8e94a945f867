"""ImageNet VID (and DET as one-frame videos) in CocoVID json, on mmdet's video plumbing.

Frames of a video are loaded with :class:`mmdet.datasets.BaseVideoDataset`.
Training pairs a key frame with its reference through the pipeline
(:class:`FixedOffsetRefFrameSample`: the frame ``offset`` frames earlier). At
test time mmdet's ``TrackImgSampler`` hands one frame at a time to the
dataset; with ``test_ref_offset`` set, the dataset adds the reference chosen
by the same rule (:func:`reference_pair`), so OFF sees the same time gap and
direction (the Delta t of Eq. 7) in training and test.
"""
import json
import os.path as osp
import random
import warnings
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import mmengine.fileio as fileio
from mmdet.datasets import BaseVideoDataset
from mmdet.datasets.transforms import BaseFrameSample
from mmdet.registry import DATASETS, TRANSFORMS

from .vid_classes import VID_CLASSES


def reference_pair(key: int, video_length: int,
                   offset: int) -> Tuple[List[int], List[bool]]:
    """The key frame and its reference ``offset`` frames earlier, in time order.

    A negative ``offset`` looks ahead. The reference is clamped to the video,
    so the first frames (last ones for a negative offset) use the nearest
    frame in that direction, and a one-frame video (a DET image) is its own
    reference.

    Returns:
        the two frame indices in time order and their key-frame flags.
    """
    if not 0 <= key < video_length:
        raise ValueError(f'key frame {key} is outside a video of '
                         f'{video_length} frames')
    ref = min(max(key - offset, 0), video_length - 1)
    return ([ref, key], [False, True]) if ref <= key else ([key, ref],
                                                           [True, False])


@TRANSFORMS.register_module()
class FixedOffsetRefFrameSample(BaseFrameSample):
    """Pair a key frame with the frame ``offset`` frames earlier (training).

    The same rule as :class:`ImagenetVIDDataset` applies at test time with
    ``test_ref_offset``, so the temporal difference of OFF is taken at one
    gap and in one direction everywhere, as Eq. 7 assumes (mmdet's
    ``UniformRefFrameSample`` draws references before and after the key at
    random gaps, which flips the sign of the difference).

    Args:
        offset: frames between the reference and the key frame; positive
            looks back (the reference precedes the key), negative ahead;
            0 pairs the key frame with itself (no motion).
        collect_video_keys: see ``BaseFrameSample``.

    Output: the dict of per-frame lists that ``BaseFrameSample.prepare_data``
    builds, for the two frames in time order, plus ``key_frame_flags``.
    """

    def __init__(self,
                 offset: int = 1,
                 collect_video_keys: Sequence[str] = ('video_id',
                                                      'video_length')):
        if not isinstance(offset, int):
            raise TypeError(f'offset must be an int, got {offset!r}')
        self.offset = offset
        super().__init__(collect_video_keys=list(collect_video_keys))

    def transform(self, video_infos: dict) -> Dict[str, list]:
        length = video_infos['video_length']
        key = video_infos.get('key_frame_id')
        if key is None:
            key = random.randrange(length)
        frames, flags = reference_pair(key, length, self.offset)
        results = self.prepare_data(video_infos, frames)
        results['key_frame_flags'] = flags
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(offset={self.offset})'


def check_annotation_file(ann_file: str) -> None:
    """Raise ``ValueError`` naming ``ann_file`` if it is empty or holds no frames."""
    with fileio.get_local_path(ann_file) as local_path:
        if osp.getsize(local_path) == 0:
            raise ValueError(f'annotation file {ann_file} is empty')
        with open(local_path) as f:
            try:
                content = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f'annotation file {ann_file} is not valid '
                                 f'json: {e}') from e
    if not isinstance(content, dict) or not content.get('images'):
        raise ValueError(f'annotation file {ann_file} lists no images')


def clip_box(bbox: List[float], width: int,
             height: int) -> Optional[List[float]]:
    """Clip an ``[x, y, w, h]`` box to the image; None if nothing is left."""
    x1, y1 = max(bbox[0], 0), max(bbox[1], 0)
    x2, y2 = min(bbox[0] + bbox[2], width), min(bbox[1] + bbox[3], height)
    if x2 - x1 < 1 or y2 - y1 < 1:
        return None
    return [x1, y1, x2 - x1, y2 - y1]


@DATASETS.register_module()
class ImagenetVIDDataset(BaseVideoDataset):
    """ImageNet VID / DET-30 frames grouped into videos.

    Bad input, MMDetection's way: boxes partly outside the image are clipped,
    boxes with less than one pixel inside are dropped, both counted in one warning
    that names the annotation file; training frames without boxes are filtered
    (``filter_cfg``); an empty annotation file raises ``ValueError`` naming it.

    Args:
        test_ref_offset: at test time, pair frame ``i`` with frame
            ``reference_pair(i, video_length, test_ref_offset)`` as its
            reference (the rule of :class:`FixedOffsetRefFrameSample`); None
            tests key frames alone (single-frame detectors).
        **kwargs: see :class:`mmdet.datasets.BaseVideoDataset`.
    """

    METAINFO = dict(classes=VID_CLASSES)

    def __init__(self, *args, test_ref_offset: Optional[int] = None, **kwargs):
        if test_ref_offset is not None and not isinstance(
                test_ref_offset, int):
            raise TypeError('test_ref_offset must be an int or None, got '
                            f'{test_ref_offset!r}')
        self.test_ref_offset = test_ref_offset
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        check_annotation_file(self.ann_file)
        self._box_fixes = defaultdict(int)
        data_list = super().load_data_list()
        if self._box_fixes:
            warnings.warn(
                f'{self.ann_file}: {self._box_fixes["clipped"]} boxes clipped '
                f'to their image, {self._box_fixes["dropped"]} boxes with less '
                'than one pixel inside their image dropped')
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> dict:
        img = raw_data_info['raw_img_info']
        kept = []
        for ann in raw_data_info['raw_ann_info']:
            box = clip_box(ann['bbox'], img['width'], img['height'])
            if box is None:
                self._box_fixes['dropped'] += 1
                continue
            if box != list(ann['bbox']):
                self._box_fixes['clipped'] += 1
                ann = dict(ann, bbox=box, area=box[2] * box[3])
            kept.append(ann)
        return super().parse_data_info(
            dict(raw_img_info=img, raw_ann_info=kept))

    def filter_data(self) -> List[dict]:
        """mmdet's filtering, then drop videos left without frames."""
        return [v for v in super().filter_data() if v['images']]

    def prepare_data(self, idx) -> Any:
        if not (self.test_mode and self.test_ref_offset is not None
                and isinstance(idx, tuple)):
            return super().prepare_data(idx)
        video_idx, frame_idx = idx
        video = self.get_data_info(video_idx)
        order, flags = reference_pair(frame_idx, video['video_length'],
                                      self.test_ref_offset)
        frames = defaultdict(list)
        for index in order:
            frame = dict(
                video['images'][index],
                video_id=video['video_id'],
                ori_video_length=video['video_length'])
            for key, value in frame.items():
                frames[key].append(value)
        frames['video_length'] = [2, 2]
        frames['key_frame_flags'] = flags
        return self.pipeline(frames)
