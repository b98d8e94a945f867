"""Draw the paper's Fig. 1 for a video and an OFF checkpoint.

    python tools/visualize_off.py CONFIG CHECKPOINT VIDEO --out fig.png
        [--scale 0] [--pair 0] [--channel C] [--cfg-options k=v ...]

Shows two adjacent segments' input frames, one channel of the OFF layer's
reduced features for both, their OFF temporal difference (red positive, cyan
negative) and the spatial gradients of the first segment. The frames come
from the config's test pipeline; ``--channel`` defaults to the channel whose
temporal difference has the most energy.
"""
import argparse
import os.path as osp

import off_plugins  # noqa: F401  (first: toolbox compatibility)
from analysis_tools.models import build_recognizer, load_config
from analysis_tools.visualize import draw_figure, load_frames, off_maps
from mmengine.config import DictAction
from mmengine.runner import load_checkpoint


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='an OFF config (with OFFNeck)')
    parser.add_argument('checkpoint')
    parser.add_argument('video')
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument(
        '--scale', type=int, default=0, help='OFF scale, 0 = finest')
    parser.add_argument(
        '--pair', type=int, default=0, help='segment pair (t, t+1), 0-based')
    parser.add_argument(
        '--channel',
        type=int,
        help='feature channel (default: most OFF energy)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    if osp.splitext(args.config)[1] not in ('.py', '.json', '.yaml', '.yml'):
        parser.error('CONFIG must be a .py, .json or .yaml config (the order '
                     f'is CONFIG CHECKPOINT VIDEO), got {args.config}')
    for path in (args.video, args.checkpoint):
        if not osp.isfile(path):
            parser.error(f'file not found: {path}')
    if not args.out.lower().endswith('.png'):
        parser.error(f'--out must end with .png, got {args.out}')
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    model = build_recognizer(cfg)
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
    sample = load_frames(args.video, cfg)
    maps = off_maps(model, sample, args.scale, args.pair, args.channel)
    draw_figure(
        maps,
        args.out,
        title=f'{osp.basename(args.video)}, OFF scale {args.scale}, '
        f'segments {args.pair} and {args.pair + 1}')
    print(f'wrote {args.out}')
    return maps


if __name__ == '__main__':
    main()
