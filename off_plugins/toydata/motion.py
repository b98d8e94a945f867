"""A small real-video action dataset whose classes are decided by motion alone.

Every video shows a bright textured bar over a dark textured background. The
class is the bar's motion: its direction, its speed, or the sense of its
rotation. Textures, colours, bar sizes, orientations and start positions are
random per video, and the bar wraps around the frame edges, so a single frame
carries no information about the class: only the change between frames does.

The videos are written as MPEG-4 ``.mp4`` files (OpenCV's ``mp4v`` codec) and
listed in MMAction2's ``VideoDataset`` format (``relative/path.mp4 label``).
"""
import json
import os
import os.path as osp
from typing import Callable, Dict, Optional

import cv2
import numpy as np

from off_plugins.utils import atomic_write_text

# name: (dx, dy, degrees) per frame; x to the right, y downwards, degrees
# counter-clockwise on screen (OpenCV's convention).
MOTION_CLASSES = {
    'right_slow': (1, 0, 0),
    'right_fast': (3, 0, 0),
    'left_slow': (-1, 0, 0),
    'left_fast': (-3, 0, 0),
    'up': (0, -2, 0),
    'down': (0, 2, 0),
    'rotate_cw': (0, 0, -8),
    'rotate_ccw': (0, 0, 8),
}
FORMAT_VERSION = 2


def _texture(rng: np.random.Generator, shape, scale: int, lo: float,
             hi: float) -> np.ndarray:
    """``shape + (3,)`` float32 smooth random colour texture in [lo, hi]."""
    h, w = shape
    coarse = rng.random((max(2, h // scale), max(2, w // scale), 3))
    tex = cv2.resize(coarse.astype(np.float32), (w, h),
                     interpolation=cv2.INTER_CUBIC)
    tex = (tex - tex.min()) / max(1e-6, float(np.ptp(tex)))
    return lo + (hi - lo) * tex


def render_video(label: int, rng: np.random.Generator, size: int = 64,
                 num_frames: int = 48) -> np.ndarray:
    """Render one video of class ``label``.

    Returns:
        (num_frames, size, size, 3) uint8 frames in BGR order.
    """
    dx, dy, dtheta = list(MOTION_CLASSES.values())[label]
    background = _texture(rng, (size, size), int(rng.integers(4, 12)), 0, 110)
    length = int(rng.integers(size // 3, size // 2 + 1))
    width = int(rng.integers(size // 10, size // 6 + 1))
    side = 2 * (length // 2) + 1  # the bar's bounding square, odd
    bar_tex = _texture(rng, (side, side), int(rng.integers(2, 5)), 150, 255)
    bar = np.zeros((side, side), np.float32)
    c = side // 2
    bar[c - width // 2:c + width // 2 + 1, :] = 1.0
    cx, cy = rng.integers(0, size, 2)
    theta0 = rng.uniform(0, 360)
    frames = np.empty((num_frames, size, size, 3), np.uint8)
    for t in range(num_frames):
        rot = cv2.getRotationMatrix2D((c, c), theta0 + dtheta * t, 1.0)
        mask = cv2.warpAffine(bar, rot, (side, side), flags=cv2.INTER_LINEAR)
        layer = np.zeros((size, size, 3), np.float32)
        alpha = np.zeros((size, size), np.float32)
        layer[:side, :side] = bar_tex
        alpha[:side, :side] = mask
        shift = (int(cy + dy * t) % size, int(cx + dx * t) % size)
        layer = np.roll(layer, shift, axis=(0, 1))
        alpha = np.roll(alpha, shift, axis=(0, 1))[..., None]
        frames[t] = (alpha * layer + (1 - alpha) * background).astype(np.uint8)
    return frames


def write_mp4(path: str, frames: np.ndarray, fps: int = 12) -> None:
    """Write BGR frames to ``path`` atomically (a temporary file, then rename)."""
    tmp = f'{path}.tmp.mp4'
    h, w = frames.shape[1:3]
    writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*'mp4v'), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f'OpenCV cannot open an mp4v writer for {tmp}')
    for frame in frames:
        writer.write(frame)
    writer.release()
    os.replace(tmp, path)


def make_motion_dataset(root: str,
                        videos_per_class: Optional[Dict[str, int]] = None,
                        size: int = 64,
                        num_frames: int = 48,
                        seed: int = 0,
                        log: Callable[[str], None] = print) -> Dict:
    """Generate the dataset under ``root`` unless the same one is there.

    Layout::

        root/videos/{split}/{class}_{index}.mp4
        root/offmotion_{split}_list_videos.txt   # "split/name.mp4 label"
        root/manifest.json                       # written last

    Args:
        root: output folder.
        videos_per_class: videos per class for each split.
        size: frame side in pixels.
        num_frames: frames per video.
        seed: base seed; video i of split s uses its own derived generator.
        log: progress printer.

    Returns:
        The manifest: parameters, classes and per-split counts.
    """
    videos_per_class = videos_per_class or {'train': 24, 'val': 8}
    manifest = dict(
        version=FORMAT_VERSION, size=size, num_frames=num_frames, seed=seed,
        videos_per_class=videos_per_class, classes=list(MOTION_CLASSES))
    manifest_path = osp.join(root, 'manifest.json')
    if osp.exists(manifest_path):
        with open(manifest_path) as f:
            if json.load(f) == manifest:
                log(f'[offmotion] reusing {root}')
                return manifest
    for split_id, (split, per_class) in enumerate(videos_per_class.items()):
        out_dir = osp.join(root, 'videos', split)
        os.makedirs(out_dir, exist_ok=True)
        lines = []
        total = per_class * len(MOTION_CLASSES)
        for i in range(total):
            label, index = i % len(MOTION_CLASSES), i // len(MOTION_CLASSES)
            name = f'{list(MOTION_CLASSES)[label]}_{index:03d}.mp4'
            rng = np.random.default_rng([seed, split_id, i])
            write_mp4(osp.join(out_dir, name),
                      render_video(label, rng, size, num_frames))
            lines.append(f'{split}/{name} {label}\n')
            if (i + 1) % 32 == 0 or i + 1 == total:
                log(f'[offmotion] {split}: {i + 1}/{total} videos')
        atomic_write_text(osp.join(root, f'offmotion_{split}_list_videos.txt'),
                          ''.join(lines))
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2))
    return manifest
