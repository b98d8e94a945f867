"""Compressed | restored | clean strips of the test clips, for ``--show-dir``.

The restoration counterpart of mmdet's ``DetVisualizationHook``: off by
default; ``tools/test.py --show`` / ``--show-dir DIR`` turn it on.
"""
import os
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np
from mmengine.hooks import Hook
from mmengine.visualization import Visualizer

from ..registry import HOOKS
from .quality import to_uint8_image


def restoration_strip(output: dict) -> np.ndarray:
    """One ``predict`` output -> (H, 3*W, 3) uint8 RGB: ``lq | pred | gt``."""
    return np.concatenate(
        [to_uint8_image(output[k]) for k in ('lq', 'pred', 'gt')], axis=1)


@HOOKS.register_module()
class RestorationVisualizationHook(Hook):
    """Draw one test clip in ``interval`` as a ``lq | pred | gt`` strip.

    Args:
        enable: draw at all (``tools/test.py --show/--show-dir`` set it).
        interval: draw one clip in ``interval``.
        show: show each strip in a window for ``wait_time`` seconds.
        wait_time: see ``show``.
        out_dir: write ``{out_dir}/{clip}.png`` (relative to the work dir
            unless absolute); without it the strips go to the visualizer's
            backends (``Visualizer.add_image``, a ``LocalVisBackend`` by
            default: ``{work_dir}/{timestamp}/vis_data/vis_image``).
    """

    def __init__(self,
                 *,
                 enable: bool = False,
                 interval: int = 1,
                 show: bool = False,
                 wait_time: float = 0.,
                 out_dir: Optional[str] = None):
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.enable = enable
        self.interval = interval
        self.show = show
        self.wait_time = wait_time
        self.out_dir = out_dir
        self._test_index = 0

    def before_test(self, runner) -> None:
        self._test_index = 0
        if self.enable and self.out_dir is not None:
            self.out_dir = osp.join(runner.work_dir, self.out_dir)

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence[dict]] = None) -> None:
        if not self.enable:
            return
        visualizer = Visualizer.get_current_instance()
        for output in outputs or []:
            index = self._test_index
            self._test_index += 1
            if index % self.interval:
                continue
            strip = restoration_strip(output)  # (H, 3*W, 3) RGB
            name = output['clip']
            if self.show:
                visualizer.show(strip, win_name=name, wait_time=self.wait_time)
            if self.out_dir is None:
                visualizer.add_image(name.replace('/', '_'), strip, index)
                continue
            path = osp.join(self.out_dir, f'{name}.png')
            os.makedirs(osp.dirname(path), exist_ok=True)
            if not cv2.imwrite(path, strip[..., ::-1]):
                raise OSError(f'could not write {path}')
