"""Test a checkpoint of any config of this project with mmengine's Runner.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--dump FILE.pkl]
        [--cfg-options KEY=VALUE ...] [--launcher pytorch|slurm]

Several processes: ``bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [args]``
(torchrun) or ``srun ... --launcher slurm``; without CUDA they join by gloo
(:mod:`off_plugins.dist`).

The shape of mmdet's and mmaction2's ``tools/test.py``; ``--dump`` adds
mmengine's ``DumpResults`` metric, which pickles the raw predictions. The
checkpoint must hold every weight of the model (``CheckpointCoverageHook``):
a checkpoint of another architecture is refused, naming the missing and
mismatched keys, instead of scoring a partly random network.
"""
import argparse

import off_plugins  # noqa: F401  (first: toolbox compatibility)
import off_plugins.hooks  # noqa: F401  (CheckpointCoverageHook)
from mmengine.config import Config

from launch_tools.cli import (add_common_arguments, build_runner, load_config,
                              parse, process_group_closed_on_exit)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the dir to save the evaluation metrics')
    parser.add_argument(
        '--dump', type=str, help='dump predictions to a pickle file (.pkl)')
    add_common_arguments(parser)
    args = parse(parser, argv)
    if args.dump is not None and not args.dump.endswith(('.pkl', '.pickle')):
        parser.error(f'--dump must end with .pkl or .pickle, got {args.dump}')
    return args


def build_config(args) -> Config:
    """The config with the command line applied."""
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    hooks = list(cfg.get('custom_hooks', None) or [])
    if not any(h.get('type') == 'CheckpointCoverageHook' for h in hooks):
        cfg.custom_hooks = hooks + [dict(type='CheckpointCoverageHook')]
    if args.dump is not None:
        dump_metric = dict(type='DumpResults', out_file_path=args.dump)
        evaluator = cfg.test_evaluator
        cfg.test_evaluator = (list(evaluator) + [dump_metric] if isinstance(
            evaluator, (list, tuple)) else [evaluator, dump_metric])
    return cfg


def main(argv=None):
    args = parse_args(argv)
    with process_group_closed_on_exit():
        return build_runner(build_config(args), args.launcher).test()


if __name__ == '__main__':
    main()
