"""Image quality measures: PSNR and SSIM on 8-bit RGB images (scikit-image).

The TOFlow evaluation convention: full frame, no border crop, RGB, 0-255,
restored frames rounded to 8 bits first (as if saved as PNG).
"""
import numpy as np
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

PEAK = 255.0
SSIM_SIGMA = 1.5
# scikit-image's Gaussian window is truncated at 3.5 sigma: 11x11 at sigma 1.5
# (Wang et al. 2004); the mean skips the 5 px border where it does not fit.
SSIM_PAD = int(3.5 * SSIM_SIGMA + 0.5)


def to_uint8_image(x: torch.Tensor) -> np.ndarray:
    """(3, H, W) float in [0, 1] -> (H, W, 3) uint8, clipped and rounded."""
    if x.dim() != 3:
        raise ValueError(f'expected a (C, H, W) tensor, got {tuple(x.shape)}')
    x = x.detach().float().clamp(0, 1).mul(PEAK).round()
    return x.to(torch.uint8).permute(1, 2, 0).cpu().numpy()


def _check_pair(img: np.ndarray, ref: np.ndarray) -> None:
    if img.shape != ref.shape or img.ndim != 3:
        raise ValueError('expected two (H, W, C) images of the same shape, '
                         f'got {img.shape} and {ref.shape}')


def psnr(img: np.ndarray, ref: np.ndarray) -> float:
    """PSNR in dB of two (H, W, C) images on the 0-255 scale (inf if equal)."""
    _check_pair(img, ref)
    if np.array_equal(img, ref):
        return float('inf')
    return float(
        peak_signal_noise_ratio(
            ref.astype(np.float64), img.astype(np.float64), data_range=PEAK))


def ssim(img: np.ndarray, ref: np.ndarray) -> float:
    """Mean SSIM of two (H, W, C) images on the 0-255 scale, over channels.

    ``structural_similarity`` with a Gaussian window (sigma 1.5) and the
    population covariance, as Wang et al. (2004).
    """
    _check_pair(img, ref)
    if min(img.shape[:2]) <= 2 * SSIM_PAD:
        raise ValueError(f'images must be larger than {2 * SSIM_PAD} px per '
                         f'side for SSIM, got {img.shape[:2]}')
    return float(
        structural_similarity(
            img.astype(np.float64),
            ref.astype(np.float64),
            gaussian_weights=True,
            sigma=SSIM_SIGMA,
            use_sample_covariance=False,
            data_range=PEAK,
            channel_axis=-1))
