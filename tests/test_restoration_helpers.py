"""Helpers (no tests): a tiny generated Vimeo-90K folder for the restoration tests."""
import os
import os.path as osp

import cv2
import numpy as np

CLIP_LENGTH = 7


def smooth_image(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """(h, w, 3) uint8 with real-image-like low-frequency content."""
    small = rng.integers(0, 256, (max(2, h // 6), max(2, w // 6), 3))
    return cv2.resize(
        small.astype(np.uint8), (w, h), interpolation=cv2.INTER_CUBIC)


def write_rgb(path: str, img: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    if img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    assert cv2.imwrite(path, img), path


def make_vimeo(root: str,
               clips=('00001/0001', '00001/0002'),
               h: int = 24,
               w: int = 32,
               noise: float = 8.0,
               seed: int = 0,
               lq_prefix: str = 'sequences_jpeg2000_q20') -> dict:
    """Clean and noisy septuplets plus both clip lists under ``root``.

    Returns ``{clip: (clean (7, h, w, 3), noisy (7, h, w, 3))}``.
    """
    rng = np.random.default_rng(seed)
    frames = {}
    for clip in clips:
        clean = np.stack([smooth_image(rng, h, w) for _ in range(CLIP_LENGTH)])
        noisy = np.clip(clean + rng.normal(0, noise, clean.shape), 0,
                        255).astype(np.uint8)
        for i in range(CLIP_LENGTH):
            write_rgb(
                osp.join(root, 'sequences', clip, f'im{i + 1}.png'), clean[i])
            write_rgb(
                osp.join(root, lq_prefix, clip, f'im{i + 1}.png'), noisy[i])
        frames[clip] = (clean, noisy)
    for name in ('sep_trainlist.txt', 'sep_testlist.txt'):
        with open(osp.join(root, name), 'w') as f:
            f.write('\n'.join(clips) + '\n')
    return frames
