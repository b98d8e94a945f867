"""Image quality measures: PSNR and SSIM on 8-bit RGB images, plain numpy.

The TOFlow evaluation convention: full frame, no border crop, RGB, 0-255,
restored frames rounded to 8 bits first (as if saved as PNG).
"""
import numpy as np
import torch
from scipy.ndimage import gaussian_filter

PEAK = 255.0
SSIM_SIGMA = 1.5
SSIM_TRUNCATE = 3.5  # an 11x11 window at sigma 1.5 (Wang et al. 2004)
SSIM_K1, SSIM_K2 = 0.01, 0.03


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
    mse = np.mean((img.astype(np.float64) - ref.astype(np.float64))**2)
    return float('inf') if mse == 0 else float(10 * np.log10(PEAK**2 / mse))


def _blur(a: np.ndarray) -> np.ndarray:
    return gaussian_filter(a, SSIM_SIGMA, truncate=SSIM_TRUNCATE)


def ssim(img: np.ndarray, ref: np.ndarray) -> float:
    """Mean SSIM (Gaussian window, sigma 1.5) over channels, 0-255 scale.

    Statistics use the population covariance; the mean is taken over the
    pixels whose window lies inside the image (5 px border excluded), which is
    ``skimage.metrics.structural_similarity(gaussian_weights=True,
    use_sample_covariance=False, data_range=255)``.
    """
    _check_pair(img, ref)
    pad = int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5)
    if min(img.shape[:2]) <= 2 * pad:
        raise ValueError(f'images must be larger than {2 * pad} px per side '
                         f'for SSIM, got {img.shape[:2]}')
    c1, c2 = (SSIM_K1 * PEAK)**2, (SSIM_K2 * PEAK)**2
    scores = []
    for ch in range(img.shape[2]):
        x = img[..., ch].astype(np.float64)
        y = ref[..., ch].astype(np.float64)
        mx, my = _blur(x), _blur(y)
        vx = _blur(x * x) - mx * mx
        vy = _blur(y * y) - my * my
        cxy = _blur(x * y) - mx * my
        s = ((2 * mx * my + c1) * (2 * cxy + c2) /
             ((mx * mx + my * my + c1) * (vx + vy + c2)))
        scores.append(s[pad:-pad, pad:-pad].mean())
    return float(np.mean(scores))
