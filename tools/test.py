"""Test a checkpoint of any config of this project with mmengine's Runner.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--dump FILE.pkl]
        [--show] [--show-dir DIR] [--wait-time SECONDS]
        [--cfg-options KEY=VALUE ...] [--launcher pytorch|slurm]

Several processes: ``bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [args]``
(torchrun) or ``srun ... --launcher slurm``; without CUDA they join by gloo
(:mod:`off_plugins.dist`).

The shape of mmdet's and mmaction2's ``tools/test.py``; ``--dump`` adds
mmengine's ``DumpResults`` metric, which pickles the raw predictions;
``--show`` / ``--show-dir`` / ``--wait-time`` enable the config's
``default_hooks.visualization`` as both toolboxes' test tools do. The
checkpoint must hold every weight of the model (``CheckpointCoverageHook``):
a checkpoint of another architecture is refused, naming the missing and
mismatched keys, instead of scoring a partly random network.
"""
import argparse

import off_plugins  # noqa: F401  (first: toolbox compatibility)
import off_plugins.hooks  # noqa: F401  (CheckpointCoverageHook)
from launch_tools.cli import (add_common_arguments, build_runner, load_config,
                              parse, process_group_closed_on_exit)
from mmengine.config import Config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the dir to save the evaluation metrics')
    parser.add_argument(
        '--dump', type=str, help='dump predictions to a pickle file (.pkl)')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted images will be saved; relative to '
        'the work dir unless absolute')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
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
    if args.show or args.show_dir is not None:
        trigger_visualization_hook(cfg, args)
    if args.dump is not None:
        dump_metric = dict(type='DumpResults', out_file_path=args.dump)
        evaluator = cfg.test_evaluator
        cfg.test_evaluator = (
            list(evaluator) + [dump_metric] if isinstance(
                evaluator, (list, tuple)) else [evaluator, dump_metric])
    return cfg


def trigger_visualization_hook(cfg: Config, args) -> None:
    """Enable the config's visualization hook, as mmdet's test tool does."""
    hooks = cfg.get('default_hooks', None) or {}
    if 'visualization' not in hooks:
        raise RuntimeError(
            f'--show/--show-dir need default_hooks.visualization in '
            f'{args.config}: it has none')
    vis = hooks['visualization']
    vis['enable'] = True
    vis['show'] = args.show
    vis['wait_time'] = args.wait_time
    if args.show_dir is not None:
        vis['out_dir'] = args.show_dir


def main(argv=None):
    args = parse_args(argv)
    with process_group_closed_on_exit():
        return build_runner(build_config(args), args.launcher).test()


if __name__ == '__main__':
    main()
