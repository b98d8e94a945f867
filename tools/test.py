"""Test a checkpoint of any config of this project with mmengine's Runner.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--dump FILE.pkl]
        [--cfg-options KEY=VALUE ...] [--launcher pytorch|slurm]

Several processes: ``bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [args]``
(torchrun) or ``srun ... --launcher slurm``; without CUDA they join by gloo
(:mod:`off_plugins.dist`).

The shape of mmdet's and mmaction2's ``tools/test.py``; ``--dump`` adds
mmengine's ``DumpResults`` metric, which pickles the raw predictions.
"""
import argparse
import os
import os.path as osp

import off_plugins  # noqa: F401  (first: toolbox compatibility)
from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from off_plugins.dist import LAUNCHERS, setup_launcher


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the dir to save the evaluation metrics')
    parser.add_argument(
        '--dump', type=str, help='dump predictions to a pickle file (.pkl)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, xxx=yyy')
    parser.add_argument(
        '--launcher',
        choices=LAUNCHERS,
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if args.dump is not None and not args.dump.endswith(('.pkl', '.pickle')):
        parser.error(f'--dump must end with .pkl or .pickle, got {args.dump}')
    return args


def build_config(args) -> Config:
    """The config with the command line applied."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.dump is not None:
        dump_metric = dict(type='DumpResults', out_file_path=args.dump)
        evaluator = cfg.test_evaluator
        cfg.test_evaluator = (list(evaluator) + [dump_metric] if isinstance(
            evaluator, (list, tuple)) else [evaluator, dump_metric])
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = setup_launcher(build_config(args), args.launcher)
    runner = (Runner.from_cfg(cfg) if 'runner_type' not in cfg else
              RUNNERS.build(cfg))
    return runner.test()


if __name__ == '__main__':
    main()
