"""Measure an OFF model against its toolbox baseline in one run.

Everything here takes built models and a forward function, so the same code
serves any toolbox; :mod:`analysis_tools.models` builds MMAction2
recognizers from configs. Timings are interleaved (model A, model B, A, B, ...)
so that load changes on a shared machine hit both alike, and every ratio is
taken per repeat before its median is reported.
"""
import os
import statistics
import time
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from off_plugins.core import OFFLayer

Forward = Callable[[], object]


def summarize(values: Sequence[float]) -> Dict[str, float]:
    """Median and spread (min, max, relative half-range) of ``values``."""
    if not values:
        raise ValueError('summarize needs at least one value')
    median = statistics.median(values)
    low, high = min(values), max(values)
    return dict(
        median=median,
        min=low,
        max=high,
        spread=(high - low) / (2 * median) if median else 0.0,
        n=len(values))


def synchronizer(device: torch.device) -> Callable[[], None]:
    """A function that waits for ``device``'s queued work (no-op on CPU)."""
    if device.type == 'cuda':
        return lambda: torch.cuda.synchronize(device)
    return lambda: None


def interleaved_times(
        forwards: Mapping[str, Forward],
        warmup: int,
        repeats: int,
        sync: Callable[[], None] = lambda: None) -> Dict[str, List[float]]:
    """Seconds per call of each forward, calls interleaved across models.

    Args:
        forwards: name -> a no-argument callable running one forward.
        warmup: untimed rounds first (allocator, kernels, caches).
        repeats: timed rounds; each round calls every forward once.
        sync: waits for the device before reading the clock.

    Returns:
        name -> ``repeats`` durations in seconds, round ``i`` at index ``i``.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f'need repeats >= 1 and warmup >= 0, got '
                         f'repeats={repeats}, warmup={warmup}')
    times: Dict[str, List[float]] = {name: [] for name in forwards}
    for round_index in range(warmup + repeats):
        for name, forward in forwards.items():
            sync()
            start = time.perf_counter()
            forward()
            sync()
            if round_index >= warmup:
                times[name].append(time.perf_counter() - start)
    return times


def paired_ratios(numerator: Sequence[float],
                  denominator: Sequence[float]) -> List[float]:
    """Per-round ratios of two interleaved timing series."""
    if len(numerator) != len(denominator):
        raise ValueError(f'series differ in length: {len(numerator)} vs '
                         f'{len(denominator)}')
    return [a / b for a, b in zip(numerator, denominator)]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


class _Call(nn.Module):
    """Exposes ``forward`` to counters that call ``module(*inputs)``."""

    def __init__(self, model: nn.Module, forward: Callable[[torch.Tensor],
                                                           object]):
        super().__init__()
        self.model = model
        self._forward = forward

    def forward(self, x: torch.Tensor):
        return self._forward(x)


def count_flops(
    model: nn.Module,
    forward: Callable[[torch.Tensor], object],
    inputs: torch.Tensor,
    submodules: Sequence[str] = ()) -> Dict[str, object]:
    """FLOPs of ``forward(inputs)`` with mmengine's counter.

    mmengine counts one fused multiply-add as one FLOP (as MMAction2's
    ``get_flops`` reports); grouped convolutions are counted by their real
    ``(C_out, C_in / groups, k, k)`` weight. Element-wise operators have no
    handle there; subtraction (OFF's temporal difference) is counted here as
    one FLOP per output element, the others (ReLU, additions, pooling) are
    not counted and are returned by name with how often they ran.

    Args:
        submodules: also report the FLOPs of these submodules of ``model``
            (e.g. ``'neck'``, ``'neck.pyramid.units'``).

    Returns:
        dict(total, parts: submodule -> FLOPs, uncounted: operator -> calls).
    """
    from mmengine.analysis import FlopAnalyzer
    from mmengine.analysis.jit_handles import elementwise_flop_counter
    analyzer = FlopAnalyzer(_Call(model, forward), (inputs, ))
    analyzer.set_op_handle('aten::sub', elementwise_flop_counter(0, 1))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    by_module = analyzer.by_module()
    parts = {name: int(by_module['model.' + name]) for name in submodules}
    return dict(
        total=int(analyzer.total()),
        parts=parts,
        uncounted=dict(analyzer.unsupported_ops()))


class ModuleTimer:
    """Wall time spent inside modules of given types, via forward hooks.

    Hooks nest correctly only for modules that do not contain one another;
    use a type whose instances are disjoint (e.g. :class:`OFFLayer`).

    Args:
        model: the model to instrument.
        types: module classes to time.
        sync: waits for the device before reading the clock.
    """

    def __init__(self,
                 model: nn.Module,
                 types: Tuple[type, ...] = (OFFLayer, ),
                 sync: Callable[[], None] = lambda: None):
        self.modules = [m for m in model.modules() if isinstance(m, types)]
        if not self.modules:
            raise ValueError(f'model has no module of type {types}')
        self.sync = sync
        self.total = 0.0
        self._start: Dict[int, float] = {}
        self._handles = []
        for module in self.modules:
            self._handles.append(module.register_forward_pre_hook(self._enter))
            self._handles.append(module.register_forward_hook(self._exit))

    def _enter(self, module, args):
        self.sync()
        self._start[id(module)] = time.perf_counter()

    def _exit(self, module, args, output):
        self.sync()
        self.total += time.perf_counter() - self._start.pop(id(module))

    def reset(self) -> None:
        self.total = 0.0

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()


def module_time_share(model: nn.Module,
                      forward: Forward,
                      repeats: int,
                      types: Tuple[type, ...] = (OFFLayer, ),
                      sync: Callable[[], None] = lambda: None) -> List[float]:
    """Per-call fraction of ``forward``'s time spent in modules of ``types``."""
    timer = ModuleTimer(model, types, sync)
    shares = []
    try:
        for _ in range(repeats):
            timer.reset()
            sync()
            start = time.perf_counter()
            forward()
            sync()
            shares.append(timer.total / (time.perf_counter() - start))
    finally:
        timer.remove()
    return shares


def _proc_status_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{field} missing from /proc/self/status')


def cpu_forward_peak_bytes(forward: Forward) -> Optional[int]:
    """Peak resident memory ``forward`` adds on top of what is resident.

    Resets the kernel's high-water mark (``/proc/self/clear_refs``), runs
    ``forward`` once and reads it again. Linux only; None elsewhere. Run it in
    a fresh process per model: memory that an earlier model freed but the
    allocator kept would hide this one's peak.
    """
    if not os.path.exists('/proc/self/clear_refs'):
        return None
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # reset VmHWM to the current VmRSS
    before = _proc_status_kib('VmRSS')
    forward()
    return (_proc_status_kib('VmHWM') - before) * 1024


def cuda_forward_peak_bytes(forward: Forward, device: torch.device) -> int:
    """Peak CUDA memory allocated during ``forward`` above what was allocated."""
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    forward()
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) - before


def tvl1_pair_seconds(height: int,
                      width: int,
                      repeats: int,
                      seed: int = 0) -> Optional[List[float]]:
    """Seconds of OpenCV's TV-L1 on one frame pair of the given size.

    The pair is a smooth random texture and its copy shifted by 2 pixels.
    None when opencv-contrib's ``cv2.optflow`` is not installed.
    """
    try:
        import cv2
        create = cv2.optflow.DualTVL1OpticalFlow_create
    except (ImportError, AttributeError):
        return None
    import numpy as np
    rng = np.random.default_rng(seed)
    first = cv2.GaussianBlur(
        rng.integers(0, 256, (height, width), dtype=np.uint8), (7, 7), 2)
    second = np.roll(first, 2, axis=1)
    tvl1 = create()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tvl1.calc(first, second, None)
        times.append(time.perf_counter() - start)
    return times
