"""The OFF layer (Section 4.1.3): spatial and temporal gradients of deep features.

Plain PyTorch, no toolbox import. Shapes use ``N`` for clips, ``T`` for segments
per clip and ``P = T - 1`` for the adjacent segment pairs of a clip.
"""
from typing import Callable, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

# Eq. 5 and Eq. 6 of the paper, applied as cross-correlation (as Caffe and
# ``torch.nn.functional.conv2d`` do): x grows to the right, y grows upwards.
PAPER_KERNELS = (
    ((-1., 0., 1.), (-1., 0., 1.), (-1., 0., 1.)),
    ((1., 1., 1.), (0., 0., 0.), (-1., -1., -1.)),
)
# The 1-2-1 Sobel pair.
SOBEL_KERNELS = (
    ((-1., 0., 1.), (-2., 0., 2.), (-1., 0., 1.)),
    ((1., 2., 1.), (0., 0., 0.), (-1., -2., -1.)),
)
# The single kernel of the authors' released code: central x plus y differences.
COMBINED_KERNELS = (((0., 1., 0.), (-1., 0., 1.), (0., -1., 0.)), )

GRADIENT_KERNELS = {
    'paper': PAPER_KERNELS,
    'sobel': SOBEL_KERNELS,
    'combined': COMBINED_KERNELS,
}

OFF_COMPONENTS = ('full', 'temporal', 'none')


def gradient_kernels(kind: str = 'paper') -> torch.Tensor:
    """Return the fixed spatial-gradient kernels as a ``(K, 3, 3)`` tensor.

    Args:
        kind: ``'paper'`` (Eq. 5/6, K=2), ``'sobel'`` (1-2-1 pair, K=2) or
            ``'combined'`` (the released code's single kernel, K=1).
    """
    if kind not in GRADIENT_KERNELS:
        raise ValueError(f'kernel must be one of {sorted(GRADIENT_KERNELS)}, '
                         f'got {kind!r}')
    return torch.tensor(GRADIENT_KERNELS[kind])


def check_segments(num_frames: int, num_segments: int) -> int:
    """Return the number of clips ``N`` in a batch of ``N * T`` frames."""
    if num_segments < 2:
        raise ValueError('num_segments must be >= 2 to form a temporal '
                         f'difference, got {num_segments}')
    if num_frames % num_segments:
        raise ValueError(f'batch of {num_frames} frames is not divisible by '
                         f'num_segments={num_segments}')
    return num_frames // num_segments


def temporal_difference(x: torch.Tensor, num_segments: int) -> torch.Tensor:
    """Eq. 7: ``f[t+1] - f[t]`` between adjacent segments of each clip.

    Args:
        x: (N*T, C, H, W) features, segments of one clip contiguous.
        num_segments: T.

    Returns:
        (N*(T-1), C, H, W) differences, pairs of one clip contiguous.
    """
    n = check_segments(x.shape[0], num_segments)
    x = x.unflatten(0, (n, num_segments))  # (N, T, C, H, W), a view
    return (x[:, 1:] - x[:, :-1]).flatten(0, 1)  # (N*(T-1), C, H, W)


def pair_frames(x: torch.Tensor, num_segments: int) -> torch.Tensor:
    """Stack each adjacent pair ``(f[t], f[t+1])`` along channels.

    Args:
        x: (N*T, C, H, W).

    Returns:
        (N*(T-1), 2C, H, W).
    """
    n = check_segments(x.shape[0], num_segments)
    x = x.unflatten(0, (n, num_segments))  # (N, T, C, H, W)
    return torch.cat([x[:, :-1], x[:, 1:]], dim=2).flatten(0, 1)


