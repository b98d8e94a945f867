"""Refinement blocks of the OFF sub-network: residual blocks without BN, SE."""
from typing import Callable, Optional

import torch
import torch.nn as nn

LayerFactory = Optional[Callable[..., nn.Module]]


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation channel attention (Hu et al. 2018).

    Args:
        channels: C.
        reduction: bottleneck ratio; the hidden width is ``max(1, C // reduction)``.
        act_layer: activation between the two 1x1 convolutions.

    Shapes:
        x: (B, C, H, W) -> (B, C, H, W).
    """

    def __init__(self,
                 channels: int,
                 reduction: int = 16,
                 act_layer: Callable[..., nn.Module] = nn.ReLU):
        super().__init__()
        if reduction < 1:
            raise ValueError(f'reduction must be >= 1, got {reduction}')
        hidden = max(1, channels // reduction)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.act = act_layer()
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = x.mean(dim=(2, 3), keepdim=True)  # (B, C, 1, 1)
        w = self.fc2(self.act(self.fc1(w)))
        return x * w.sigmoid()


def _optional(factory: LayerFactory, channels: int) -> nn.Module:
    return nn.Identity() if factory is None else factory(channels)


class ResidualBlock(nn.Module):
    """Basic residual block, no batch normalisation by default (Section 4.1.3).

    ``act(shortcut(x) + attn(norm(conv(act(norm(conv(x)))))))``, the shortcut
    being a 1x1 convolution when the width changes.

    Args:
        in_channels: C_in.
        out_channels: C_out.
        act_layer: activation factory.
        norm_layer: normalisation factory taking the channel count, or None.
        attn_layer: attention factory taking the channel count (for example
            :class:`SqueezeExcite`), or None.

    Shapes:
        x: (B, C_in, H, W) -> (B, C_out, H, W).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 *,
                 act_layer: Callable[..., nn.Module] = nn.ReLU,
                 norm_layer: LayerFactory = None,
                 attn_layer: LayerFactory = None):
        super().__init__()
        if in_channels < 1 or out_channels < 1:
            raise ValueError('in_channels and out_channels must be >= 1, got '
                             f'{in_channels} and {out_channels}')
        bias = norm_layer is None
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, padding=1, bias=bias)
        self.norm1 = _optional(norm_layer, out_channels)
        self.act1 = act_layer()
        self.conv2 = nn.Conv2d(
            out_channels, out_channels, 3, padding=1, bias=bias)
        self.norm2 = _optional(norm_layer, out_channels)
        self.attn = _optional(attn_layer, out_channels)
        self.shortcut = (
            nn.Identity() if in_channels == out_channels else nn.Conv2d(
                in_channels, out_channels, 1))
        self.act2 = act_layer()

    def zero_init_last(self) -> None:
        """Zero the residual branch's last layer so the block starts as its
        shortcut (as timm's ``zero_init_last``); keeps deep stacks without BN
        from amplifying activations at initialisation."""
        nn.init.zeros_(self.conv2.weight)
        if self.conv2.bias is not None:
            nn.init.zeros_(self.conv2.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act1(self.norm1(self.conv1(x)))
        y = self.attn(self.norm2(self.conv2(y)))
        return self.act2(self.shortcut(x) + y)


class BottleneckBlock(nn.Module):
    """Bottleneck residual block (1x1 -> 3x3 -> 1x1), no BN by default.

    ``act(shortcut(x) + attn(norm(conv3(act(norm(conv2(act(norm(conv1(x)))))))))``
    with ``conv1`` a 1x1 convolution to ``out_channels // expansion``,
    ``conv2`` a 3x3 convolution at that width and ``conv3`` a 1x1 convolution
    back to ``out_channels``; the shortcut is a 1x1 convolution when the
    width changes. The refinement stages of the authors' released code.

    Args:
        in_channels: C_in.
        out_channels: C_out, a multiple of ``expansion``.
        expansion: ratio of C_out to the inner width.
        act_layer: activation factory.
        norm_layer: normalisation factory taking the channel count, or None.
        attn_layer: attention factory taking the channel count (for example
            :class:`SqueezeExcite`), or None.

    Shapes:
        x: (B, C_in, H, W) -> (B, C_out, H, W).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 *,
                 expansion: int = 4,
                 act_layer: Callable[..., nn.Module] = nn.ReLU,
                 norm_layer: LayerFactory = None,
                 attn_layer: LayerFactory = None):
        super().__init__()
        if in_channels < 1 or out_channels < 1:
            raise ValueError('in_channels and out_channels must be >= 1, got '
                             f'{in_channels} and {out_channels}')
        if expansion < 1 or out_channels % expansion:
            raise ValueError(
                f'out_channels ({out_channels}) must be a multiple '
                f'of expansion ({expansion}), expansion >= 1')
        mid = out_channels // expansion
        bias = norm_layer is None
        self.conv1 = nn.Conv2d(in_channels, mid, 1, bias=bias)
        self.norm1 = _optional(norm_layer, mid)
        self.act1 = act_layer()
        self.conv2 = nn.Conv2d(mid, mid, 3, padding=1, bias=bias)
        self.norm2 = _optional(norm_layer, mid)
        self.act2 = act_layer()
        self.conv3 = nn.Conv2d(mid, out_channels, 1, bias=bias)
        self.norm3 = _optional(norm_layer, out_channels)
        self.attn = _optional(attn_layer, out_channels)
        self.shortcut = (
            nn.Identity() if in_channels == out_channels else nn.Conv2d(
                in_channels, out_channels, 1))
        self.act3 = act_layer()

    def zero_init_last(self) -> None:
        """Zero ``conv3`` so the block starts as its shortcut."""
        nn.init.zeros_(self.conv3.weight)
        if self.conv3.bias is not None:
            nn.init.zeros_(self.conv3.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act1(self.norm1(self.conv1(x)))  # (B, C_out / e, H, W)
        y = self.act2(self.norm2(self.conv2(y)))  # (B, C_out / e, H, W)
        y = self.attn(self.norm3(self.conv3(y)))  # (B, C_out, H, W)
        return self.act3(self.shortcut(x) + y)


RESIDUAL_BLOCKS = {'basic': ResidualBlock, 'bottleneck': BottleneckBlock}


def residual_stage(in_channels: int,
                   out_channels: int,
                   num_blocks: int,
                   *,
                   block: str = 'basic',
                   **block_kwargs) -> nn.Sequential:
    """``num_blocks`` residual blocks, the first one changing the width.

    Args:
        block: ``'basic'`` (:class:`ResidualBlock`, two 3x3 convolutions) or
            ``'bottleneck'`` (:class:`BottleneckBlock`, 1x1 -> 3x3 -> 1x1).
        block_kwargs: passed to every block.
    """
    if num_blocks < 1:
        raise ValueError(f'num_blocks must be >= 1, got {num_blocks}')
    if block not in RESIDUAL_BLOCKS:
        raise ValueError(f'block must be one of {sorted(RESIDUAL_BLOCKS)}, '
                         f'got {block!r}')
    cls = RESIDUAL_BLOCKS[block]
    blocks = [cls(in_channels, out_channels, **block_kwargs)]
    blocks += [
        cls(out_channels, out_channels, **block_kwargs)
        for _ in range(num_blocks - 1)
    ]
    return nn.Sequential(*blocks)


def init_residual_weights(module: nn.Module) -> None:
    """The initialisation of every OFF sub-network (action and detection).

    Kaiming-normal (ReLU gain) weights and zero biases for every convolution
    in ``module``, then every residual block (:class:`ResidualBlock`,
    :class:`BottleneckBlock`) starts as its shortcut (its ``zero_init_last``).
    """
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, nonlinearity='relu')
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    for m in module.modules():
        if isinstance(m, tuple(RESIDUAL_BLOCKS.values())):
            m.zero_init_last()
