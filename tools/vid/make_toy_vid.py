"""Generate a small, deterministic VID-style set in CocoVID json.

Real photographs shipped with scikit-image (``skimage/data``) give the
textures: backgrounds are crops of ``grass``, ``gravel``, ``brick``,
``rocket`` and ``astronaut``; objects move across them at constant velocity,
bouncing off the borders, with fresh sensor noise in every frame. Classes:

* ``cat``: a crop of ``chelsea`` (a cat's head);
* ``cup``: a crop of ``coffee`` (a cup);
* ``patch``: a patch cut from the frame's own background, 10% brighter, so
  that it is camouflaged in a single frame and stands out by its motion.

Usage::

    python tools/vid/make_toy_vid.py data/toyvid
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
from off_plugins.utils import atomic_write_text
from skimage import data as skdata

CLASSES = ('cat', 'cup', 'patch')
FRAME_SIZE = 128
# val: the set the demo recipe was chosen on; test: held out, reported by
# tools/vid/run_toy_vid.py
SPLITS = dict(
    train=dict(videos=48, frames=16, seed=0),
    val=dict(videos=24, frames=12, seed=1),
    test=dict(videos=24, frames=12, seed=2))


def _rgb(img: np.ndarray) -> np.ndarray:
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return img[..., :3].astype(np.float32)


def load_textures() -> Dict[str, List[np.ndarray]]:
    """Background photographs and per-class object crops, float32 RGB."""
    backgrounds = [
        _rgb(f()) for f in (skdata.grass, skdata.gravel, skdata.brick,
                            skdata.rocket, skdata.astronaut)
    ]
    cat = _rgb(skdata.chelsea())[20:260, 120:360]
    cup = _rgb(skdata.coffee())[40:330, 130:470]
    return dict(backgrounds=backgrounds, cat=[cat], cup=[cup])


def random_crop(img: np.ndarray, size: int,
                rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    scale = size / min(h, w) * rng.uniform(1.0, 1.6)
    img = cv2.resize(
        img, (max(size, round(w * scale)), max(size, round(h * scale))))
    y = rng.integers(0, img.shape[0] - size + 1)
    x = rng.integers(0, img.shape[1] - size + 1)
    return img[y:y + size, x:x + size]


def make_video(textures: dict, num_frames: int, rng: np.random.Generator):
    """Frames (T, S, S, 3) uint8 and per-frame lists of (class, [x, y, w, h], track)."""
    s = FRAME_SIZE
    background = random_crop(textures['backgrounds'][rng.integers(5)], s, rng)
    objects = []
    for track in range(rng.integers(1, 4)):
        label = int(rng.integers(len(CLASSES)))
        w, h = (int(v) for v in rng.integers(30, 56, size=2))
        if CLASSES[label] == 'patch':
            src = background[rng.integers(0, s - h):,
                             rng.integers(0, s - w):][:h, :w]
            sprite = np.clip(src * 1.1 + 8, 0, 255)
        else:
            src = textures[CLASSES[label]][0]
            sprite = cv2.resize(src, (w, h))
        pos = rng.uniform([0, 0], [s - w, s - h])
        speed = rng.uniform(1.5, 3.5) * np.array(
            [np.cos(a := rng.uniform(0, 2 * np.pi)),
             np.sin(a)])
        objects.append(
            dict(
                label=label,
                sprite=sprite,
                pos=pos,
                vel=speed,
                size=(w, h),
                track=track))
    frames, boxes = [], []
    for _ in range(num_frames):
        frame = background.copy()
        frame_boxes = []
        for obj in objects:
            w, h = obj['size']
            x, y = (int(round(v)) for v in obj['pos'])
            frame[y:y + h, x:x + w] = obj['sprite']
            frame_boxes.append((obj['label'], [x, y, w, h], obj['track']))
            obj['pos'] = obj['pos'] + obj['vel']
            for axis, limit in ((0, s - w), (1, s - h)):
                if not 0 <= obj['pos'][axis] <= limit:
                    obj['vel'][axis] *= -1
                    obj['pos'][axis] = np.clip(obj['pos'][axis], 0, limit)
        frame = frame + rng.normal(0, 4, frame.shape)
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
        boxes.append(frame_boxes)
    return frames, boxes


def generate_split(out_dir: str,
                   split: str,
                   videos: int,
                   frames: int,
                   seed: int,
                   textures: Optional[dict] = None) -> str:
    """Write ``out_dir/<split>/...jpg`` and ``out_dir/annotations/<split>.json``."""
    textures = textures or load_textures()
    rng = np.random.default_rng(seed)
    coco = dict(
        categories=[dict(id=i + 1, name=c) for i, c in enumerate(CLASSES)],
        videos=[],
        images=[],
        annotations=[])
    for v in range(videos):
        name = f'{split}/video_{v:03d}'
        os.makedirs(osp.join(out_dir, name), exist_ok=True)
        coco['videos'].append(dict(id=v + 1, name=name))
        video_frames, video_boxes = make_video(textures, frames, rng)
        for t, (img, frame_boxes) in enumerate(zip(video_frames, video_boxes)):
            file_name = f'{name}/{t:06d}.jpg'
            cv2.imwrite(
                osp.join(out_dir, file_name), img[..., ::-1],
                [cv2.IMWRITE_JPEG_QUALITY, 92])
            image_id = len(coco['images']) + 1
            coco['images'].append(
                dict(
                    id=image_id,
                    video_id=v + 1,
                    frame_id=t,
                    file_name=file_name,
                    width=FRAME_SIZE,
                    height=FRAME_SIZE))
            for label, bbox, track in frame_boxes:
                coco['annotations'].append(
                    dict(
                        id=len(coco['annotations']) + 1,
                        image_id=image_id,
                        video_id=v + 1,
                        category_id=label + 1,
                        instance_id=v * 10 + track + 1,
                        bbox=bbox,
                        area=bbox[2] * bbox[3],
                        iscrowd=0))
        print(f'{split}: video {v + 1}/{videos}', file=sys.stderr, flush=True)
    ann_file = osp.join(out_dir, 'annotations', f'{split}.json')
    os.makedirs(osp.dirname(ann_file), exist_ok=True)
    # written last and atomically: a killed run leaves no annotation file
    # that lists frames which were not written
    atomic_write_text(ann_file, json.dumps(coco))
    return ann_file


def generate(out_dir: str, splits: Sequence[str] = tuple(SPLITS)) -> List[str]:
    textures = load_textures()
    return [
        generate_split(out_dir, s, **SPLITS[s], textures=textures)
        for s in splits
    ]


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir', nargs='?', default='data/toyvid')
    args = parser.parse_args(argv)
    for path in generate(args.out_dir):
        print(path)


if __name__ == '__main__':
    main()
