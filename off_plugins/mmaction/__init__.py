"""MMAction2 adapter: registers the OFF neck, head and input transforms.

Import through ``custom_imports = dict(imports=['off_plugins.mmaction'])``.
"""
import off_plugins  # noqa: F401  (compat fixes before mmaction.models)

from .head import OFFHead
from .loading import CheckedDecordInit, CheckedRawFrameDecode
from .modalities import FlowFlip, RGBDiff, rgb_diff_channels
from .neck import OFFNeck
from .sampling import FixedIntervalSampleFrames

__all__ = ['CheckedDecordInit', 'CheckedRawFrameDecode', 'FixedIntervalSampleFrames',
           'FlowFlip', 'OFFHead', 'OFFNeck', 'RGBDiff', 'rgb_diff_channels']
