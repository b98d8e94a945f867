"""Make the JPEG2000-compressed copies of Vimeo-90K septuplets (Section 7.3).

    python tools/restoration/compress_vimeo.py data/vimeo90k --q 20 40 --workers 8

writes ``data/vimeo90k/sequences_jpeg2000_q{20,40}/xxxxx/yyyy/im1..7.png``
with FFmpeg's ``jpeg2000`` encoder (``-q:v q``), or with the calibrated
Pillow/OpenJPEG fallback when ``--backend pillow`` (or ``auto`` without
ffmpeg). Rerunning skips finished clips; no half-written frame is left.
``--calibrate N`` instead prints the Pillow dB target that matches FFmpeg's
mean PSNR on the centre frames of the first N listed clips.

``--q`` takes FFmpeg ``-q:v`` values from 1 to 100 (FFmpeg itself silently
treats 0 and negative values as no quantisation). A missing folder, list or
frame ends in one line naming it, not a traceback.
"""
import argparse
import os.path as osp
import sys

import off_plugins  # noqa: F401  (first: toolbox compatibility)
import numpy as np
from PIL import Image
from vimeo_compression import (calibrate_pillow, compress_dataset,
                               read_clip_list)

Q_RANGE = (1, 100)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'data_root', help='folder with sequences/ and the lists')
    parser.add_argument(
        '--q',
        type=int,
        nargs='+',
        default=[20, 40],
        help='FFmpeg -q:v values (the paper: 20 and 40)')
    parser.add_argument(
        '--lists',
        nargs='+',
        default=['sep_trainlist.txt', 'sep_testlist.txt'])
    parser.add_argument(
        '--backend', default='auto', choices=['auto', 'ffmpeg', 'pillow'])
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--gt-prefix', default='sequences')
    parser.add_argument(
        '--out-prefix',
        default='sequences_jpeg2000_q{q}',
        help='output folder, {q} is replaced by q')
    parser.add_argument(
        '--calibrate',
        type=int,
        metavar='N',
        default=0,
        help='print Pillow dB targets matching FFmpeg on N clips')
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f'--workers must be >= 1, got {args.workers}')
    low, high = Q_RANGE
    bad = [q for q in args.q if not low <= q <= high]
    if bad:
        parser.error(f'--q takes FFmpeg -q:v values in [{low}, {high}] (the '
                     f'paper: 20 and 40), got {bad}')
    if not osp.isdir(args.data_root):
        parser.error(f'data_root {args.data_root} is not a folder')
    for name in args.lists:
        if not osp.isfile(osp.join(args.data_root, name)):
            parser.error(f'clip list {osp.join(args.data_root, name)} does '
                         'not exist (see --lists)')
    return args


def calibrate(args) -> None:
    clips = read_clip_list(osp.join(args.data_root, args.lists[0]))
    images = [
        np.asarray(
            Image.open(osp.join(args.data_root, args.gt_prefix, c,
                                'im4.png')).convert('RGB'))
        for c in clips[:args.calibrate]
    ]
    for q in args.q:
        res = calibrate_pillow(images, q)
        print(
            f'q={q}: FFmpeg mean PSNR {res["ffmpeg_psnr"]:.2f} dB; Pillow '
            f'target {res["target_db"]} dB gives {res["pillow_psnr"]:.2f} dB '
            f'({len(images)} frames)')


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        if args.calibrate:
            calibrate(args)
            return 0
        compress_dataset(args.data_root, args.q, args.lists, args.backend,
                         args.workers, args.gt_prefix, args.out_prefix)
    except (RuntimeError, ValueError, OSError) as err:
        print(f'compress_vimeo.py: error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
