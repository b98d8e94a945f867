"""Vimeo-90K septuplets with compressed copies, for artifact removal.

Layout (Xue et al. 2017)::

    data_root/sep_trainlist.txt          one clip a line, e.g. 00001/0001
    data_root/sep_testlist.txt
    data_root/sequences/00001/0001/im1.png ... im7.png            clean
    data_root/<lq prefix>/00001/0001/im1.png ... im7.png          compressed

(``tools/restoration/compress_vimeo.py`` writes the compressed copies.)
"""
import os
import os.path as osp
import re
from typing import List, Optional

import cv2
import numpy as np
import torch
from mmengine.dataset import BaseDataset

from ..core.dncnn import centre_index
from ..registry import DATASETS

FRAME_NAME = re.compile(r'^im(\d+)\.png$')


class ClipError(ValueError):
    """A clip on disk cannot be used; the message names the clip."""


def frame_window(centre_frame: int, num_frames: int,
                 clip_length: int) -> List[int]:
    """1-based frame numbers read for a model of ``num_frames`` frames.

    The centre frame sits at index ``num_frames // 2`` of the window:
    ``[3, 4, 5]`` for 3 frames, ``[3, 4]`` for 2 and ``[4]`` for 1 around 4.
    """
    first = centre_frame - centre_index(num_frames)
    window = list(range(first, first + num_frames))
    if num_frames < 1 or window[0] < 1 or window[-1] > clip_length:
        raise ValueError(
            f'num_frames={num_frames} around frame {centre_frame} '
            f'does not fit a clip of {clip_length} frames')
    return window


def read_rgb(path: str, clip: str) -> np.ndarray:
    """Read an 8-bit RGB image as (H, W, 3) uint8, or raise :class:`ClipError`."""
    if not osp.isfile(path):
        raise ClipError(f'clip {clip}: missing frame {path}')
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ClipError(f'clip {clip}: cannot decode {path}')
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ClipError(f'clip {clip}: {path} is not an 8-bit RGB image '
                        f'(shape {img.shape}, dtype {img.dtype})')
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def to_tensor(img: np.ndarray) -> torch.Tensor:
    """(..., H, W, 3) uint8 -> (..., 3, H, W) float32 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(img)).movedim(
        -1, -3).float() / 255


@DATASETS.register_module()
class Vimeo90KSeptupletDataset(BaseDataset):
    """Compressed neighbours and the clean centre frame of Vimeo-90K clips.

    Args:
        ann_file: clip list (``sep_trainlist.txt`` / ``sep_testlist.txt``).
        data_root: root joined to ``ann_file`` and ``data_prefix``.
        data_prefix: ``dict(gt='sequences', lq='sequences_jpeg2000_q20')``.
        num_frames: T, the model's frame count (1 for DnCNN).
        centre_frame: the restored frame, 1-based (4: the TOFlow protocol).
        clip_length: frames per clip (7 for septuplets).
        crop_size: train on random ``crop_size`` squares (same place in all
            frames); ``None`` (the paper) or ``test_mode`` uses full frames.
        cache_clips: keep every decoded clip in memory after its first read
            (for small sets; each dataloader worker holds its own cache).
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset`; the
            dataset loads and crops by itself, so ``pipeline`` must be empty.

    Each item is ``dict(inputs=(T, 3, H, W), data_samples=dict(gt=(3, H, W),
    clip=str))``, floats in [0, 1].
    """

    def __init__(self,
                 ann_file: str,
                 data_root: str = '',
                 *,
                 data_prefix: Optional[dict] = None,
                 num_frames: int = 1,
                 centre_frame: int = 4,
                 clip_length: int = 7,
                 crop_size: Optional[int] = None,
                 cache_clips: bool = False,
                 **kwargs):
        prefix = data_prefix or dict(
            gt='sequences', lq='sequences_jpeg2000_q20')
        if set(prefix) != {'gt', 'lq'}:
            raise ValueError('data_prefix must have the keys gt and lq, got '
                             f'{sorted(prefix)}')
        if kwargs.get('pipeline'):
            raise ValueError('Vimeo90KSeptupletDataset loads and crops clips '
                             'itself; pipeline must be empty, got '
                             f"{kwargs['pipeline']}")
        if crop_size is not None and crop_size < 1:
            raise ValueError(
                f'crop_size must be >= 1 or None, got {crop_size}')
        self.num_frames = num_frames
        self.window = frame_window(centre_frame, num_frames, clip_length)
        self.centre_frame = centre_frame
        self.crop_size = crop_size
        self.cache_clips = cache_clips
        self._cache = {}
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=prefix,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        with open(self.ann_file) as f:
            clips = [line.strip() for line in f if line.strip()]
        if not clips:
            raise ValueError(f'{self.ann_file} lists no clips')
        return [
            dict(
                clip=clip,
                lq_dir=osp.join(self.data_prefix['lq'], clip),
                gt_path=osp.join(self.data_prefix['gt'], clip,
                                 f'im{self.centre_frame}.png'))
            for clip in clips
        ]

    def load_clip(self, info: dict) -> dict:
        """Read and check one clip: (T, H, W, 3) compressed, (H, W, 3) clean."""
        clip, lq_dir = info['clip'], info['lq_dir']
        if not osp.isdir(lq_dir):
            raise ClipError(f'clip {clip}: no compressed frames at {lq_dir}')
        present = [n for n in os.listdir(lq_dir) if FRAME_NAME.match(n)]
        if len(present) < self.num_frames:
            raise ClipError(f'clip {clip} has {len(present)} frames in '
                            f'{lq_dir}, the model needs {self.num_frames}')
        lq = [
            read_rgb(osp.join(lq_dir, f'im{i}.png'), clip) for i in self.window
        ]
        gt = read_rgb(info['gt_path'], clip)
        sizes = {img.shape[:2] for img in lq + [gt]}
        if len(sizes) > 1:
            raise ClipError(f'clip {clip}: frames differ in size '
                            f'(H, W) {sorted(sizes)}')
        return dict(lq=np.stack(lq), gt=gt)

    def random_crop(self, lq: np.ndarray, gt: np.ndarray, clip: str):
        """The same random ``crop_size`` square of every frame."""
        h, w = gt.shape[:2]
        s = self.crop_size
        if s > h or s > w:
            raise ClipError(f'clip {clip}: frames of {h}x{w} are smaller '
                            f'than crop_size={s}')
        y = np.random.randint(0, h - s + 1)
        x = np.random.randint(0, w - s + 1)
        return lq[:, y:y + s, x:x + s], gt[y:y + s, x:x + s]

    def prepare_data(self, idx: int) -> dict:
        info = self.get_data_info(idx)
        clip = self._cache.get(idx) or self.load_clip(info)
        if self.cache_clips:
            self._cache[idx] = clip
        lq, gt = clip['lq'], clip['gt']
        if self.crop_size is not None and not self.test_mode:
            lq, gt = self.random_crop(lq, gt, info['clip'])
        return dict(
            inputs=to_tensor(lq),  # (T, 3, H, W)
            data_samples=dict(gt=to_tensor(gt), clip=info['clip']))
