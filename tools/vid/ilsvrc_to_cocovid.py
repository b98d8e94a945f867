"""Convert ILSVRC2015 VID (and the 30-class DET subset) XML to CocoVID json.

Layout read (the ILSVRC2015 release)::

    ROOT/Annotations/VID/{train,val}/<snippet>/<frame>.xml
    ROOT/Annotations/DET/train/.../<image>.xml
    ROOT/Data/{VID,DET}/...  (same relative paths, .JPEG)

Each VID snippet becomes a video; each DET image containing one of the 30 VID
classes becomes a one-frame video. ``file_name`` is relative to ``ROOT/Data``.
Several ``--split`` go into one file (the training set of the R-FCN configs:
VID train and the 30-class DET images, whose frames MMDetection's
``TrackImgSampler`` then samples uniformly); an ``--image-list`` restricts the
``--split`` before it.
A box reaching outside its image is clipped to it, and an empty or inverted
box (after clipping) is dropped; each warns naming the file, and the totals
are printed. The json is written atomically.

It follows MMTracking's ImageNet VID/DET converters
(``tools/convert_datasets/ilsvrc/imagenet2coco_vid.py`` and
``imagenet2coco_det.py``, Apache-2.0): the same CocoVID layout (``videos``,
``images`` with ``frame_id``, ``annotations`` with ``instance_id``), the same
30 classes and the DET-30 image list of the FGFA/DFF recipes.

Usage::

    python tools/vid/ilsvrc_to_cocovid.py ROOT --split VID/train \
        --split DET/train --image-list ROOT/ImageSets/DET_train_30classes.txt \
        --out ROOT/annotations/imagenet_vid_det30_train.json
    python tools/vid/ilsvrc_to_cocovid.py ROOT --split VID/val \
        --out ROOT/annotations/imagenet_vid_val.json
"""
import argparse
import json
import os
import os.path as osp
import sys
import warnings
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from off_plugins.mmdet.vid_classes import (SYNSET_TO_CLASS, VID_CLASSES,
                                           VID_SYNSETS)
from off_plugins.utils import atomic_write_text

CATEGORY_IDS = {synset: i + 1 for i, synset in enumerate(VID_SYNSETS)}


class AnnotationError(ValueError):
    """A malformed annotation; the message names the file."""


def _number(node: ET.Element, tag: str, path: str) -> float:
    child = node.find(tag)
    if child is None or child.text is None:
        raise AnnotationError(f'{path}: <{node.tag}> has no <{tag}>')
    try:
        return float(child.text)
    except ValueError:
        raise AnnotationError(f'{path}: <{tag}> is not a number: '
                              f'{child.text!r}') from None


def parse_xml(path: str) -> dict:
    """Read one ILSVRC XML file.

    Returns:
        ``dict(width, height, objects=[dict(synset, bbox=[x, y, w, h],
        track_id, occluded, generated)], clipped, dropped)`` keeping the 30
        VID synsets only. Boxes are clipped to ``[0, width] x [0, height]``;
        a box empty or inverted after that is dropped. ``clipped`` and
        ``dropped`` count them; each warns naming ``path``.
    """
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise AnnotationError(f'{path}: malformed XML ({e})') from None
    size = root.find('size')
    if size is None:
        raise AnnotationError(f'{path}: no <size> element')
    info = dict(
        width=int(_number(size, 'width', path)),
        height=int(_number(size, 'height', path)),
        objects=[],
        clipped=0,
        dropped=0)
    for obj in root.iter('object'):
        name = obj.findtext('name')
        if name not in SYNSET_TO_CLASS:
            continue
        box = obj.find('bndbox')
        if box is None:
            raise AnnotationError(f'{path}: <object> without <bndbox>')
        raw = [
            _number(box, tag, path) for tag in ('xmin', 'ymin', 'xmax', 'ymax')
        ]
        w, h = info['width'], info['height']
        x1, y1, x2, y2 = (min(max(v, 0.0), float(limit))
                          for v, limit in zip(raw, (w, h, w, h)))
        if x2 <= x1 or y2 <= y1:
            info['dropped'] += 1
            warnings.warn(f'{path}: {name} box {raw} (xmin, ymin, xmax, '
                          f'ymax) is empty or inverted in the {w}x{h} image; '
                          'dropped')
            continue
        if [x1, y1, x2, y2] != raw:
            info['clipped'] += 1
            warnings.warn(f'{path}: {name} box {raw} reaches outside the '
                          f'{w}x{h} image; clipped to {[x1, y1, x2, y2]}')
        track = obj.findtext('trackid')
        info['objects'].append(
            dict(
                synset=name,
                bbox=[x1, y1, x2 - x1, y2 - y1],
                track_id=None if track is None else int(track),
                occluded=int(obj.findtext('occluded') or 0),
                generated=int(obj.findtext('generated') or 0)))
    return info


