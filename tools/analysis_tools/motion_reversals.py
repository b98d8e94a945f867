"""How many videos of a generated motion dataset reverse their direction?

In a ``bounce`` variant an object whose path is longer than the frame
reflects off the edges, so a ``right_fast`` video can move right, then left.
A model that averages its segments (TSN's consensus, OFF's too) sees the
motions of a clip but not their order, and a clip that moves right then left
looks to it like one that moves left then right: such videos are a limit of
the model, not of its training. This tool measures, for every video of one
split, the object's frame-to-frame displacement along its class's axis of
motion and counts the direction reversals.

    python tools/motion_benchmark.py --reversals    # every variant's test videos
"""
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List

import numpy as np


def object_steps(frames: np.ndarray, axis: int) -> np.ndarray:
    """Frame-to-frame displacement (pixels) of the moving object along
    ``axis`` (0: x, 1: y): phase correlation of consecutive frames' distance
    from the background (the per-pixel median over the video), which is
    circular, so an object that wraps around the frame edge moves on
    smoothly."""
    import cv2
    video = frames.astype(np.float32)
    background = np.median(video, axis=0)
    diff = np.abs(video - background).sum(-1)
    window = cv2.createHanningWindow(diff.shape[1:][::-1], cv2.CV_32F)
    steps = [
        cv2.phaseCorrelate(a, b, window)[0][axis]
        for a, b in zip(diff[:-1], diff[1:])
    ]
    return np.asarray(steps)


def count_reversals(steps: np.ndarray,
                    min_step: float = 0.5,
                    min_run: int = 2) -> int:
    """Direction changes between runs of at least ``min_run`` frame-to-frame
    steps of one sign (steps under ``min_step`` pixels ignored); a shorter
    run is a mismeasured step, not a reversal."""
    signs = np.sign(steps[np.abs(steps) > min_step])
    runs = []  # [sign, length]
    for sign in signs:
        if runs and runs[-1][0] == sign:
            runs[-1][1] += 1
        else:
            runs.append([sign, 1])
    kept = [sign for sign, length in runs if length >= min_run]
    return int(sum(a != b for a, b in zip(kept[:-1], kept[1:])))


def split_reversals(root: str, split: str = 'val') -> Dict[str, List[int]]:
    """``{class: [reversals of each video]}`` for the translation classes
    of the dataset under ``root`` (rotations have no axis; left out)."""
    import decord
    from data_tools.motion import ALL_MOTIONS
    with open(osp.join(root, 'manifest.json')) as f:
        classes = json.load(f)['classes']
    out: Dict[str, List[int]] = defaultdict(list)
    with open(osp.join(root, f'offmotion_{split}_list_videos.txt')) as f:
        for line in f:
            rel, label = line.split()
            name = classes[int(label)]
            dx, dy, degrees = ALL_MOTIONS[name]
            if degrees or (dx and dy):
                continue  # rotations and diagonals: no single axis
            reader = decord.VideoReader(osp.join(root, 'videos', rel))
            frames = reader.get_batch(range(len(reader))).asnumpy()
            out[name].append(
                count_reversals(object_steps(frames, 0 if dx else 1)))
    return dict(out)
