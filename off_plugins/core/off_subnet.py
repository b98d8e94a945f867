"""The multi-scale OFF sub-network (Fig. 3): OFF units plus residual refinement."""
from typing import Callable, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .blocks import LayerFactory, residual_stage
from .off_layer import OFFLayer


class OFFPyramid(nn.Module):
    """OFF units over several backbone scales, each refined by residual blocks.

    Scale ``i`` computes the OFF of its backbone features, concatenates it with
    the refined output of scale ``i - 1`` pooled to its resolution, and refines
    the result with ``blocks_per_stage`` residual blocks without BN. Three
    scales of three blocks form the paper's ResNet-20-like OFF sub-network.

    Args:
        in_channels: backbone channels per scale, finest first.
        num_segments: T, segments per clip.
        stage_channels: output width per scale.
        blocks_per_stage: residual blocks per scale.
        reduced_channels: OFF layer 1x1 reduction width (128 in the paper).
        spatial_channels: width feeding the spatial gradients, see
            :class:`OFFLayer`.
        spatial_act: activation after the separate spatial reduction, see
            :class:`OFFLayer`.
        components: ``'full'``, ``'temporal'`` or ``'none'`` (hypercolumn).
        kernel: spatial-gradient kernels.
        spatial_dropout: dropout on the spatial gradients.
        block: refinement block, ``'basic'`` (two 3x3 convolutions) or
            ``'bottleneck'`` (1x1 -> 3x3 -> 1x1, expansion 4, as the released
            code), see :func:`residual_stage`.
        act_layer: activation factory.
        norm_layer: normalisation factory for the blocks (None in the paper).
        attn_layer: attention factory for the blocks (SE for detection).

    Shapes:
        feats[i]: (N*T, in_channels[i], H_i, W_i) ->
        outputs[i]: (N*(T-1), stage_channels[i], H_i, W_i).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 num_segments: int,
                 *,
                 stage_channels: Sequence[int] = (64, 128, 256),
                 blocks_per_stage: int = 3,
                 reduced_channels: int = 128,
                 spatial_channels: Optional[int] = None,
                 spatial_act: bool = True,
                 components: str = 'full',
                 kernel: str = 'paper',
                 spatial_dropout: float = 0.0,
                 block: str = 'basic',
                 act_layer: Callable[..., nn.Module] = nn.ReLU,
                 norm_layer: LayerFactory = None,
                 attn_layer: LayerFactory = None):
        super().__init__()
        in_channels = list(in_channels)
        stage_channels = list(stage_channels)
        if not in_channels:
            raise ValueError('in_channels must name at least one scale')
        if len(stage_channels) != len(in_channels):
            raise ValueError(
                f'stage_channels has {len(stage_channels)} entries '
                f'but in_channels has {len(in_channels)}')
        self.in_channels = in_channels
        self.stage_channels = stage_channels
        self.num_segments = num_segments
        self.units = nn.ModuleList()
        self.stages = nn.ModuleList()
        prev = 0
        for c_in, c_out in zip(in_channels, stage_channels):
            unit = OFFLayer(
                c_in,
                num_segments,
                reduced_channels,
                spatial_channels=spatial_channels,
                spatial_act=spatial_act,
                components=components,
                kernel=kernel,
                spatial_dropout=spatial_dropout,
                act_layer=act_layer)
            self.units.append(unit)
            self.stages.append(
                residual_stage(
                    unit.out_channels + prev,
                    c_out,
                    blocks_per_stage,
                    block=block,
                    act_layer=act_layer,
                    norm_layer=norm_layer,
                    attn_layer=attn_layer))
            prev = c_out

    def forward(self,
                feats: Sequence[torch.Tensor],
                num_segments: Optional[int] = None) -> List[torch.Tensor]:
        """Args:
            feats: per scale (N*T, C_i, H_i, W_i), finest first.
            num_segments: T for this call; defaults to the constructor's.
        """
        if len(feats) != len(self.units):
            raise ValueError(f'expected {len(self.units)} feature scales, got '
                             f'{len(feats)}')
        outs: List[torch.Tensor] = []
        for feat, unit, stage in zip(feats, self.units, self.stages):
            x = unit(feat, num_segments)  # (N*P, C_off, H_i, W_i)
            if outs:
                prev = F.adaptive_avg_pool2d(outs[-1], x.shape[-2:])
                x = torch.cat([x, prev],
                              dim=1)  # (N*P, C_off + C_prev, H_i, W_i)
            outs.append(stage(x))  # (N*P, C_out_i, H_i, W_i)
        return outs