class CocoVidWriter:
    """Accumulates videos, frames and boxes in CocoVID form."""

    def __init__(self):
        self.videos: List[dict] = []
        self.images: List[dict] = []
        self.annotations: List[dict] = []
        self.instance_ids: Dict[tuple, int] = {}

    def add_video(self, name: str, frames: List[tuple]) -> None:
        """``frames``: ``(file_name, parsed_xml)`` in temporal order."""
        video_id = len(self.videos) + 1
        self.videos.append(dict(id=video_id, name=name))
        for frame_id, (file_name, info) in enumerate(frames):
            image_id = len(self.images) + 1
            self.images.append(
                dict(
                    id=image_id,
                    video_id=video_id,
                    frame_id=frame_id,
                    file_name=file_name,
                    width=info['width'],
                    height=info['height']))
            for k, obj in enumerate(info['objects']):
                track = obj['track_id'] if obj['track_id'] is not None else k
                instance = self.instance_ids.setdefault(
                    (video_id, track),
                    len(self.instance_ids) + 1)
                self.annotations.append(
                    dict(
                        id=len(self.annotations) + 1,
                        image_id=image_id,
                        video_id=video_id,
                        category_id=CATEGORY_IDS[obj['synset']],
                        instance_id=instance,
                        bbox=obj['bbox'],
                        area=obj['bbox'][2] * obj['bbox'][3],
                        iscrowd=0,
                        occluded=obj['occluded'],
                        generated=obj['generated']))

    def to_json(self) -> dict:
        return dict(
            categories=[
                dict(id=CATEGORY_IDS[s], name=c, synset=s)
                for s, c in zip(VID_SYNSETS, VID_CLASSES)
            ],
            videos=self.videos,
            images=self.images,
            annotations=self.annotations)


def progress(items: List, every: int, label: str) -> Iterable:
    """Yield ``items``, printing ``label [i/N]`` every ``every`` items."""
    total = len(items)
    for i, item in enumerate(items, 1):
        yield item
        if i % every == 0 or i == total:
            print(f'{label} [{i}/{total}]', file=sys.stderr, flush=True)


def find_xml(ann_dir: str) -> List[str]:
    """All ``.xml`` files under ``ann_dir``, relative to it, sorted."""
    found = []
    for dirpath, _, files in os.walk(ann_dir):
        found += [
            osp.relpath(osp.join(dirpath, f), ann_dir) for f in files
            if f.endswith('.xml')
        ]
    return sorted(found)


def read_image_list(list_file: str, split: str) -> List[str]:
    """Annotation files named by an ImageSets list, relative to ``split``.

    Lines are ``path [index ...]`` with ``path`` relative to
    ``Annotations/<VID|DET>`` (as in FGFA's ``DET_train_30classes.txt``:
    ``train/ILSVRC2014_train_0000/ILSVRC2014_train_00000663 1``).
    """
    prefix = split.split('/', 1)[1].rstrip('/') + '/'
    names = []
    with open(list_file) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            path = line.split()[0]
            if not path.startswith(prefix):
                raise ValueError(
                    f'{list_file}:{number}: {path!r} is not under '
                    f'{prefix!r} (the split {split!r})')
            names.append(path[len(prefix):] + '.xml')
    return names


