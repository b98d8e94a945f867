"""OFF classification head: backbone (TSN/TSM) score plus last-scale OFF score."""
from typing import Dict, Sequence, Tuple

import torch
import torch.nn as nn
from mmaction.models.heads.base import BaseHead
from mmaction.registry import MODELS
from mmaction.utils import SampleList
from mmengine.model.weight_init import normal_init


@MODELS.register_module()
class OFFHead(BaseHead):
    """Head fusing the backbone score and the OFF score by summation (4.3).

    Takes :class:`OFFNeck`'s output, ``(B, in_channels + off_channels, 1, 1)``
    where B is clips x views. ``fc_cls`` keeps the name of ``TSNHead`` and
    ``TSMHead``'s classifier, so a stage-1 checkpoint loads without key
    surgery; ``off_fc_cls`` is the OFF classifier, trained from scratch.

    Training loss: cross-entropy of the OFF score (plus the backbone score's
    when ``freeze_base_cls`` is False). Prediction: ``fusion_weights[0] *
    backbone score + fusion_weights[1] * OFF score``, then the usual
    ``average_clips`` over views.

    Args:
        num_classes: number of classes.
        in_channels: channels of the backbone feature (2048 for ResNet-50).
        off_channels: channels of the last OFF scale.
        dropout_ratio: dropout before the backbone classifier.
        off_dropout_ratio: dropout before the OFF classifier.
        freeze_base_cls: keep ``fc_cls`` fixed (stage 2 of Section 4.2.1).
        fusion_weights: weights of the backbone and OFF scores at test time.
        init_std: std of the classifiers' normal init.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 2048,
                 *,
                 off_channels: int = 256,
                 dropout_ratio: float = 0.4,
                 off_dropout_ratio: float = 0.5,
                 freeze_base_cls: bool = True,
                 fusion_weights: Sequence[float] = (1.0, 1.0),
                 init_std: float = 0.01,
                 **kwargs):
        super().__init__(num_classes, in_channels, **kwargs)
        if len(fusion_weights) != 2:
            raise ValueError(
                'fusion_weights must hold (backbone, OFF) weights, '
                f'got {fusion_weights}')
        self.off_channels = off_channels
        self.fusion_weights = tuple(float(w) for w in fusion_weights)
        self.init_std = init_std
        self.dropout = nn.Dropout(dropout_ratio)
        self.off_dropout = nn.Dropout(off_dropout_ratio)
        self.fc_cls = nn.Linear(in_channels, num_classes)
        self.off_fc_cls = nn.Linear(off_channels, num_classes)
        self.freeze_base_cls = freeze_base_cls
        if freeze_base_cls:
            self.fc_cls.requires_grad_(False)

    def init_weights(self) -> None:
        normal_init(self.fc_cls, std=self.init_std)
        normal_init(self.off_fc_cls, std=self.init_std)

    def forward(self, x: torch.Tensor,
                **kwargs) -> Tuple[torch.Tensor, torch.Tensor]:
        """Args:
            x: (B, in_channels + off_channels, 1, 1).

        Returns:
            backbone scores and OFF scores, each (B, num_classes).
        """
        expected = self.in_channels + self.off_channels
        if x.shape[1] != expected:
            raise ValueError(f'OFFHead expects {expected} channels '
                             f'({self.in_channels} backbone + '
                             f'{self.off_channels} OFF), got {x.shape[1]}')
        x = x.flatten(1)  # (B, C + C_off)
        base, off = x.split([self.in_channels, self.off_channels], dim=1)
        return (self.fc_cls(self.dropout(base)),
                self.off_fc_cls(self.off_dropout(off)))

    def fuse(self, base: torch.Tensor, off: torch.Tensor) -> torch.Tensor:
        return self.fusion_weights[0] * base + self.fusion_weights[1] * off

    def loss(self, feats: torch.Tensor, data_samples: SampleList,
             **kwargs) -> Dict:
        # Scores in float32: under bfloat16 autocast, MMAction2's loss_by_feat
        # would hand bfloat16 to numpy (top-k accuracy), which has no such type.
        base, off = (s.float() for s in self(feats))
        losses = self.loss_by_feat(off, data_samples)
        if not self.freeze_base_cls:
            base_losses = self.loss_by_feat(base, data_samples)
            losses['loss_base_cls'] = base_losses['loss_cls']
        return losses

    def predict(self, feats: torch.Tensor, data_samples: SampleList,
                **kwargs) -> SampleList:
        return self.predict_by_feat(
            self.fuse(*(s.float() for s in self(feats))), data_samples)
