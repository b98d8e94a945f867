"""R-FCN's detection head on mmdet's RoI-head contracts (Dai et al. 2016).

Position-sensitive score maps are computed once per image by 1x1
convolutions; each RoI then pools its ``k x k`` cells from them
(:mod:`off_plugins.core.psroi`) and votes. Targets, losses and box decoding
are MMDetection's ``BBoxHead``'s, unchanged.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.roi_heads.bbox_heads import BBoxHead
from mmdet.registry import MODELS
from off_plugins.core.psroi import PSRoIPool, vote


@MODELS.register_module()
class PSScoreMaps(nn.Conv2d):
    """1x1 convolution giving ``cells`` score maps per output.

    Built by ``BBoxHead`` as its ``fc_cls``/``fc_reg`` predictor, which passes
    ``in_features``/``out_features``.

    Shapes:
        x: (B, in_features, H, W) -> (B, out_features * cells, H, W), channel
        ``(o * k + i) * k + j`` scoring output ``o`` in cell ``(i, j)``.
    """

    def __init__(self, in_features: int, out_features: int, cells: int):
        if cells < 1:
            raise ValueError(f'cells must be >= 1, got {cells}')
        super().__init__(in_features, out_features * cells, 1)


@MODELS.register_module()
class RFCNBBoxHead(BBoxHead):
    """Position-sensitive classification and class-agnostic box regression.

    Args:
        in_channels: channels of the R-FCN half of the features (512).
        roi_feat_size: k, cells per side (7 in the paper).
        featmap_stride: stride of the features (16).
        pool_mode: ``'pool'`` (R-FCN's integer bins) or ``'align'``.
        **kwargs: passed to :class:`BBoxHead` (num_classes, bbox_coder,
            losses, reg_class_agnostic).

    Shapes:
        forward(x, rois): x (B, in_channels, H, W), rois (R, 5) ->
        cls_score (R, num_classes + 1), bbox_pred (R, 4) or (R, 4 * classes).
    """

    def __init__(self,
                 *,
                 in_channels: int = 512,
                 roi_feat_size: int = 7,
                 featmap_stride: int = 16,
                 pool_mode: str = 'pool',
                 **kwargs):
        for key in ('with_avg_pool', 'cls_predictor_cfg', 'reg_predictor_cfg'):
            if key in kwargs:
                raise ValueError(f'RFCNBBoxHead sets {key} itself')
        if not isinstance(roi_feat_size, int):
            raise ValueError(
                f'roi_feat_size must be an int, got {roi_feat_size!r}')
        predictor = dict(type='PSScoreMaps', cells=roi_feat_size**2)
        # with_avg_pool keeps BBoxHead from multiplying in_channels by the cell
        # count: the predictors here are convolutions over whole maps.
        super().__init__(
            with_avg_pool=True,
            roi_feat_size=roi_feat_size,
            in_channels=in_channels,
            cls_predictor_cfg=predictor,
            reg_predictor_cfg=predictor,
            **kwargs)
        del self.avg_pool
        self.psroi = PSRoIPool(roi_feat_size, 1.0 / featmap_stride, pool_mode)

    def forward(
            self, x: torch.Tensor,
            rois: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        cls_score = vote(self.psroi(self.fc_cls(x), rois))  # (R, C + 1)
        bbox_pred = vote(self.psroi(self.fc_reg(x),
                                    rois)) if self.with_reg else None
        return cls_score, bbox_pred


@MODELS.register_module()
class RFCNRoIHead(StandardRoIHead):
    """StandardRoIHead whose box branch pools inside :class:`RFCNBBoxHead`.

    There is no RoI feature extractor: ``bbox_roi_extractor`` must be None.
    ``x`` is a one-level tuple, ``(B, C, H, W)``.
    """

    def init_bbox_head(self, bbox_roi_extractor, bbox_head) -> None:
        if bbox_roi_extractor is not None:
            raise ValueError(
                'RFCNRoIHead pools position-sensitively inside its '
                'bbox_head; set bbox_roi_extractor=None')
        self.bbox_roi_extractor = None
        self.bbox_head = MODELS.build(bbox_head)

    def _bbox_forward(self, x: Tuple[torch.Tensor],
                      rois: torch.Tensor) -> dict:
        if len(x) != 1:
            raise ValueError(
                f'RFCNRoIHead expects one feature level, got {len(x)}')
        cls_score, bbox_pred = self.bbox_head(x[0], rois)
        return dict(cls_score=cls_score, bbox_pred=bbox_pred, bbox_feats=None)
