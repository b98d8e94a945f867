"""Benchmark an OFF recognizer config against its baseline config, in one run.

    python tools/benchmark.py OFF_CONFIG BASE_CONFIG [--shape N S H W]
        [--warmup 2] [--repeats 5] [--device cpu|cuda] [--amp]
        [--channels-last] [--off-options k=v ...] [--base-options k=v ...]
        [--min-throughput-ratio 0.8] [--max-flops-ratio 1.35] [--tvl1]
        [--json out.json]

Both models are built with random weights and fed the same random clip batch
``(N, S, 3, H, W)`` (S = segments of one view). Timings are interleaved
(OFF, baseline, OFF, ...); ratios are taken per round, then their median and
spread are printed. FLOPs come from mmengine's counter (one multiply-add is
one FLOP, as MMAction2's ``get_flops``), peak memory from a fresh process per
model. ``mmaction::`` config names resolve inside the mmaction2 wheel.
"""
import argparse
import json
from contextlib import nullcontext

import off_plugins  # noqa: F401  (first: toolbox compatibility)
import torch
from analysis_tools.benchmark import (count_flops, count_parameters,
                                      interleaved_times, module_time_share,
                                      paired_ratios, summarize, synchronizer,
                                      tvl1_pair_seconds)
from analysis_tools.models import (build_recognizer, clip_batch,
                                   input_channels, load_config,
                                   recognizer_peak_memory, recognizer_scores)
from mmengine.config import DictAction
from off_plugins.core import OFFLayer

# FLOPs reported separately for the OFF model: the sub-network and its OFF layers.
OFF_PARTS = ('neck', 'neck.pyramid.units')
# TSN's flow network stacks 5 flow fields per segment (MMAction2 tsn flow configs).
FLOW_FIELDS_PER_SEGMENT = 5


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('off_config')
    parser.add_argument('base_config')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=4,
        default=(1, 8, 224, 224),
        metavar=('N', 'S', 'H', 'W'),
        help='clips, frames per clip, height, width')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='autocast (float16 on CUDA, bfloat16 on CPU)')
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument(
        '--off-options',
        nargs='+',
        action=DictAction,
        default={},
        help='config overrides for OFF_CONFIG')
    parser.add_argument(
        '--base-options',
        nargs='+',
        action=DictAction,
        default={},
        help='config overrides for BASE_CONFIG')
    parser.add_argument(
        '--min-throughput-ratio',
        type=float,
        help='target: OFF keeps at least this share of the '
        "baseline's clips/s")
    parser.add_argument(
        '--max-flops-ratio',
        type=float,
        help='target: OFF costs at most this many baseline FLOPs')
    parser.add_argument(
        '--no-memory',
        action='store_true',
        help='skip the peak-memory processes')
    parser.add_argument(
        '--tvl1',
        action='store_true',
        help='estimate the TV-L1 optical-flow route (OpenCV)')
    parser.add_argument('--json', help='also write the results here')
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.warmup < 0:
        parser.error('--repeats must be >= 1 and --warmup >= 0')
    if min(args.shape) < 1:
        parser.error(f'--shape must be positive, got {args.shape}')
    try:
        device = torch.device(args.device)
    except RuntimeError as err:
        parser.error(f'--device {args.device!r} is not a torch device ({err})')
    if device.type == 'cuda' and not torch.cuda.is_available():
        parser.error(f'--device {args.device}: this torch build has no usable '
                     f'CUDA (torch {torch.__version__}, '
                     'torch.cuda.is_available() is False); use --device cpu')
    return args


def build_models(configs: dict, device: str) -> dict:
    """``{'off': model, 'base': model}`` from ``configs``, ``{'off': (path,
    options), 'base': (path, options)}``.

    Raises:
        SystemExit: one line naming the config that does not load or build,
            or an OFF_CONFIG without any OFF layer (a baseline config given
            in its place).
    """
    models = {}
    for key, (path, options) in configs.items():
        role = 'OFF_CONFIG' if key == 'off' else 'BASE_CONFIG'
        try:
            models[key] = build_recognizer(load_config(path, options), device)
        except Exception as err:
            raise SystemExit(f'benchmark.py: error: {role} {path}: '
                             f'{type(err).__name__}: {err}') from None
    if not any(isinstance(m, OFFLayer) for m in models['off'].modules()):
        raise SystemExit(
            f'benchmark.py: error: OFF_CONFIG {configs["off"][0]} '
            'builds a model without OFF layers; give an OFF '
            'config first and its baseline second')
    return models


def fmt_stats(stats, scale=1.0, digits=2):
    return (
        f'{stats["median"] * scale:.{digits}f} '
        f'[{stats["min"] * scale:.{digits}f}, {stats["max"] * scale:.{digits}f}]'
    )


def check_target(name, value, bound, at_least):
    met = value >= bound if at_least else value <= bound
    sign = '>=' if at_least else '<='
    margin = (value / bound - 1) * 100
    return (f'target {name} {sign} {bound:.2f}: measured {value:.3f} -> '
            f'{"MET" if met else "MISSED"} ({margin:+.1f}% vs target)')


