"""Multi-process training and testing, on GPUs and on CPU-only machines.

mmengine 0.10.7's ``launcher='pytorch'`` / ``'slurm'`` calls
``torch.cuda.set_device`` and its default DDP wrapper passes
``device_ids=[LOCAL_RANK]``; both fail without a GPU. :func:`setup_launcher`
prepares a config for the Runner instead: on a machine without CUDA it starts
the gloo process group itself (the Runner then skips its own ``init_dist``).
With CUDA, mmengine's own NCCL initialisation runs as usual. Both select
:class:`FreezeFirstDistributedDataParallel`, which applies the model's
train-mode freezing before DDP looks at it and drops device ids for CPU
modules.
"""
import os
import subprocess
from typing import Dict, Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS

LAUNCHERS = ('none', 'pytorch', 'slurm')
CPU_BACKEND = 'gloo'
WRAPPER = 'FreezeFirstDistributedDataParallel'


@MODEL_WRAPPERS.register_module()
class FreezeFirstDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that wraps a model as it will train.

    The module is put in train mode before DDP records which parameters need
    gradients: backbones such as mmaction's ``ResNet`` apply ``frozen_stages``
    only in ``train()``, and the Runner wraps before that. A parameter frozen
    after wrapping never gets a gradient, so its DDP bucket never reduces:
    the processes silently train on their own gradients in the first
    iteration and fail in the second (stage 2 of OFF freezes the backbone).

    For a CPU module the ``device_ids`` the Runner adds are dropped (DDP
    rejects them there); on GPUs they are kept. ``broadcast_buffers``
    defaults to False, as in the Runner's own wrapper.
    """

    def __init__(self,
                 module: torch.nn.Module,
                 device_ids=None,
                 broadcast_buffers: bool = False,
                 **kwargs):
        module.train()
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        super().__init__(
            module=module,
            device_ids=None if on_cpu else device_ids,
            broadcast_buffers=broadcast_buffers,
            **kwargs)


def slurm_environment(env: Optional[Dict[str, str]] = None,
                      port: int = 29500) -> Dict[str, str]:
    """torch.distributed's env:// variables derived from SLURM's.

    Args:
        env: the environment to read (``os.environ`` by default).
        port: ``MASTER_PORT`` unless the environment sets one.

    Returns:
        RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT.
    """
    env = os.environ if env is None else env
    missing = [
        k for k in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_LOCALID',
                    'SLURM_NODELIST') if k not in env
    ]
    if missing:
        raise RuntimeError(
            f'launcher slurm needs {missing} in the environment '
            '(run it under srun)')
    addr = env.get('MASTER_ADDR') or subprocess.check_output(
        ['scontrol', 'show', 'hostname', env['SLURM_NODELIST']],
        text=True).split()[0]
    return dict(
        RANK=env['SLURM_PROCID'],
        LOCAL_RANK=env['SLURM_LOCALID'],
        WORLD_SIZE=env['SLURM_NTASKS'],
        MASTER_ADDR=addr,
        MASTER_PORT=env.get('MASTER_PORT', str(port)))


def init_cpu_process_group(launcher: str) -> None:
    """Start the gloo process group from torchrun's or SLURM's environment."""
    if launcher == 'slurm':
        os.environ.update(slurm_environment())
    missing = [
        k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
        if k not in os.environ
    ]
    if missing:
        raise RuntimeError(f'launcher {launcher} needs {missing} in the '
                           'environment (start it with torchrun, e.g. '
                           'bash tools/dist_train.sh CONFIG 2)')
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(
            backend=CPU_BACKEND, init_method='env://')


def setup_launcher(cfg: Config, launcher: str) -> Config:
    """Prepare ``cfg`` for the Runner under ``launcher``.

    For a distributed launcher the config gets the
    :class:`FreezeFirstDistributedDataParallel` wrapper (its other wrapper
    options kept). Without CUDA the gloo process group is started now and
    ``env_cfg.dist_cfg.backend`` becomes ``'gloo'``; with CUDA the Runner
    initialises NCCL itself, as usual.

    Returns:
        ``cfg``, modified in place.
    """
    if launcher not in LAUNCHERS:
        raise ValueError(
            f'launcher must be one of {LAUNCHERS}, got {launcher!r}')
    cfg.launcher = launcher
    if launcher == 'none':
        return cfg
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper_type = wrapper.get('type', 'MMDistributedDataParallel')
    if wrapper_type not in ('MMDistributedDataParallel', WRAPPER):
        raise ValueError(f'model_wrapper_cfg type {wrapper_type} is not '
                         f'supported here; use {WRAPPER} or leave it unset')
    wrapper['type'] = WRAPPER
    wrapper.setdefault('find_unused_parameters',
                       cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg = wrapper
    if not torch.cuda.is_available():
        init_cpu_process_group(launcher)
        env_cfg = dict(cfg.get('env_cfg') or {})
        env_cfg['dist_cfg'] = dict(
            env_cfg.get('dist_cfg') or {}, backend=CPU_BACKEND)
        cfg.env_cfg = env_cfg
    return cfg
