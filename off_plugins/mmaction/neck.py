"""OFF sub-network as an MMAction2 neck for the stock ``Recognizer2D``."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import SampleList
from mmengine.model import BaseModule
from off_plugins.core import OFFPyramid, average_pairs, init_residual_weights


def _frames_view(x: torch.Tensor) -> torch.Tensor:
    """(N, C, S, H, W) -> (N*S, C, H, W), segments of one clip contiguous."""
    return x.transpose(1, 2).flatten(0, 1)


@MODELS.register_module()
class OFFNeck(BaseModule):
    """OFF sub-network over several backbone stages (Fig. 3).

    ``Recognizer2D`` hands the neck every backbone output as
    ``(N, C_i, S, H_i, W_i)`` with ``S = V * T``: V views (clips x crops) of T
    segments each. Pairs are formed only inside one view. The neck returns the
    pooled backbone feature (averaged over the T segments, as TSN's consensus)
    and the pooled last-scale OFF feature (averaged over the T-1 pairs),
    concatenated along channels as ``(N*V, C_last + C_off, 1, 1, 1)`` for
    :class:`OFFHead`. In training, every scale but the last gets its own
    classifier and loss (intermediate supervision, Section 4.2.2); the last
    scale's loss is computed by the head.

    Args:
        in_channels: backbone channels of the stages fed to OFF, finest first.
        off_indices: which of the neck's inputs feed OFF (one per entry of
            ``in_channels``); None means all of them. The last input is always
            the backbone feature scored by the head, so a backbone with
            ``out_indices=(0, 1, 2, 3)`` and ``off_indices=(0, 1, 2)`` runs OFF
            on the three finer stages.
        num_classes: classes for the intermediate classifiers.
        num_segments: T during training (alpha of Section 4.2.3).
        test_num_segments: T at validation and test (beta); defaults to
            ``num_segments``.
        stage_channels, blocks_per_stage, reduced_channels, spatial_channels,
        spatial_act, components, kernel, spatial_dropout, block: see
            :class:`off_plugins.core.OFFPyramid`. The defaults are the light
            sub-network (basic blocks of 64/128/256 channels, activated
            spatial reduction); the released code's widths are
            ``stage_channels=(256, 512, 1024), block='bottleneck',
            spatial_act=False``.
        aux_loss_weight: weight of each intermediate loss.
        aux_dropout: dropout before the intermediate classifiers.
        init_std: std of the classifiers' normal init.
        init_cfg: mmengine initialisation applied before :meth:`init_weights`
            sets the OFF sub-network's and the classifiers' own.
    """

    def __init__(self,
                 *,
                 in_channels: Sequence[int] = (512, 1024, 2048),
                 off_indices: Optional[Sequence[int]] = None,
                 num_classes: int = 400,
                 num_segments: int = 3,
                 test_num_segments: Optional[int] = None,
                 stage_channels: Sequence[int] = (64, 128, 256),
                 blocks_per_stage: int = 3,
                 reduced_channels: int = 128,
                 spatial_channels: Optional[int] = 32,
                 spatial_act: bool = True,
                 components: str = 'full',
                 kernel: str = 'paper',
                 spatial_dropout: float = 0.0,
                 block: str = 'basic',
                 aux_loss_weight: float = 1.0,
                 aux_dropout: float = 0.5,
                 init_std: float = 0.01,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        self.num_classes = num_classes
        self.off_indices = (
            tuple(range(len(in_channels)))
            if off_indices is None else tuple(off_indices))
        if len(self.off_indices) != len(in_channels):
            raise ValueError(
                f'off_indices {self.off_indices} must name one '
                f'input per in_channels entry {tuple(in_channels)}')
        self.num_segments = num_segments
        self.test_num_segments = (
            num_segments if test_num_segments is None else test_num_segments)
        for name in ('num_segments', 'test_num_segments'):
            if getattr(self, name) < 2:
                raise ValueError(f'{name} must be >= 2 to form a temporal '
                                 f'difference, got {getattr(self, name)}')
        self.pyramid = OFFPyramid(
            in_channels,
            num_segments,
            stage_channels=stage_channels,
            blocks_per_stage=blocks_per_stage,
            reduced_channels=reduced_channels,
            spatial_channels=spatial_channels,
            spatial_act=spatial_act,
            components=components,
            kernel=kernel,
            spatial_dropout=spatial_dropout,
            block=block)
        self.out_channels = self.pyramid.stage_channels[-1]
        self.aux_loss_weight = aux_loss_weight
        self.aux_dropout = nn.Dropout(aux_dropout)
        self.aux_fcs = nn.ModuleList(
            nn.Linear(c, num_classes)
            for c in self.pyramid.stage_channels[:-1])
        self.init_std = init_std

    def init_weights(self) -> None:
        """mmengine's ``init_cfg`` (if any), then the OFF sub-network's init
        (:func:`init_residual_weights`, as the detection neck's) and the
        intermediate classifiers' normal init."""
        super().init_weights()
        init_residual_weights(self.pyramid)
        for fc in self.aux_fcs:
            nn.init.normal_(fc.weight, std=self.init_std)
            nn.init.zeros_(fc.bias)

    def forward(
        self,
        x: List[torch.Tensor],
        data_samples: Optional[SampleList] = None
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Args:
            x: backbone outputs, each (N, C_i, S, H_i, W_i).
            data_samples: carry ``gt_label`` in training.

        Returns:
            (N*V, C_last + C_off, 1, 1, 1) features and the auxiliary losses.
        """
        needed = max(self.off_indices) + 1
        if len(x) < needed:
            raise ValueError(
                f'OFFNeck expects at least {needed} backbone stages '
                f'(set the backbone out_indices accordingly), got {len(x)}')
        name = 'num_segments' if self.training else 'test_num_segments'
        t = getattr(self, name)
        s = x[0].shape[2]
        if s % t:
            raise ValueError(f'{s} frames per sample do not split into views '
                             f'of {t} segments ({name}={t})')
        views = s // t
        feats = [_frames_view(x[i])
                 for i in self.off_indices]  # (N*S, C_i, H_i, W_i)
        outs = self.pyramid(feats, t)  # (N*V*(T-1), C_out_i, H_i, W_i)
        pooled = [average_pairs(o.mean(dim=(2, 3)), t)
                  for o in outs]  # (N*V, C_out_i)
        last = x[-1].mean(dim=(3, 4))  # (N, C_last, S)
        last = last.unflatten(2, (views, t)).mean(dim=3)  # (N, C_last, V)
        last = last.transpose(1, 2).flatten(0, 1)  # (N*V, C_last)
        out = torch.cat([last, pooled[-1]], dim=1)[..., None, None, None]
        losses = {}
        if self.training and data_samples is not None:
            labels = torch.stack([d.gt_label for d in data_samples]).view(-1)
            labels = labels.repeat_interleave(views)  # (N*V, )
            for i, (fc, feat) in enumerate(zip(self.aux_fcs, pooled)):
                score = fc(self.aux_dropout(feat))  # (N*V, num_classes)
                losses[
                    f'loss_off_scale{i}'] = self.aux_loss_weight * F.cross_entropy(
                        score, labels.to(score.device))
        return out, losses