class SpatialGradient(nn.Module):
    """Fixed per-channel spatial gradients (Eq. 5 and 6) in one grouped conv.

    Args:
        channels: C, the number of input channels.
        kernel: see :func:`gradient_kernels`.

    Shapes:
        x: (B, C, H, W) -> (B, K*C, H, W), channel ``c*K + k`` holding kernel
        ``k`` applied to input channel ``c`` (zero padding keeps H, W).
    """

    def __init__(self, channels: int, kernel: str = 'paper'):
        super().__init__()
        if channels < 1:
            raise ValueError(f'channels must be >= 1, got {channels}')
        kernels = gradient_kernels(kernel)
        self.channels = channels
        self.kernel = kernel
        self.num_kernels = kernels.shape[0]
        weight = kernels.unsqueeze(1).repeat(channels, 1, 1,
                                             1)  # (C*K, 1, 3, 3)
        self.register_buffer('weight', weight, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(
                f'SpatialGradient expects (B, {self.channels}, H, W), '
                f'got {tuple(x.shape)}')
        weight = self.weight.to(dtype=x.dtype)
        return F.conv2d(x, weight, padding=1, groups=self.channels)

    def extra_repr(self) -> str:
        return f'channels={self.channels}, kernel={self.kernel!r}'


class OFFLayer(nn.Module):
    """OFF layer: 1x1 reduction, then spatial and temporal gradients per pair.

    For every adjacent pair of segments ``(t, t+1)`` of a clip the output is the
    concatenation, along channels, of

    * ``components='full'``: the temporal difference (Eq. 7) of the reduced
      features and the spatial gradients (Eq. 5/6) of both segments;
    * ``components='temporal'``: the temporal difference only (Table 3, OFF_T);
    * ``components='none'``: the reduced features of both segments, no OFF at
      all, which is the hypercolumn network of Table 4.

    Args:
        in_channels: channels of the input features.
        num_segments: T, segments per clip (>= 2).
        reduced_channels: width of the 1x1 reduction (128 in the paper).
        spatial_channels: width of a separate 1x1 reduction feeding the spatial
            gradients (32 in the released code); ``None`` reuses the
            ``reduced_channels`` features.
        spatial_act: activation after the separate spatial reduction (the
            released code has none there: ``False``); needs
            ``spatial_channels``, as the shared reduction is always activated.
        components: ``'full'``, ``'temporal'`` or ``'none'``.
        kernel: spatial-gradient kernels, see :func:`gradient_kernels`.
        spatial_dropout: dropout on the spatial gradients.
        act_layer: activation after each 1x1 reduction.

    Shapes:
        x: (N*T, C_in, H, W) -> (N*(T-1), out_channels, H, W).
    """

    def __init__(self,
                 in_channels: int,
                 num_segments: int,
                 reduced_channels: int = 128,
                 *,
                 spatial_channels: Optional[int] = None,
                 spatial_act: bool = True,
                 components: str = 'full',
                 kernel: str = 'paper',
                 spatial_dropout: float = 0.0,
                 act_layer: Callable[..., nn.Module] = nn.ReLU):
        super().__init__()
        if components not in OFF_COMPONENTS:
            raise ValueError(f'components must be one of {OFF_COMPONENTS}, '
                             f'got {components!r}')
        check_segments(num_segments, num_segments)
        for name, value in (('in_channels', in_channels), ('reduced_channels',
                                                           reduced_channels)):
            if value < 1:
                raise ValueError(f'{name} must be >= 1, got {value}')
        if spatial_channels is not None and spatial_channels < 1:
            raise ValueError(
                f'spatial_channels must be >= 1 or None, got {spatial_channels}'
            )
        if not spatial_act and spatial_channels is None:
            raise ValueError('spatial_act=False needs a separate spatial '
                             'reduction (spatial_channels); the shared '
                             'reduction is always followed by act_layer')
        self.in_channels = in_channels
        self.num_segments = num_segments
        self.components = components
        self.reduce = nn.Sequential(
            nn.Conv2d(in_channels, reduced_channels, 1), act_layer())
        with_spatial = components == 'full'
        separate_spatial = with_spatial and spatial_channels is not None
        self.spatial_reduce = nn.Sequential(
            nn.Conv2d(in_channels, spatial_channels, 1),
            act_layer() if spatial_act else
            nn.Identity()) if separate_spatial else nn.Identity()
        grad_channels = spatial_channels if separate_spatial else reduced_channels
        self.spatial = SpatialGradient(grad_channels,
                                       kernel) if with_spatial else None
        self.spatial_dropout = nn.Dropout(spatial_dropout)
        self.separate_spatial = separate_spatial
        if components == 'none':
            self.out_channels = 2 * reduced_channels
        elif components == 'temporal':
            self.out_channels = reduced_channels
        else:
            self.out_channels = reduced_channels + 2 * self.spatial.num_kernels * grad_channels

    def forward(self,
                x: torch.Tensor,
                num_segments: Optional[int] = None) -> torch.Tensor:
        """Args:
            x: (N*T, C_in, H, W), segments of one clip contiguous.
            num_segments: T for this call; defaults to the constructor's.
        """
        t = self.num_segments if num_segments is None else num_segments
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'OFFLayer expects (N*T, {self.in_channels}, H, W), '
                f'got {tuple(x.shape)}')
        check_segments(x.shape[0], t)
        feat = self.reduce(x)  # (N*T, C_r, H, W)
        if self.components == 'none':
            return pair_frames(feat, t)  # (N*P, 2*C_r, H, W)
        out = [temporal_difference(feat, t)]  # (N*P, C_r, H, W)
        if self.spatial is not None:
            src = self.spatial_reduce(x) if self.separate_spatial else feat
            grad = self.spatial_dropout(
                self.spatial(src))  # (N*T, K*C_s, H, W)
            out.append(pair_frames(grad, t))  # (N*P, 2*K*C_s, H, W)
        return torch.cat(out, dim=1)


def average_pairs(x: torch.Tensor, num_segments: int) -> torch.Tensor:
    """Average per-pair values over the T-1 pairs of each clip.

    Args:
        x: (N*(T-1), ...).

    Returns:
        (N, ...).
    """
    pairs = num_segments - 1
    if pairs < 1 or x.shape[0] % pairs:
        raise ValueError(f'{x.shape[0]} pair rows do not split into clips of '
                         f'{pairs} pairs (num_segments={num_segments})')
    return x.unflatten(0, (-1, pairs)).mean(dim=1)


__all__: Sequence[str] = ('GRADIENT_KERNELS', 'OFF_COMPONENTS',
                          'gradient_kernels', 'check_segments',
                          'temporal_difference', 'pair_frames',
                          'SpatialGradient', 'OFFLayer', 'average_pairs')
