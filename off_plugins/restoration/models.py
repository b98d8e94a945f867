"""DnCNN and DnCNN_OFF on mmengine: the core networks behind BaseModel.

``forward(inputs, data_samples, mode)`` with ``inputs`` (N, T, 3, H, W) in
[0, 1] and ``data_samples = dict(gt=(N, 3, H, W), clip=[str] * N)`` as the
:class:`Vimeo90KSeptupletDataset` items collate with ``default_collate``.
"""
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel

from ..core.dncnn import DnCNNNet, DnCNNOFFNet, centre_index
from ..registry import MODELS


class ArtifactRemover(BaseModel):
    """Restore the centre frame of a clip; MSE loss on the clean frame.

    Args:
        net: a network mapping (N, T, 3, H, W) to the restored (N, 3, H, W),
            with a ``num_frames`` attribute.
        data_preprocessor: see :class:`mmengine.model.BaseModel`.
        init_cfg: weight initialisation (Xavier-uniform in the configs).

    ``mode='tensor'`` returns (N, 3, H, W); ``'loss'`` returns ``dict(loss)``;
    ``'predict'`` returns one ``dict(pred, lq, gt, clip)`` per clip, images
    (3, H, W) in [0, 1], ``lq`` being the compressed centre frame.
    """

    def __init__(self,
                 net: nn.Module,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.net = net
        self.num_frames = net.num_frames

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[dict] = None,
                mode: str = 'tensor') -> Union[torch.Tensor, Dict, List[dict]]:
        if inputs.dim() != 5 or inputs.shape[1] != self.num_frames:
            raise ValueError(f'{type(self).__name__} expects inputs of shape '
                             f'(N, {self.num_frames}, 3, H, W), got '
                             f'{tuple(inputs.shape)}')
        restored = self.net(inputs)  # (N, 3, H, W)
        if mode == 'tensor':
            return restored
        if data_samples is None or 'gt' not in data_samples:
            raise ValueError(f"mode={mode!r} needs data_samples with 'gt'")
        if mode == 'loss':
            return dict(loss=F.mse_loss(restored, data_samples['gt']))
        if mode == 'predict':
            lq = inputs[:, centre_index(self.num_frames)]  # (N, 3, H, W)
            return [
                dict(pred=p, lq=q, gt=g, clip=c) for p, q, g, c in zip(
                    restored, lq, data_samples['gt'], data_samples['clip'])
            ]
        raise ValueError(f"mode must be 'tensor', 'loss' or 'predict', "
                         f'got {mode!r}')


@MODELS.register_module()
class DnCNN(ArtifactRemover):
    """Single-frame DnCNN baseline; ``net_kwargs`` go to :class:`DnCNNNet`."""

    def __init__(self,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 **net_kwargs):
        super().__init__(DnCNNNet(**net_kwargs), data_preprocessor, init_cfg)


@MODELS.register_module()
class DnCNNOFF(ArtifactRemover):
    """DnCNN_OFF(T); ``net_kwargs`` go to :class:`DnCNNOFFNet`."""

    def __init__(self,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 **net_kwargs):
        super().__init__(
            DnCNNOFFNet(**net_kwargs), data_preprocessor, init_cfg)
