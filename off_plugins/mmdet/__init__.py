"""MMDetection adapter: OFF R-FCN video detector, R-FCN head, ImageNet VID data.

Import ``off_plugins`` (done here) before mmdet models; configs load this
package with ``custom_imports``.
"""
import off_plugins  # noqa: F401  (toolbox compatibility fixes first)
from off_plugins import hooks  # noqa: F401  (checkpoint and resume hooks)

from .imagenet_vid import (FixedOffsetRefFrameSample, ImagenetVIDDataset,
                           reference_pair)
from .off_neck import OFFBranch, OFFReduceNeck
from .off_rfcn import OFFRFCN
from .rfcn_head import PSScoreMaps, RFCNBBoxHead, RFCNRoIHead
from .vid_classes import VID_CLASSES, VID_SYNSETS
from .visualization import VideoDetVisualizationHook

__all__ = [
    'FixedOffsetRefFrameSample', 'ImagenetVIDDataset', 'OFFBranch', 'OFFRFCN',
    'OFFReduceNeck', 'PSScoreMaps', 'RFCNBBoxHead', 'RFCNRoIHead',
    'VID_CLASSES', 'VID_SYNSETS', 'VideoDetVisualizationHook', 'reference_pair'
]
