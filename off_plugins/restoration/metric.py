"""PSNR / SSIM of restored and of compressed centre frames, on mmengine."""
from typing import Dict, List, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from ..registry import METRICS
from .quality import psnr, ssim, to_uint8_image


@METRICS.register_module()
class RestorationMetric(BaseMetric):
    """Mean per-clip PSNR and SSIM, TOFlow convention (RGB, 0-255, no crop).

    Reports ``PSNR`` and ``SSIM`` of the restored frame and ``input_PSNR`` /
    ``input_SSIM`` of the compressed one, both against the clean frame, so the
    gain is visible. Consumes the ``predict`` outputs of the restoration models
    (``dict(pred, lq, gt, clip)``, (3, H, W) in [0, 1]).
    """

    default_prefix = None

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred, lq, gt = (
                to_uint8_image(sample[k]) for k in ('pred', 'lq', 'gt'))
            self.results.append(
                dict(
                    clip=sample['clip'],
                    PSNR=psnr(pred, gt),
                    SSIM=ssim(pred, gt),
                    input_PSNR=psnr(lq, gt),
                    input_SSIM=ssim(lq, gt)))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        keys = ('PSNR', 'SSIM', 'input_PSNR', 'input_SSIM')
        return {k: float(np.mean([r[k] for r in results])) for k in keys}
