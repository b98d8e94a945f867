"""Command-line pieces shared by ``tools/train.py`` and ``tools/test.py``."""
import argparse
import os
import os.path as osp
from contextlib import contextmanager

import torch.distributed as dist
from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from off_plugins.dist import LAUNCHERS, setup_launcher


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """``--cfg-options``, ``--launcher`` and ``--local-rank``."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, xxx=yyy, e.g. '
        'train_cfg.max_epochs=1 or "model.channels=32"')
    parser.add_argument(
        '--launcher', choices=LAUNCHERS, default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """Parse, and export ``LOCAL_RANK`` unless a launcher already did."""
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def load_config(args: argparse.Namespace) -> Config:
    """The config with ``--cfg-options`` and the work dir applied.

    The work dir defaults to ``./work_dirs/<config name>``, as in the
    toolboxes' own tools.
    """
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def build_runner(cfg: Config, launcher: str) -> Runner:
    """Set up the launcher (gloo without CUDA), then build the runner."""
    cfg = setup_launcher(cfg, launcher)
    return (Runner.from_cfg(cfg)
            if 'runner_type' not in cfg else RUNNERS.build(cfg))


@contextmanager
def process_group_closed_on_exit():
    """Destroy the process group when the job ends.

    A gloo group left for interpreter shutdown can abort the process
    ("terminate called without an active exception") after the work is done,
    which a launcher reports as a failed job.
    """
    try:
        yield
    finally:
        if dist.is_available() and dist.is_initialized():
            dist.barrier()  # no rank tears down while another still talks
            dist.destroy_process_group()
