"""MMAction2 adapter: registers the OFF neck and head, input transforms, a backbone.

Import through ``custom_imports = dict(imports=['off_plugins.mmaction'])``.
"""
import off_plugins  # noqa: F401  (compat fixes before mmaction.models)
from off_plugins import hooks  # noqa: F401  (checkpoint and resume hooks)

from .backbone import CrossModalityResNet
from .checks import InputCheckHook, check_labels
from .head import OFFHead
from .loading import CheckedDecordInit, CheckedRawFrameDecode
from .modalities import (FlowFlip, FlowTenCrop, RGBDiff, negate_flow_x,
                         rgb_diff_channels)
from .neck import OFFNeck
from .sampling import FixedIntervalSampleFrames, TimeReverse
from .visualization import SegmentVisualizationHook

__all__ = [
    'InputCheckHook', 'check_labels', 'CheckedDecordInit',
    'CheckedRawFrameDecode', 'CrossModalityResNet',
    'FixedIntervalSampleFrames', 'FlowFlip', 'FlowTenCrop', 'OFFHead',
    'OFFNeck', 'RGBDiff', 'SegmentVisualizationHook', 'negate_flow_x',
    'rgb_diff_channels', 'TimeReverse'
]
