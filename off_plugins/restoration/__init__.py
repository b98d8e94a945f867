"""Video compression artifact removal (Section 7) on mmengine.

Registers, in the ``off_plugins`` scope: the models ``DnCNN`` and ``DnCNNOFF``,
the dataset ``Vimeo90KSeptupletDataset``, the metric ``RestorationMetric`` and
the hook ``RestorationVisualizationHook``.
Importing it also registers the checkpoint and resume hooks of
:mod:`off_plugins.hooks`.
"""
from off_plugins import hooks  # noqa: F401

from .metric import RestorationMetric
from .models import ArtifactRemover, DnCNN, DnCNNOFF
from .quality import psnr, ssim, to_uint8_image
from .vimeo import ClipError, Vimeo90KSeptupletDataset, frame_window, read_rgb
from .visualization import RestorationVisualizationHook, restoration_strip

__all__ = [
    'ArtifactRemover', 'ClipError', 'DnCNN', 'DnCNNOFF', 'RestorationMetric',
    'RestorationVisualizationHook', 'Vimeo90KSeptupletDataset', 'frame_window',
    'psnr', 'read_rgb', 'restoration_strip', 'ssim', 'to_uint8_image'
]
