"""Input transforms of the motion streams: RGB-diff, input-level OFF, flow flips.

TSN's RGB-difference input and OFF computed on the input level (Table 1): each
segment of ``clip_len`` consecutive RGB frames becomes one stacked image:

* ``mode='diff'``: the ``clip_len - 1`` differences ``I[k+1] - I[k]``
  (TSN's RGB-diff stream), ``3 * (clip_len - 1)`` channels;
* ``mode='off'``: OFF with ``f(I) = I`` (Eq. 4, the paper's "RGB Diff" of
  Table 1): for each pair the spatial gradients of ``I[k]`` with the core's
  fixed kernels (Eq. 5/6) and the temporal difference ``I[k+1] - I[k]``,
  ``9 * (clip_len - 1)`` channels (``6 * (clip_len - 1)`` with the single
  ``'combined'`` kernel).

The stacked images feed an ordinary 2D backbone with ``in_channels`` set to
:func:`rgb_diff_channels`; feature-level OFF (the OFF neck) then applies to it
as to an RGB backbone.
"""
import numpy as np
import torch
from mmaction.datasets.transforms import Flip, TenCrop
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform
from off_plugins.core.off_layer import SpatialGradient, gradient_kernels

RGB_DIFF_MODES = ('diff', 'off')


def rgb_diff_channels(clip_len: int = 5,
                      mode: str = 'diff',
                      kernel: str = 'paper') -> int:
    """Channels of one stacked segment: the backbone's ``in_channels``."""
    if mode not in RGB_DIFF_MODES:
        raise ValueError(f'mode must be one of {RGB_DIFF_MODES}, got {mode!r}')
    if clip_len < 2:
        raise ValueError('clip_len must be >= 2 to form a frame difference, '
                         f'got {clip_len}')
    per_pair = 3 if mode == 'diff' else 3 + 3 * len(gradient_kernels(kernel))
    return per_pair * (clip_len - 1)


@TRANSFORMS.register_module()
class RGBDiff(BaseTransform):
    """Stack each segment's frame differences (and gradients) into one image.

    Place it after the spatial transforms (crop, resize, flip) and before
    ``FormatShape(input_format='NCHW')``.

    Required keys: ``imgs`` (``M`` RGB frames ``(H, W, 3)``,
    ``M = crops * num_clips * clip_len``), ``num_clips``, ``clip_len``.
    Modified keys: ``imgs`` becomes int16 ``(crops * num_clips, H, W, C)``
    with ``C = rgb_diff_channels(clip_len, mode, kernel)`` (exact: the kernels
    are integer, so every value is an integer of magnitude <= 8 * 255; half
    the memory of float32 for TSN's 25-segment x 10-crop test); ``clip_len``
    becomes 1, as each segment is now one image. The data preprocessor
    converts to float32.

    Args:
        mode: ``'diff'`` or ``'off'`` (see the module docstring).
        kernel: spatial-gradient kernels for ``'off'``, as in the OFF layer.
    """

    def __init__(self, mode: str = 'diff', kernel: str = 'paper'):
        if mode not in RGB_DIFF_MODES:
            raise ValueError(
                f'mode must be one of {RGB_DIFF_MODES}, got {mode!r}')
        self.mode = mode
        self.kernel = kernel
        self.gradient = SpatialGradient(3, kernel) if mode == 'off' else None

    def transform(self, results: dict) -> dict:
        clip_len = results['clip_len']
        name = results.get('filename', results.get('frame_dir', '<unknown>'))
        if clip_len < 2:
            raise ValueError(f'{name}: RGBDiff needs segments of >= 2 frames, '
                             f'got clip_len={clip_len}')
        frames = np.asarray(results['imgs'], dtype=np.int16)  # (M, H, W, 3)
        if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) % clip_len:
            raise ValueError(
                f'{name}: expected RGB frames (M, H, W, 3) with M '
                f'a multiple of clip_len={clip_len}, got '
                f'{frames.shape}')
        h, w = frames.shape[1:3]
        segs = frames.reshape(-1, clip_len, h, w, 3)  # (S, L, H, W, 3)
        diff = segs[:, 1:] - segs[:, :-1]  # (S, L-1, H, W, 3)
        if self.mode == 'off':
            first = torch.from_numpy(segs[:, :-1].reshape(-1, h, w, 3))
            with torch.no_grad():
                # (S*(L-1), 3*K, H, W), channel c*K + k: kernel k on colour c
                grad = self.gradient(first.permute(0, 3, 1, 2).float())
            grad = grad.round().to(torch.int16).permute(0, 2, 3, 1).numpy()
            grad = grad.reshape(len(segs), clip_len - 1, h, w, -1)
            diff = np.concatenate([grad, diff],
                                  axis=-1)  # (S, L-1, H, W, 3K+3)
        # (S, H, W, (L-1) * C): pair-major channels, as flow stacks x/y pairs
        stacked = diff.transpose(0, 2, 3, 1, 4).reshape(len(segs), h, w, -1)
        results['imgs'] = np.ascontiguousarray(stacked)
        results['clip_len'] = 1
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(mode={self.mode!r}, kernel={self.kernel!r})'


