"""Extract TV-L1 optical flow of an MMAction2 video list into rawframes.

Writes ``OUT_ROOT/<video path without extension>/{x,y}_{i:05d}.jpg`` for
i = 1 .. N-1 (flow from frame i-1 to frame i), ``OUT_ROOT/flow_timing.json``
and, with ``--out-list``, the ``RawframeDataset`` list (``dir N-1 label``).
Rerunning resumes: finished videos are skipped, interrupted ones redone. See
:mod:`data_tools.flow`. From the repository root::

    python tools/extract_flow.py data/offmotion/offmotion_val_list_videos.txt \\
        data/offmotion/videos data/offmotion/flow \\
        --out-list data/offmotion/offmotion_val_list_flow.txt --workers 2
"""
import argparse
import math
import sys


def positive_int(text: str) -> int:
    """argparse type: an int >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'expected an int >= 1, got {value}')
    return value


def positive_float(text: str) -> float:
    """argparse type: a float > 0."""
    value = float(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(
            f'expected a finite number > 0, got {text}')
    return value


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract optical flow of a video list into MMAction2 '
        'rawframes (resumable, atomic per video).')
    parser.add_argument(
        'list', help='video list, "relative/path.mp4 label" '
        'per line')
    parser.add_argument('video_root', help='directory the list is relative to')
    parser.add_argument('out_root', help='root of the flow frame directories')
    parser.add_argument(
        '--out-list',
        help='rawframes list to write '
        '("relative/dir flow_frames label" per line)')
    parser.add_argument(
        '--workers',
        type=positive_int,
        default=1,
        help='processes (default 1)')
    parser.add_argument(
        '--bound',
        type=positive_float,
        default=20.,
        help='flow magnitude in pixels mapped to 0 and 255 '
        '(default 20)')
    parser.add_argument(
        '--method',
        choices=('tvl1', 'farneback'),
        default='tvl1',
        help='flow estimator (default tvl1)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from data_tools.flow import extract_flow_list
    try:
        extract_flow_list(
            args.list,
            args.video_root,
            args.out_root,
            out_list=args.out_list,
            workers=args.workers,
            bound=args.bound,
            method=args.method)
    except (OSError, ValueError, RuntimeError) as err:
        print(f'extract_flow: error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
