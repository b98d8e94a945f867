"""Build MMAction2 recognizers from configs for measurement.

``mmaction::path`` names a config shipped inside the mmaction2 wheel, as in
``_base_`` (``mmengine.hub.get_config``); other paths are files.
"""
import importlib.util
import os.path as osp
from typing import Optional

import off_plugins  # noqa: F401  (first: toolbox compatibility)
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.hub import get_config


def load_config(path: str, options: Optional[dict] = None) -> Config:
    """The config at ``path`` with ``options`` (``key.sub=value``) merged.

    ``package::relative`` names are looked up by ``mmengine.hub.get_config``
    in the installed package's configs; it is never installed here.
    """
    if '::' in path:
        package = path.split('::', 1)[0]
        if importlib.util.find_spec(package) is None:
            raise FileNotFoundError(f'{package} is not installed ({path})')
        cfg = get_config(path)
    elif osp.isfile(path):
        cfg = Config.fromfile(path)
    else:
        raise FileNotFoundError(f'config not found: {path}')
    if options:
        cfg.merge_from_dict(options)
    return cfg


def build_recognizer(cfg: Config, device: str = 'cpu') -> nn.Module:
    """The config's model in eval mode, randomly initialised, on ``device``.

    Weights do not change speed, FLOPs or memory; no checkpoint or
    pretrained backbone is loaded.
    """
    from mmengine.registry import init_default_scope
    from mmaction.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(cfg.model)
    return model.to(device).eval()


def input_channels(model: nn.Module) -> int:
    """Channels of one input segment: those of the backbone's first convolution.

    3 for RGB, 10 for 5 stacked flow frames, 12 for RGB-diff; 3 when the model
    has no backbone convolution. (A backbone's ``in_channels`` attribute is
    not always its input: MobileNetV2 reuses it while building its layers.)
    """
    backbone = getattr(model, 'backbone', None)
    convs = [] if backbone is None else [
        m for m in backbone.modules() if isinstance(m, nn.Conv2d)
    ]
    return convs[0].in_channels if convs else 3


def clip_batch(shape,
               device: str = 'cpu',
               seed: int = 0,
               channels: int = 3) -> torch.Tensor:
    """Random normalised inputs ``(N, S, channels, H, W)``, ``shape = (N, S, H, W)``."""
    n, s, h, w = shape
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, s, channels, h, w, generator=generator).to(device)


def recognizer_scores(model: nn.Module, inputs: torch.Tensor):
    """Class scores of a recognizer: backbone, neck and head, no post-processing.

    Args:
        inputs: (N, S, C, H, W) normalised inputs, S = views x segments,
            C = :func:`input_channels`.
    """
    return model(inputs, mode='tensor', stage='head')


def _peak_memory_worker(config: str, options: Optional[dict], shape, device,
                        queue) -> None:
    from analysis_tools.benchmark import (cpu_forward_peak_bytes,
                                          cuda_forward_peak_bytes)
    model = build_recognizer(load_config(config, options), device)
    inputs = clip_batch(shape, device, channels=input_channels(model))
    with torch.no_grad():  # the first forward: nothing cached yet
        if torch.device(device).type == 'cuda':
            peak = cuda_forward_peak_bytes(
                lambda: recognizer_scores(model, inputs), torch.device(device))
        else:
            peak = cpu_forward_peak_bytes(
                lambda: recognizer_scores(model, inputs))
    queue.put(peak)


def recognizer_peak_memory(config: str,
                           options: Optional[dict],
                           shape,
                           device: str = 'cpu') -> Optional[int]:
    """Peak memory (bytes) the first inference forward adds, in a fresh process.

    A fresh process per model and the first forward keep cached allocations
    (of another model, or of an earlier forward) from hiding the peak. CPU:
    resident set size (Linux); CUDA: allocated tensor memory. None where it cannot be measured.
    """
    import multiprocessing as mp
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    proc = ctx.Process(
        target=_peak_memory_worker,
        args=(config, options, tuple(shape), device, queue))
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        raise RuntimeError(f'memory measurement of {config} failed '
                           f'(exit code {proc.exitcode})')
    return queue.get()