def negate_flow_x(imgs: list) -> list:
    """Negate the x component of quantised flow frames, in place.

    A ``(H, W, 2)`` frame (x, y; MMAction2's ``RawFrameDecode``) gets
    ``255 - v`` (a sign change around the quantisation centre) on channel 0;
    2-D frames alternate x, y (``ArrayDecode``) and every even one is
    inverted, as MMAction2's ``Flip`` does. Returns ``imgs``.
    """
    if np.asarray(imgs[0]).ndim == 3:
        for img in imgs:  # (H, W, 2) uint8, x then y
            img[..., 0] = 255 - img[..., 0]
    else:
        for i in range(0, len(imgs), 2):  # x, y, x, y, ...
            imgs[i] = 255 - imgs[i]
    return imgs


@TRANSFORMS.register_module()
class FlowFlip(Flip):
    """``Flip`` that negates the x component of stacked flow frames.

    MMAction2 1.2.0's ``RawFrameDecode`` loads each flow frame as one
    ``(H, W, 2)`` image (x, y), while ``Flip`` still inverts every other image
    as if x and y were separate frames, so it inverts x and y of the even
    frames and neither of the odd ones. This subclass flips every image and
    inverts (``255 - v``, a sign change around the quantisation centre 128)
    only channel 0 of each. Other inputs are flipped as ``Flip`` does.
    """

    def _flip_imgs(self, imgs, modality):
        if modality != 'Flow' or np.asarray(imgs[0]).ndim != 3:
            return super()._flip_imgs(imgs, modality)
        # Flow flips are horizontal
        return negate_flow_x(
            [np.ascontiguousarray(img[:, ::-1]) for img in imgs])


@TRANSFORMS.register_module()
class FlowTenCrop(TenCrop):
    """``TenCrop`` that negates flow-x in its five mirrored crops.

    ``TenCrop`` returns, for each of its 5 positions, the crop of the ``M``
    input images and then the same crop mirrored left-right. Mirroring a
    flow field turns rightward motion into leftward motion, so TSN negates
    the x component of the mirrored flow views; ``TenCrop`` does not. This
    subclass does (:func:`negate_flow_x`, as :class:`FlowFlip` in training),
    leaving y and the unmirrored crops as they are. Other modalities are
    cropped as ``TenCrop`` does.

    Required keys: ``imgs``, ``modality``; modified as by ``TenCrop``:
    ``imgs`` becomes ``10 * M`` images, crop-major.
    """

    def transform(self, results: dict) -> dict:
        count = len(results['imgs'])  # M images per crop
        results = super().transform(results)
        if results.get('modality') == 'Flow':
            imgs = results['imgs']
            for start in range(count, len(imgs), 2 * count):  # mirrored crops
                imgs[start:start + count] = negate_flow_x(imgs[start:start +
                                                               count])
        return results
