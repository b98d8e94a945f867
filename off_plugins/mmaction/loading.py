"""Video and frame loading whose errors name the video and the frame."""
import os.path as osp
import warnings

import mmcv
import numpy as np
from mmaction.datasets.transforms import DecordInit, RawFrameDecode
from mmaction.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CheckedDecordInit(DecordInit):
    """``DecordInit`` that names the file when a video cannot be used.

    A missing file raises ``FileNotFoundError`` (as ``DecordInit`` does), an
    undecodable one ``RuntimeError`` and an empty one ``ValueError``, each
    message starting with the video's path. A video with fewer than
    ``min_frames`` frames (too short for the sampling: frames would repeat)
    warns once per video, or raises ``ValueError`` with ``too_short='error'``.

    Args:
        min_frames: frames the sampling needs without repeating one, e.g.
            the number of segments; 1 checks only that the video has frames.
        too_short: ``'warn'`` or ``'error'`` for a video below
            ``min_frames``.
        **kwargs: ``DecordInit``'s (``io_backend``, ``num_threads``, ...).
    """

    def __init__(self,
                 *,
                 min_frames: int = 1,
                 too_short: str = 'warn',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(min_frames, int) or min_frames < 1:
            raise ValueError(f'min_frames must be a positive int, got '
                             f'{min_frames!r}')
        if too_short not in ('warn', 'error'):
            raise ValueError(f"too_short must be 'warn' or 'error', got "
                             f'{too_short!r}')
        self.min_frames = min_frames
        self.too_short = too_short
        self._warned = set()  # videos already reported (in this process)

    def transform(self, results: dict) -> dict:
        filename = results['filename']
        try:
            results = super().transform(results)
        except FileNotFoundError:
            raise
        except Exception as err:
            raise RuntimeError(
                f'{filename}: cannot decode video ({err})') from err
        total = results['total_frames']
        if total < 1:
            raise ValueError(f'{filename}: video has no frames')
        if total < self.min_frames:
            message = (f'{filename}: video has {total} frame(s), fewer than '
                       f'the {self.min_frames} its sampling needs; frames '
                       'will repeat')
            if self.too_short == 'error':
                raise ValueError(message)
            if filename not in self._warned:
                self._warned.add(filename)
                warnings.warn(message)
        return results


@TRANSFORMS.register_module()
class CheckedRawFrameDecode(RawFrameDecode):
    """``RawFrameDecode`` whose errors name the video and the frame.

    Results are those of ``RawFrameDecode`` (``imgs``: list of ``(H, W, 3)``
    RGB or ``(H, W, 2)`` stacked x/y flow frames). When decoding fails or the
    frames of a sample differ in size, the frames are loaded one by one to
    find the culprit and raise, naming ``results['frame_dir']``, the frame
    index and the file:

    - ``FileNotFoundError``: a frame file (RGB, x or y) is missing;
    - ``ValueError``: a file does not decode as an image;
    - ``ValueError``: a y frame differs in size from its x frame, or a frame
      from the first frame loaded (both sizes are given).

    When the frames are fine, the only extra work is comparing their shapes.
    """

    def transform(self, results: dict) -> dict:
        """Decode ``results['frame_inds']`` of ``results['frame_dir']``."""
        try:
            out = super().transform(results)
        except Exception:
            if results.get('modality') in ('RGB', 'Flow'):
                self._diagnose(results)
            raise
        shape = out['imgs'][0].shape
        if any(not isinstance(img, np.ndarray) or img.shape != shape
               for img in out['imgs']):
            self._diagnose(results)
        return out

    def _frame_paths(self, results: dict):
        """Yield ``(frame index, [path])`` (RGB) or ``(index, [x, y])`` (Flow)."""
        directory = results['frame_dir']
        tmpl = results['filename_tmpl']
        offset = results.get('offset', 0)
        for idx in dict.fromkeys(np.ravel(results['frame_inds']).tolist()):
            idx += offset
            if results['modality'] == 'RGB':
                yield idx, [osp.join(directory, tmpl.format(idx))]
            else:
                yield idx, [
                    osp.join(directory, tmpl.format(axis, idx))
                    for axis in ('x', 'y')
                ]

    def _load(self, frame_dir: str, idx: int, path: str, modality: str):
        """One frame as ``RawFrameDecode`` decodes it, or an error naming it."""
        try:
            img_bytes = self.file_client.get(path)
        except FileNotFoundError as err:
            raise FileNotFoundError(f'{frame_dir}: frame {idx} missing, '
                                    f'{path} not found') from err
        try:
            if modality == 'RGB':
                img = mmcv.imfrombytes(img_bytes, channel_order='rgb')
            else:
                img = mmcv.imfrombytes(img_bytes, flag='grayscale')
        except Exception as err:
            raise ValueError(f'{frame_dir}: frame {idx}, {path} does not '
                             f'decode as an image ({err})') from err
        if img is None:
            raise ValueError(f'{frame_dir}: frame {idx}, {path} does not '
                             'decode as an image')
        return img

    def _diagnose(self, results: dict) -> None:
        """Load the sample frame by frame; raise on the first bad frame."""
        frame_dir = results['frame_dir']
        first = None  # (path, (H, W)) of the first frame loaded
        for idx, paths in self._frame_paths(results):
            loaded = [(path,
                       self._load(frame_dir, idx, path,
                                  results['modality']).shape[:2])
                      for path in paths]
            first = first or loaded[0]
            # RGB: the frame against the first; Flow: x against the first
            # frame's x, y against its own x.
            for (path, size), (ref, ref_size) in zip(loaded,
                                                     [first] + loaded[:1]):
                if size != ref_size:
                    raise ValueError(f'{frame_dir}: frame {idx}, {path} is '
                                     f'{size[0]}x{size[1]} (HxW) but {ref} is '
                                     f'{ref_size[0]}x{ref_size[1]}')
