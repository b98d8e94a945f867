"""Position-sensitive RoI pooling and align (R-FCN, Dai et al. 2016).

Plain PyTorch, no toolbox import, differentiable through autograd. A feature
map of ``C * k * k`` channels holds, for every output channel ``c`` and every
cell ``(i, j)`` of the ``k x k`` RoI grid, its own score map: input channel
``(c * k + i) * k + j`` (the layout of R-FCN's Caffe layer). Cell ``(i, j)`` of
a RoI is pooled from that channel only; :func:`vote` then averages the cells.

RoIs follow MMDetection: ``(R, 5)`` rows ``(batch_index, x1, y1, x2, y2)`` in
input-image pixels, mapped to the feature map by ``spatial_scale``.
"""
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


def check_psroi_inputs(x: torch.Tensor, rois: torch.Tensor, output_size: int,
                       spatial_scale: float) -> Tuple[int, int]:
    """Validate the inputs; return ``(C, k)`` with ``x.shape[1] == C * k * k``."""
    if not isinstance(output_size, int) or output_size < 1:
        raise ValueError(
            f'output_size must be an int >= 1, got {output_size!r}')
    if spatial_scale <= 0:
        raise ValueError(f'spatial_scale must be > 0, got {spatial_scale}')
    if x.dim() != 4:
        raise ValueError(f'x must be (B, C*k*k, H, W), got {tuple(x.shape)}')
    cells = output_size * output_size
    if x.shape[1] % cells:
        raise ValueError(f'x has {x.shape[1]} channels, not a multiple of '
                         f'output_size**2 = {cells}')
    if rois.dim() != 2 or rois.shape[1] != 5:
        raise ValueError('rois must be (R, 5) rows (batch_index, x1, y1, x2, '
                         f'y2), got {tuple(rois.shape)}')
    if rois.numel() and (rois[:, 0].min() < 0
                         or rois[:, 0].max() >= x.shape[0]):
        raise ValueError(f'roi batch indices must lie in [0, {x.shape[0]}), '
                         f'got [{rois[:, 0].min().item()}, '
                         f'{rois[:, 0].max().item()}]')
    return x.shape[1] // cells, output_size


def _cell_channels(rois: torch.Tensor, channels: int, k: int,
                   in_channels: int) -> torch.Tensor:
    """Flat ``batch * in_channels + channel`` index per output cell.

    Returns:
        (R, C, k, k) long tensor.
    """
    batch = rois[:, 0].long() * in_channels  # (R,)
    local = torch.arange(
        channels * k * k, device=rois.device).view(channels, k, k)
    return batch[:, None, None, None] + local  # (R, C, k, k)


def _accumulation_dtype(x: torch.Tensor) -> torch.dtype:
    """float32 for half-precision maps (float64 stays float64).

    RoI coordinates and bin sums in float16/bfloat16 shift bins (bfloat16
    holds only multiples of 2 above 256) and lose the integral image's
    precision, so both run in float32 and only the output takes ``x``'s dtype.
    """
    return torch.promote_types(x.dtype, torch.float32)


