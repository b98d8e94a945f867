"""MMAction2's ``VisualizationHook`` for 2D recognizers (TSN, TSM + OFF).

MMAction2 1.2.0's hook reads each test input as ``(C, T, H, W)`` (a 3D
recognizer's ``NCTHW``), but a 2D recognizer's input is ``(V*T, C, H, W)``
(views x segments, ``NCHW``): drawn as is, its channel axis becomes the frame
axis. The stock hook also passes ``show=`` to ``ActionVisualizer``, whose
argument is ``show_frames``, so ``--show-dir`` fails with a ``TypeError``
for any recognizer. This hook hands MMAction2's own ``ActionVisualizer`` the
first ``max_frames`` frames as ``(C, T, H, W)`` under the right argument
names; everything else (``--show``, ``--show-dir``, ``--wait-time``, the
output layout: one PNG a frame under ``<show-dir>/<video>_<step>/``) is the
stock hook's.
"""
from typing import Optional

from mmaction.engine.hooks import VisualizationHook
from mmaction.registry import HOOKS


@HOOKS.register_module()
class SegmentVisualizationHook(VisualizationHook):
    """``VisualizationHook`` that accepts 2D recognizers' ``(V*T, C, H, W)``.

    Args:
        max_frames: frames drawn per video (the first view's segments come
            first); ``None`` draws every view's frames.
        **kwargs: ``VisualizationHook``'s arguments (``enable``, ``interval``,
            ``show``, ``out_dir``, ``wait_time``, ...).
    """

    def __init__(self, *, max_frames: Optional[int] = 8, **kwargs):
        if max_frames is not None and max_frames < 1:
            raise ValueError(
                f'max_frames must be >= 1 or None, got {max_frames}')
        super().__init__(**kwargs)
        self.max_frames = max_frames
        self.draw_args['show_frames'] = self.draw_args.pop('show')

    def _draw_samples(self, batch_idx, data_batch, data_samples, step=0):
        videos = []
        for video in data_batch['inputs']:
            if video.dim() == 4 and video.shape[1] in (1, 3):
                video = video[:self.max_frames]  # (T', C, H, W)
                video = video.permute(1, 0, 2, 3)  # (C, T', H, W)
            videos.append(video)
        super()._draw_samples(batch_idx, dict(data_batch, inputs=videos),
                              data_samples, step)