def convert(root: str,
            split: str,
            image_list: Optional[str] = None,
            check_images: bool = False,
            writer: Optional[CocoVidWriter] = None) -> dict:
    """Convert ``ROOT/Annotations/<split>`` to CocoVID.

    ``split`` starting with ``VID`` groups frames by snippet folder; ``DET``
    makes one-frame videos and skips images without a VID class. With
    ``writer``, the videos are added to it (ids continue) and the json
    returned holds everything it has.
    """
    kind = split.split('/')[0]
    if kind not in ('VID', 'DET') or '/' not in split:
        raise ValueError(
            f'split must be VID/<set> or DET/<set>, got {split!r}')
    ann_dir = osp.join(root, 'Annotations', split)
    if not osp.isdir(ann_dir):
        raise FileNotFoundError(f'annotation folder {ann_dir} does not exist')
    if image_list is None:
        names = find_xml(ann_dir)
    else:
        names = read_image_list(image_list, split)
    if not names:
        raise ValueError(f'no annotation files found for {ann_dir}')
    groups = defaultdict(list)
    clipped = dropped = 0
    for name in progress(names, 2000, f'reading {split}'):
        xml_path = osp.join(ann_dir, name)
        info = parse_xml(xml_path)
        clipped += info['clipped']
        dropped += info['dropped']
        if kind == 'DET' and not info['objects']:
            continue
        file_name = osp.join(split, name[:-len('.xml')] + '.JPEG')
        if check_images and not osp.isfile(osp.join(root, 'Data', file_name)):
            raise FileNotFoundError(
                f'{xml_path}: frame '
                f'{osp.join(root, "Data", file_name)} is missing')
        video = osp.dirname(name) if kind == 'VID' else name[:-len('.xml')]
        groups[video].append((file_name, info))
    writer = writer if writer is not None else CocoVidWriter()
    for video in sorted(groups):
        writer.add_video(video, groups[video])
    if clipped or dropped:
        print(
            f'{split}: {clipped} box(es) clipped to their image, {dropped} '
            'empty or inverted box(es) dropped (each named above)',
            file=sys.stderr)
    return writer.to_json()


def convert_splits(root: str,
                   splits: Sequence[Tuple[str, Optional[str]]],
                   check_images: bool = False) -> dict:
    """Several ``(split, image_list or None)`` converted into one CocoVID json."""
    writer = CocoVidWriter()
    coco = {}
    for split, image_list in splits:
        coco = convert(root, split, image_list, check_images, writer=writer)
    return coco


class SplitAction(argparse.Action):
    """``--split``: appends ``(split, None)`` to ``splits``."""

    def __call__(self, parser, namespace, value, option_string=None):
        namespace.splits = list(namespace.splits or []) + [(value, None)]


class ImageListAction(argparse.Action):
    """``--image-list``: restricts the ``--split`` given before it."""

    def __call__(self, parser, namespace, value, option_string=None):
        if not namespace.splits:
            parser.error('--image-list must follow the --split it restricts')
        split, listed = namespace.splits[-1]
        if listed is not None:
            parser.error(f'--split {split} has two --image-list')
        namespace.splits = namespace.splits[:-1] + [(split, value)]


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'root', help='ILSVRC2015 root (with Annotations/, Data/)')
    parser.add_argument(
        '--split',
        dest='splits',
        action=SplitAction,
        required=True,
        help='VID/train, VID/val or DET/train; '
        'several go into one file')
    parser.add_argument('--out', required=True, help='output json')
    parser.add_argument(
        '--image-list',
        action=ImageListAction,
        help='ImageSets file restricting the images of the '
        '--split before it (e.g. the 30-class DET list)')
    parser.add_argument(
        '--check-images',
        action='store_true',
        help='fail, naming the file, if a frame is missing')
    args = parser.parse_args(argv)
    coco = convert_splits(args.root, args.splits, args.check_images)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    atomic_write_text(args.out, json.dumps(coco))
    print(
        f'{args.out}: {len(coco["videos"])} videos, {len(coco["images"])} '
        f'frames, {len(coco["annotations"])} boxes',
        file=sys.stderr)


if __name__ == '__main__':
    main()