def psroi_pool(x: torch.Tensor, rois: torch.Tensor, output_size: int,
               spatial_scale: float) -> torch.Tensor:
    """Position-sensitive RoI average pooling over integer bins (R-FCN).

    As R-FCN's Caffe layer: RoI corners are rounded to whole pixels, the RoI
    spans ``[round(x1), round(x2) + 1) * spatial_scale`` (at least 0.1 wide),
    bin ``i`` covers rows ``floor(y1 + i*h/k)`` to ``ceil(y1 + (i+1)*h/k)``
    clipped to the map, and an empty bin pools to 0. Bin sums come from an
    integral image, so the cost does not grow with the RoI size.

    Args:
        x: (B, C*k*k, H, W) position-sensitive score maps.
        rois: (R, 5) ``(batch_index, x1, y1, x2, y2)``.
        output_size: k.
        spatial_scale: feature-map pixels per image pixel (1/16 for stride 16).

    Returns:
        (R, C, k, k).
    """
    channels, k = check_psroi_inputs(x, rois, output_size, spatial_scale)
    _, in_channels, h, w = x.shape
    acc = _accumulation_dtype(x)
    coords = rois[:, 1:].detach().to(acc).round()
    x1, y1 = coords[:, 0] * spatial_scale, coords[:, 1] * spatial_scale
    x2 = (coords[:, 2] + 1) * spatial_scale
    y2 = (coords[:, 3] + 1) * spatial_scale
    bin_w = (x2 - x1).clamp(min=0.1) / k  # (R,)
    bin_h = (y2 - y1).clamp(min=0.1) / k
    cells = torch.arange(k, device=x.device, dtype=acc)
    hs = (y1[:, None] + cells * bin_h[:, None]).floor().clamp(
        0, h).long()  # (R, k)
    he = (y1[:, None] + (cells + 1) * bin_h[:, None]).ceil().clamp(0, h).long()
    ws = (x1[:, None] + cells * bin_w[:, None]).floor().clamp(0, w).long()
    we = (x1[:, None] + (cells + 1) * bin_w[:, None]).ceil().clamp(0, w).long()

    integral = F.pad(x.to(acc), (1, 0, 1, 0)).cumsum(2).cumsum(3).reshape(-1)
    plane = _cell_channels(rois, channels, k, in_channels) * ((h + 1) *
                                                              (w + 1))

    def corner(rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        index = plane + rows[:, None, :, None] * (w + 1) + cols[:, None,
                                                                None, :]
        return integral[index]  # (R, C, k, k)

    total = corner(he, we) - corner(hs, we) - corner(he, ws) + corner(hs, ws)
    area = (he - hs)[:, :, None] * (we - ws)[:, None, :]  # (R, k, k)
    area = area[:, None].to(acc)  # (R, 1, k, k)
    out = torch.where(area > 0, total / area.clamp(min=1), total.new_zeros(()))
    return out.to(x.dtype)


def _bilinear_axis(pos: torch.Tensor, size: int):
    """Neighbours and weights of bilinear sampling along one axis.

    Follows the RoIAlign convention: positions beyond ``[-1, size]`` read 0,
    others are clamped into the map.

    Returns:
        ``(low, high, w_low, w_high)``, ``low``/``high`` long, each of ``pos``'s
        shape; the weights already include the validity mask.
    """
    valid = ((pos >= -1) & (pos <= size)).to(pos.dtype)
    pos = pos.clamp(min=0)
    low = pos.floor()
    edge = low >= size - 1
    low = torch.where(edge, torch.full_like(low, size - 1), low)
    high = torch.where(edge, low, low + 1)
    frac = torch.where(edge, torch.zeros_like(pos), pos - low)
    return low.long(), high.long(), (1 - frac) * valid, frac * valid


def psroi_align(x: torch.Tensor,
                rois: torch.Tensor,
                output_size: int,
                spatial_scale: float,
                sampling_ratio: int = 2,
                aligned: bool = True) -> torch.Tensor:
    """Position-sensitive RoI align: bilinear samples averaged per cell.

    Each of the ``k x k`` cells averages ``sampling_ratio**2`` bilinear samples
    on a regular grid, read from the cell's own channel (as torchvision's and
    mmcv's ``ps_roi_align`` do, with a fixed sampling grid).

    Args:
        x: (B, C*k*k, H, W) position-sensitive score maps.
        rois: (R, 5) ``(batch_index, x1, y1, x2, y2)``.
        output_size: k.
        spatial_scale: feature-map pixels per image pixel.
        sampling_ratio: samples per cell along each axis (>= 1).
        aligned: shift coordinates by half a pixel (pixel centres); if False,
            RoIs are at least one feature pixel wide, as in the original op.

    Returns:
        (R, C, k, k).
    """
    channels, k = check_psroi_inputs(x, rois, output_size, spatial_scale)
    if not isinstance(sampling_ratio, int) or sampling_ratio < 1:
        raise ValueError(
            f'sampling_ratio must be an int >= 1, got {sampling_ratio!r}')
    _, in_channels, h, w = x.shape
    s = sampling_ratio
    offset = 0.5 if aligned else 0.0
    acc = _accumulation_dtype(x)
    coords = rois[:, 1:].detach().to(acc) * spatial_scale - offset
    x1, y1, x2, y2 = coords.unbind(1)
    roi_w, roi_h = x2 - x1, y2 - y1
    if not aligned:
        roi_w, roi_h = roi_w.clamp(min=1), roi_h.clamp(min=1)
    cells = torch.arange(k, device=x.device, dtype=acc)
    steps = (torch.arange(s, device=x.device, dtype=acc) + 0.5) / s
    grid = cells[:, None] + steps[None, :]  # (k, s), in cell units
    ys = y1[:, None, None] + grid * (roi_h / k)[:, None, None]  # (R, k, s)
    xs = x1[:, None, None] + grid * (roi_w / k)[:, None, None]  # (R, k, s)
    y_lo, y_hi, wy_lo, wy_hi = _bilinear_axis(ys, h)
    x_lo, x_hi, wx_lo, wx_hi = _bilinear_axis(xs, w)

    flat = x.reshape(-1)
    plane = _cell_channels(rois, channels, k, in_channels) * (h * w)
    plane = plane[..., None, None]  # (R, C, k, k, 1, 1)

    def rows(
            t: torch.Tensor
    ) -> torch.Tensor:  # (R, k, s) -> (R, 1, k, 1, s, 1)
        return t[:, None, :, None, :, None]

    def cols(
            t: torch.Tensor
    ) -> torch.Tensor:  # (R, k, s) -> (R, 1, 1, k, 1, s)
        return t[:, None, None, :, None, :]

    out = 0
    for yi, wy in ((y_lo, wy_lo), (y_hi, wy_hi)):
        for xi, wx in ((x_lo, wx_lo), (x_hi, wx_hi)):
            value = flat[plane + rows(yi) * w + cols(xi)]  # (R, C, k, k, s, s)
            out = out + value.to(acc) * rows(wy) * cols(wx)
    return out.mean(dim=(4, 5)).to(x.dtype)  # (R, C, k, k)


def vote(cells: torch.Tensor) -> torch.Tensor:
    """R-FCN voting: average the ``k x k`` cell scores, (R, C, k, k) -> (R, C)."""
    if cells.dim() != 4:
        raise ValueError(
            f'vote expects (R, C, k, k), got {tuple(cells.shape)}')
    return cells.mean(dim=(2, 3))


class PSRoIPool(nn.Module):
    """Module form of :func:`psroi_pool` (with ``mode='pool'``) and
    :func:`psroi_align` (``mode='align'``).

    Args:
        output_size: k, cells per side.
        spatial_scale: feature-map pixels per image pixel.
        mode: ``'pool'`` (integer bins, R-FCN) or ``'align'`` (bilinear).
        sampling_ratio: samples per cell and axis for ``'align'``.

    Shapes:
        x: (B, C*k*k, H, W), rois: (R, 5) -> (R, C, k, k).
    """

    MODES = ('pool', 'align')

    def __init__(self,
                 output_size: int,
                 spatial_scale: float,
                 mode: str = 'pool',
                 sampling_ratio: int = 2):
        super().__init__()
        if mode not in self.MODES:
            raise ValueError(f'mode must be one of {self.MODES}, got {mode!r}')
        if not isinstance(output_size, int) or output_size < 1:
            raise ValueError(
                f'output_size must be an int >= 1, got {output_size!r}')
        if spatial_scale <= 0:
            raise ValueError(f'spatial_scale must be > 0, got {spatial_scale}')
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.mode = mode
        self.sampling_ratio = sampling_ratio

    def forward(self, x: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
        if self.mode == 'pool':
            return psroi_pool(x, rois, self.output_size, self.spatial_scale)
        return psroi_align(x, rois, self.output_size, self.spatial_scale,
                           self.sampling_ratio)

    def extra_repr(self) -> str:
        return (f'output_size={self.output_size}, spatial_scale='
                f'{self.spatial_scale}, mode={self.mode!r}')
