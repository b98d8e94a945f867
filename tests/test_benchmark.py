"""The OFF layer's fast path and the benchmark tool's measuring parts."""
import os.path as osp
import subprocess
import sys

import off_plugins  # noqa: F401  (first: toolbox compatibility)
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from analysis_tools import benchmark
from analysis_tools.benchmark import (count_flops, interleaved_times,
                                      module_time_share, paired_ratios,
                                      summarize)
from analysis_tools.models import (build_recognizer, clip_batch,
                                   input_channels, load_config,
                                   recognizer_scores)
from off_plugins.core import (OFFLayer, SpatialGradient, gradient_kernels,
                              temporal_difference)
from test_dist import main_job_config
from tool_loader import helpers_env, load_tool
from torch.profiler import ProfilerActivity, profile

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
STAGE1 = main_job_config('STAGE1')  # TSN
STAGE2 = main_job_config('STAGE2')  # TSN + OFF


def allocated_bytes(fn) -> int:
    """Bytes that ``fn``'s operators allocate (CPU profiler)."""
    with profile(
            activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    return sum(e.self_cpu_memory_usage for e in prof.events()
               if e.name != '[memory]' and e.self_cpu_memory_usage > 0)


def reference_gradients(x: torch.Tensor, kind: str) -> torch.Tensor:
    """Slow reference: each kernel on each channel, one at a time, by shifts."""
    kernels = gradient_kernels(kind)
    padded = F.pad(x, (1, 1, 1, 1))
    h, w = x.shape[-2:]
    out = []
    for c in range(x.shape[1]):
        for kernel in kernels:
            acc = torch.zeros_like(x[:, 0])
            for i in range(3):
                for j in range(3):
                    acc += kernel[i, j] * padded[:, c, i:i + h, j:j + w]
            out.append(acc)
    return torch.stack(out, dim=1)  # (B, C*K, H, W), channel c*K + k


def reference_difference(x: torch.Tensor, t: int) -> torch.Tensor:
    """Slow reference of Eq. 7: a loop over clips and pairs."""
    return torch.stack([
        x[n * t + i + 1] - x[n * t + i] for n in range(x.shape[0] // t)
        for i in range(t - 1)
    ])


@pytest.mark.parametrize('kind', ['paper', 'sobel', 'combined'])
def test_grouped_gradient_matches_reference_on_channels_last(kind):
    x = torch.randn(3, 5, 7, 6, dtype=torch.float64)
    layer = SpatialGradient(5, kind)
    expected = reference_gradients(x, kind)
    torch.testing.assert_close(layer(x), expected)
    torch.testing.assert_close(
        layer(x.contiguous(memory_format=torch.channels_last)), expected)


def test_temporal_difference_allocates_only_its_output():
    x = torch.randn(12, 16, 8, 8).contiguous(memory_format=torch.channels_last)
    out_bytes = 8 * 16 * 8 * 8 * 4  # (N*(T-1), C, H, W) float32, N=4, T=3
    assert allocated_bytes(lambda: temporal_difference(x, 3)) == out_bytes
    # The measure sees a copy when there is one.
    assert allocated_bytes(
        lambda: temporal_difference(x.contiguous(), 3)) > out_bytes
    torch.testing.assert_close(
        temporal_difference(x, 3), reference_difference(x, 3))
    # A strided view of a larger batch (every other frame) is not copied either.
    big = torch.randn(24, 16, 8, 8)
    assert allocated_bytes(
        lambda: temporal_difference(big[::2], 3)) == out_bytes
    torch.testing.assert_close(
        temporal_difference(big[::2], 3), reference_difference(big[::2], 3))


@pytest.mark.parametrize('components', ['full', 'temporal', 'none'])
def test_off_layer_same_on_channels_last(components):
    torch.manual_seed(0)
    layer = OFFLayer(
        6, 3, reduced_channels=4, spatial_channels=2,
        components=components).eval()
    x = torch.randn(6, 6, 9, 7)
    expected = layer(x)
    cl_layer = layer.to(memory_format=torch.channels_last)
    got = cl_layer(x.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_summarize_and_paired_ratios():
    stats = summarize([3.0, 1.0, 2.0, 10.0])
    assert stats['median'] == 2.5 and stats['min'] == 1 and stats['max'] == 10
    assert stats['spread'] == pytest.approx(9 / 5)
    assert paired_ratios([1, 3], [2, 4]) == [0.5, 0.75]
    with pytest.raises(ValueError, match='differ in length'):
        paired_ratios([1], [1, 2])
    with pytest.raises(ValueError, match='at least one'):
        summarize([])


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_interleaved_times_alternates_and_skips_warmup(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(benchmark.time, 'perf_counter', clock)
    calls = []

    def forward(name, cost):

        def run():
            calls.append(name)
            clock.now += cost

        return run

    times = interleaved_times(
        dict(a=forward('a', 2.0), b=forward('b', 1.0)), warmup=1, repeats=3)
    assert calls == ['a', 'b'] * 4
    assert times == dict(a=[2.0] * 3, b=[1.0] * 3)
    with pytest.raises(ValueError, match='repeats'):
        interleaved_times(dict(a=forward('a', 1)), warmup=0, repeats=0)


class Costly(nn.Module):
    """Advances a fake clock by ``cost`` per call."""

    def __init__(self, clock, cost):
        super().__init__()
        self.clock, self.cost = clock, cost

    def forward(self, x):
        self.clock.now += self.cost
        return x


def test_module_time_share_counts_only_the_given_modules(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(benchmark.time, 'perf_counter', clock)

    class Timed(Costly):
        pass

    model = nn.Sequential(
        Timed(clock, 1.0), Costly(clock, 2.0), Timed(clock, 1.0))
    shares = module_time_share(
        model, lambda: model(0), repeats=2, types=(Timed, ))
    assert shares == [0.5, 0.5]
    assert not model[0]._forward_hooks  # hooks removed afterwards
    with pytest.raises(ValueError, match='no module of type'):
        module_time_share(nn.Linear(1, 1), lambda: None, 1)


def test_flops_count_grouped_conv_and_subtraction():
    n, t, c, h, w = 2, 3, 4, 5, 6
    layer = OFFLayer(c, t, reduced_channels=c, components='full').eval()
    x = torch.randn(n * t, c, h, w)
    flops = count_flops(layer, layer, x)
    reduce = n * t * c * c * h * w  # 1x1 conv, C -> C
    spatial = n * t * (2 *
                       c) * 9 * h * w  # grouped: 1 input channel per output
    sub = n * (t - 1) * c * h * w  # temporal difference
    assert flops['total'] == reduce + spatial + sub
    assert flops['parts'] == {}


def test_cpu_forward_peak_sees_a_large_temporary():
    if not osp.exists('/proc/self/clear_refs'):
        pytest.skip('needs Linux /proc')

    # A fresh process, as the function asks: in this one, memory that earlier
    # tests freed but the allocator kept resident would hide the peak.
    code = ('import torch\n'
            'from analysis_tools.benchmark import cpu_forward_peak_bytes\n'
            'def forward():\n'
            '    t = torch.ones(32 * 2 ** 20 // 4)  # 32 MiB, touched\n'
            '    return float(t.sum())\n'
            'print(cpu_forward_peak_bytes(forward))\n')
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          timeout=300,
                          env=helpers_env())
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.split()[-1]) >= 30 * 2**20


def test_recognizers_from_main_job_configs():
    assert load_config('mmaction::recognition/tsn/'
                       'tsn_imagenet-pretrained-r50_8xb32-1x1x3-100e_'
                       'kinetics400-rgb.py').model.type == 'Recognizer2D'
    with pytest.raises(FileNotFoundError, match='does not exist'):
        load_config('mmaction::recognition/none.py')
    with pytest.raises(FileNotFoundError, match='not installed'):
        load_config('nopackage_xyz::recognition/none.py')
    with pytest.raises(FileNotFoundError, match='config not found'):
        load_config('configs/none.py')
    inputs = clip_batch((1, 8, 32, 32))
    assert inputs.shape == (1, 8, 3, 32, 32)
    off = build_recognizer(load_config(STAGE2))
    base = build_recognizer(load_config(STAGE1))
    with torch.no_grad():
        base_scores = recognizer_scores(base, inputs)
        off_scores = recognizer_scores(off, inputs)
        off_flops = count_flops(off, lambda x: recognizer_scores(off, x),
                                inputs, ('neck', 'neck.pyramid.units'))
        base_flops = count_flops(base, lambda x: recognizer_scores(base, x),
                                 inputs)
    assert base_scores.shape == (1, 8)
    assert [s.shape for s in off_scores] == [(1, 8), (1, 8)]
    neck, units = off_flops['parts']['neck'], off_flops['parts'][
        'neck.pyramid.units']
    assert 0 < units < neck < off_flops['total']
    # Same backbone (R18, its last stage scored by both heads): OFF only adds.
    assert off_flops['total'] - neck == pytest.approx(
        base_flops['total'], rel=0.01)


def test_benchmark_tool_prints_ratios_and_targets(capsys, tmp_path):
    result = load_tool('benchmark.py').main([
        STAGE2, STAGE1, '--shape', '1', '8', '32', '32', '--warmup', '0',
        '--repeats', '2', '--max-flops-ratio', '100', '--min-throughput-ratio',
        '100', '--json',
        str(tmp_path / 'r.json')
    ])
    out = capsys.readouterr().out
    assert 'target FLOPs ratio <= 100.00' in out and 'MET' in out
    assert 'target throughput ratio >= 100.00' in out and 'MISSED' in out
    assert len(result['times']['off']) == len(result['times']['base']) == 2
    assert 0 < result['off_layer_share']['median'] < 1
    assert all(v > 0 for v in result['peak_forward_bytes'].values())
    assert (tmp_path / 'r.json').exists()


def test_benchmark_tool_gives_each_stream_its_input_channels(capsys):
    diff_off = osp.join(
        REPO, 'configs/off_tsn',
        'off-tsn_tsn-5x1x4-8e-pretrained-r18_1xb16-5x1x4-25e_offmotion-rgbdiff.py'
    )
    result = load_tool('benchmark.py').main([
        diff_off, STAGE1, '--shape', '1', '8', '32', '32', '--warmup', '0',
        '--repeats', '1', '--no-memory'
    ])
    out = capsys.readouterr().out
    # OFF on RGB-diff (4 stacked differences) against TSN on RGB
    assert 'off (1, 8, 12, 32, 32)' in out and 'base (1, 8, 3, 32, 32)' in out
    assert result['flops']['off']['total'] > result['flops']['base']['total']


@pytest.mark.parametrize(
    'config, channels',
    [
        ('configs/off_tsn/off-tsn_tsn-5x1x4-8e-pretrained-r18_1xb16-5x1x4-25e_offmotion-flow.py',
         10),
        ('configs/off_tsm/off-tsm_tsm-1x1x8-100e-pretrained-mobilenetv2_'
         '8xb16-1x1x8-110e_kinetics400-rgb.py', 3),
        (
            'mmaction::recognition/tsm/tsm_imagenet-pretrained-mobilenetv2_8xb16-1x1x8-100e_kinetics400-rgb.py',  # noqa: E501
            3),
    ])
def test_input_channels_are_the_first_convolution_s(config, channels):
    """MobileNetV2 leaves ``in_channels`` at its last block's width (320):
    the input width is read from the first convolution."""
    path = config if '::' in config else osp.join(REPO, config)
    model = build_recognizer(load_config(path))
    assert input_channels(model) == channels
    model(clip_batch((1, 8, 32, 32), channels=channels), mode='tensor')


@pytest.mark.parametrize('args, message', [
    (['missing.py', STAGE1], 'OFF_CONFIG missing.py: FileNotFoundError: '
     'config not found: missing.py'),
    ([STAGE1, STAGE1], f'OFF_CONFIG {STAGE1} builds a model without OFF '
     'layers'),
])
def test_benchmark_tool_bad_configs_end_in_one_line(args, message):
    with pytest.raises(SystemExit) as err:
        load_tool('benchmark.py').main(args + ['--repeats', '1'])
    assert str(err.value).startswith(f'benchmark.py: error: {message}')
    assert '\n' not in str(err.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU-only torch')
def test_benchmark_tool_cuda_without_cuda_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as err:
        load_tool('benchmark.py').main([STAGE2, STAGE1, '--device', 'cuda'])
    assert err.value.code == 2
    assert 'torch.cuda.is_available() is False' in capsys.readouterr().err
