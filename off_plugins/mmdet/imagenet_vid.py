"""ImageNet VID (and DET as one-frame videos) in CocoVID json, on mmdet's video plumbing.

Frames of a video are loaded with :class:`mmdet.datasets.BaseVideoDataset`.
Training pairs a key frame with reference frames through the pipeline
(``UniformRefFrameSample``). At test time mmdet's ``TrackImgSampler`` hands
one frame at a time to the dataset; with ``test_ref_offset`` set, the dataset
adds the frame ``test_ref_offset`` frames earlier (the key frame itself at the
start of a video) as the reference, so OFF sees the same pair at test time.
"""
import json
import os.path as osp
import warnings
from collections import defaultdict
from typing import Any, List, Optional

import mmengine.fileio as fileio

from mmdet.datasets import BaseVideoDataset
from mmdet.registry import DATASETS

from .vid_classes import VID_CLASSES


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


def clip_box(bbox: List[float], width: int, height: int) -> Optional[List[float]]:
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
            ``max(i - test_ref_offset, 0)`` as its reference; None tests key
            frames alone (single-frame detectors).
        **kwargs: see :class:`mmdet.datasets.BaseVideoDataset`.
    """

    METAINFO = dict(classes=VID_CLASSES)

    def __init__(self, *args, test_ref_offset: Optional[int] = None, **kwargs):
        if test_ref_offset is not None and test_ref_offset < 0:
            raise ValueError('test_ref_offset must be >= 0 or None, got '
                             f'{test_ref_offset}')
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
        return super().parse_data_info(dict(raw_img_info=img, raw_ann_info=kept))

    def filter_data(self) -> List[dict]:
        """mmdet's filtering, then drop videos left without frames."""
        return [v for v in super().filter_data() if v['images']]

    def prepare_data(self, idx) -> Any:
        if not (self.test_mode and self.test_ref_offset is not None
                and isinstance(idx, tuple)):
            return super().prepare_data(idx)
        video_idx, frame_idx = idx
        video = self.get_data_info(video_idx)
        ref_idx = max(frame_idx - self.test_ref_offset, 0)
        frames = defaultdict(list)
        for index in (ref_idx, frame_idx):
            frame = dict(video['images'][index], video_id=video['video_id'],
                         ori_video_length=video['video_length'])
            for key, value in frame.items():
                frames[key].append(value)
        frames['video_length'] = [2, 2]
        frames['key_frame_flags'] = [False, True]  # (reference, key)
        return self.pipeline(frames)
