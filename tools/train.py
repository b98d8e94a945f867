"""Train any config of this project with mmengine's Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--cfg-options KEY=VALUE ...] [--launcher pytorch|slurm]

Several processes: ``bash tools/dist_train.sh CONFIG GPUS [args]`` (torchrun) or
``tools/slurm_train.sh``; without CUDA they join by gloo
(:mod:`off_plugins.dist`).

The shape of mmdet's and mmaction2's ``tools/train.py``. ``off_plugins`` is
imported first (toolbox compatibility fixes); the config's ``custom_imports``
register the OFF modules.
"""
import argparse

import off_plugins  # noqa: F401  (first: toolbox compatibility)
from launch_tools.cli import (add_common_arguments, build_runner, load_config,
                              parse, process_group_closed_on_exit)
from mmengine.config import Config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or from the latest one in the '
        'work dir when no path is given')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate with the total batch size')
    add_common_arguments(parser)
    return parse(parser, argv)


def build_config(args) -> Config:
    """The config with the command line applied."""
    cfg = load_config(args)
    if args.amp:
        if cfg.optim_wrapper.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            print('AMP training is already enabled in the config.')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise RuntimeError('--auto-scale-lr needs auto_scale_lr.'
                               'base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def main(argv=None):
    args = parse_args(argv)
    with process_group_closed_on_exit():
        build_runner(build_config(args), args.launcher).train()


if __name__ == '__main__':
    main()
