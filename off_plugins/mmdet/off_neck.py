"""The feature end of Fig. 5: 3x3 reduction to 1024-d, OFF and SE refinement."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from off_plugins.core import (OFFPyramid, SqueezeExcite, init_residual_weights,
                              residual_stage)


@MODELS.register_module()
class OFFBranch(BaseModule):
    """The OFF branch of :class:`OFFReduceNeck`: motion between two frames,
    blended into the key frame's features.

    OFF units compare the reference and key frames on the ``off_levels``
    backbone maps and on the reduced map (the reduced map alone: SS; plus the
    512-d res3 map: MS), an :class:`OFFPyramid` refines them, and residual
    blocks blend the key features with the motion features into a correction
    added to the key features (``key + fuse([key, motion])``).

    Initialisation (:meth:`init_weights`): the OFF sub-network starts as the
    action neck's does (:func:`init_residual_weights`) and the last layer of
    ``fuse`` is zero, so the branch starts as the identity on the key
    features.

    Args:
        in_channels: channels of every backbone output, finest first, and
        out_channels: width of the reduced map; both set by the neck.
        off_levels: backbone output indices fed to OFF besides the reduced
            map, ``()`` for SS, ``(0,)`` for MS with res3 first.
        stage_channels: pyramid width per OFF scale (default a quarter of
            ``out_channels`` each).
        blocks_per_stage: refinement blocks per pyramid stage.
        fuse_blocks: residual blocks of the blend.
        reduced_channels: width of the OFF units' 1x1 reduction.
        with_se: squeeze-and-excitation in every refinement block.
        block: ``'basic'`` or ``'bottleneck'`` refinement blocks, see
            :func:`off_plugins.core.residual_stage`.
        init_cfg: mmengine initialisation applied before the branch's own.

    Shapes:
        maps[i]: (2N, C_i, H_i, W_i), the ``off_levels`` maps then the reduced
        map of (reference, key) pairs; key: (N, out_channels, H, W) ->
        (N, out_channels, H, W).
    """

    def __init__(self,
                 *,
                 in_channels: Sequence[int],
                 out_channels: int,
                 off_levels: Sequence[int] = (),
                 stage_channels: Optional[Sequence[int]] = None,
                 blocks_per_stage: int = 1,
                 fuse_blocks: int = 1,
                 reduced_channels: int = 128,
                 with_se: bool = True,
                 block: str = 'basic',
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.off_levels: Tuple[int, ...] = tuple(off_levels)
        for level in self.off_levels:
            if not 0 <= level < len(in_channels) - 1:
                raise ValueError(f'off_levels index {level} must name one of '
                                 f'the first {len(in_channels) - 1} '
                                 'backbone outputs (the last one is reduced)')
        scales = [in_channels[i] for i in self.off_levels] + [out_channels]
        stage_channels = list(stage_channels
                              or [out_channels // 4] * len(scales))
        attn = SqueezeExcite if with_se else None
        self.pyramid = OFFPyramid(
            scales,
            num_segments=2,
            stage_channels=stage_channels,
            blocks_per_stage=blocks_per_stage,
            reduced_channels=reduced_channels,
            block=block,
            attn_layer=attn)
        self.fuse = nn.Sequential(
            residual_stage(
                out_channels + stage_channels[-1],
                stage_channels[-1],
                fuse_blocks,
                block=block,
                attn_layer=attn), nn.Conv2d(stage_channels[-1], out_channels,
                                            1))

    def init_weights(self) -> None:
        """mmengine's ``init_cfg`` (if any), then residual blocks start as
        shortcuts and the correction added to the key features at zero."""
        super().init_weights()
        init_residual_weights(self.pyramid)
        init_residual_weights(self.fuse)
        nn.init.zeros_(self.fuse[-1].weight)
        nn.init.zeros_(self.fuse[-1].bias)

    def forward(self, maps: Sequence[torch.Tensor],
                key: torch.Tensor) -> torch.Tensor:
        motion = self.pyramid(list(maps))[-1]  # (N, C_stage, H, W)
        return key + self.fuse(torch.cat([key, motion],
                                         dim=1))  # (N, C_out, H, W)


@MODELS.register_module()
class OFFReduceNeck(BaseModule):
    """Reduce the last backbone map to ``out_channels``; optionally add OFF.

    Without ``off`` this is the single-frame R-FCN neck: a 3x3 convolution
    (and ReLU) on the last backbone output of the key frame. With ``off``, the
    reference and key frames both pass the reduction and an
    :class:`OFFBranch` adds their motion to the key features. The branch
    starts as the identity, so at the first iteration the OFF detector
    computes exactly what the single-frame R-FCN computes and learns to add
    motion from there; an R-FCN checkpoint loads into it without key surgery.

    Args:
        in_channels: channels of each backbone output, finest first.
        out_channels: width of the reduced features (1024 in the paper).
        off: None for no OFF, or the branch's config,
            ``dict(type='OFFBranch', off_levels=..., ...)``, built through the
            registry with this neck's ``in_channels`` and ``out_channels``.
        init_cfg: mmengine initialisation of the neck.

    Shapes:
        feats[i]: (N*T, C_i, H_i, W_i), frames of a sample contiguous in the
        order (reference, key) when ``T == 2``; returns (N, out_channels, H, W)
        for the key frames (T must be 1 without OFF, 2 with it).
    """

    def __init__(self,
                 *,
                 in_channels: Sequence[int],
                 out_channels: int = 1024,
                 off: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = list(in_channels)
        if not self.in_channels or out_channels < 1:
            raise ValueError('in_channels must list the backbone outputs and '
                             f'out_channels must be >= 1, got {in_channels}, '
                             f'{out_channels}')
        self.reduce = nn.Sequential(
            nn.Conv2d(self.in_channels[-1], out_channels, 3, padding=1),
            nn.ReLU(inplace=True))
        self.out_channels = out_channels
        self.num_frames = 1 if off is None else 2
        self.off = None if off is None else MODELS.build(
            dict(off, in_channels=self.in_channels, out_channels=out_channels))
        self.off_levels: Tuple[int, ...] = (
        ) if off is None else self.off.off_levels

    def frame_maps(self,
                   feats: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        """The per-frame maps the neck combines: each ``off_levels`` backbone
        map, then the reduced map (last). They depend on one frame only, so a
        video detector can keep a frame's maps for its next frame.

        Shapes:
            feats[i]: (F, C_i, H_i, W_i) for F frames -> maps of (F, C, H, W).
        """
        if len(feats) != len(self.in_channels):
            raise ValueError(f'expected {len(self.in_channels)} backbone '
                             f'outputs, got {len(feats)}')
        return tuple(feats[i]
                     for i in self.off_levels) + (self.reduce(feats[-1]), )

    def combine(self, maps: Sequence[torch.Tensor]) -> torch.Tensor:
        """Key-frame features from :meth:`frame_maps` of (reference, key) pairs.

        Shapes:
            maps[i]: (N*T, C_i, H_i, W_i) -> (N, C_out, H, W).
        """
        reduced = maps[-1]
        if self.num_frames == 1:
            return reduced  # (N, C_out, H, W)
        if reduced.shape[0] % 2:
            raise ValueError(f'{reduced.shape[0]} frames do not form '
                             '(reference, key) pairs')
        key = reduced.unflatten(0, (-1, 2))[:, 1]  # (N, C_out, H, W)
        return self.off(maps, key)  # (N, C_out, H, W)

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """Backbone outputs (N*T, C_i, H_i, W_i) -> key features (N, C_out, H, W)."""
        return self.combine(self.frame_maps(feats))