def main(argv=None):
    args = parse_args(argv)
    device = torch.device(args.device)
    sync = synchronizer(device)
    n, s, h, w = args.shape
    configs = dict(
        off=(args.off_config, args.off_options),
        base=(args.base_config, args.base_options))
    models = build_models(configs, args.device)
    # each model its own input channels (RGB 3, flow 10, RGB-diff 12), same data seed
    inputs = {
        k: clip_batch(args.shape, args.device, channels=input_channels(m))
        for k, m in models.items()
    }
    if args.channels_last:
        models = {
            k: m.to(memory_format=torch.channels_last)
            for k, m in models.items()
        }
    amp_dtype = torch.float16 if device.type == 'cuda' else torch.bfloat16
    amp = (lambda: torch.autocast(device.type, dtype=amp_dtype)) if args.amp \
        else nullcontext

    def forward_of(model, x):

        def forward():
            with torch.no_grad(), amp():
                return recognizer_scores(model, x)

        return forward

    forwards = {k: forward_of(m, inputs[k]) for k, m in models.items()}
    shapes = ', '.join(f'{k} {tuple(x.shape)}' for k, x in inputs.items())
    print(
        f'device {device}, input (N, S, C, H, W): {shapes}, '
        f'amp={args.amp}, channels_last={args.channels_last}, '
        f'{args.warmup} warm-up + {args.repeats} interleaved rounds, '
        f'torch threads {torch.get_num_threads()}',
        flush=True)
    times = interleaved_times(forwards, args.warmup, args.repeats, sync)
    ratio = summarize(paired_ratios(times['base'], times['off']))
    share = summarize(
        module_time_share(
            models['off'], forwards['off'], args.repeats, sync=sync))
    flops = {}
    for k, m in models.items():
        with torch.no_grad():
            flops[k] = count_flops(
                m,
                lambda x, m=m: recognizer_scores(m, x),
                inputs[k],
                OFF_PARTS if k == 'off' else ())
    params = {k: count_parameters(m) for k, m in models.items()}
    memory = ({} if args.no_memory else {
        k: recognizer_peak_memory(c, o, args.shape, args.device)
        for k, (c, o) in configs.items()
    })

    result = dict(
        shape=list(args.shape),
        device=str(device),
        amp=args.amp,
        channels_last=args.channels_last,
        times=times,
        throughput_ratio=ratio,
        off_layer_share=share,
        flops=flops,
        params=params,
        peak_forward_bytes=memory)
    print(f'\n{"":<26}{"OFF":>26}{"baseline":>26}{"OFF / baseline":>18}')
    stats = {k: summarize(v) for k, v in times.items()}
    rows = [
        ('latency ms/batch', lambda k: fmt_stats(stats[k], 1e3, 1),
         stats['off']['median'] / stats['base']['median']),
        ('clips/s', lambda k: f'{n / stats[k]["median"]:.2f}',
         ratio['median']),
        ('frames/s', lambda k: f'{n * s / stats[k]["median"]:.1f}',
         ratio['median']),
        ('params (M)', lambda k: f'{params[k] / 1e6:.2f}',
         params['off'] / params['base']),
        ('GFLOPs (per batch)', lambda k: f'{flops[k]["total"] / 1e9:.2f}',
         flops['off']['total'] / flops['base']['total']),
    ]
    if memory and None not in memory.values():
        rows.append(
            ('peak fwd memory (MiB)', lambda k: f'{memory[k] / 2 ** 20:.1f}',
             memory['off'] / max(memory['base'], 1)))
    for name, cell, r in rows:
        print(f'{name:<26}{cell("off"):>26}{cell("base"):>26}{r:>18.3f}')
    print(
        f'\nthroughput ratio OFF/baseline per round: median {ratio["median"]:.3f}, '
        f'min {ratio["min"]:.3f}, max {ratio["max"]:.3f} ({ratio["n"]} rounds)'
    )
    print(f'OFF layers (OFFLayer modules) share of OFF model time: median '
          f'{share["median"] * 100:.1f}% [{share["min"] * 100:.1f}, '
          f'{share["max"] * 100:.1f}]')
    for name, part in flops['off']['parts'].items():
        print(f'FLOPs of {name}: {part / 1e9:.2f} G '
              f'({part / flops["off"]["total"] * 100:.1f}% of the OFF model)')
    for k in models:
        print(
            f'not counted by the FLOP counter ({k}): {flops[k]["uncounted"]}')
    if memory and None in memory.values():
        print('peak memory: not measurable here (needs Linux /proc or CUDA)')
    if args.min_throughput_ratio is not None:
        print(
            check_target(
                'throughput ratio',
                ratio['median'],
                args.min_throughput_ratio,
                at_least=True))
    if args.max_flops_ratio is not None:
        print(
            check_target(
                'FLOPs ratio',
                flops['off']['total'] / flops['base']['total'],
                args.max_flops_ratio,
                at_least=False))
    if args.tvl1:
        result['tvl1'] = report_tvl1(h, w, s, args.repeats, stats)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)
    return result


def report_tvl1(h, w, segments, repeats, stats):
    """Estimate the two-stream route: TV-L1 extraction plus a flow network."""
    pair = tvl1_pair_seconds(h, w, repeats)
    if pair is None:
        print('TV-L1: cv2.optflow (opencv-contrib) not installed; skipped')
        return None
    pair_stats = summarize(pair)
    pairs = FLOW_FIELDS_PER_SEGMENT * segments
    flow_route = pairs * pair_stats['median'] + stats['base']['median']
    speedup = flow_route / stats['off']['median']
    print(f'TV-L1 (OpenCV, {h}x{w}): {fmt_stats(pair_stats, 1e3, 0)} ms per '
          f'frame pair; flow route estimate = {pairs} pairs + flow network '
          f'(timed as the baseline) = {flow_route:.2f} s per clip batch; '
          f'OFF model is {speedup:.1f}x faster')
    return dict(
        pair_seconds=pair, flow_route_seconds=flow_route, off_speedup=speedup)


if __name__ == '__main__':
    main()
