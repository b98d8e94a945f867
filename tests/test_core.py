"""OFF core against independent slow references (scipy, loops) and gradcheck."""
import numpy as np
import pytest
import torch
from scipy.ndimage import correlate

from off_plugins.core import (OFFLayer, OFFPyramid, ResidualBlock,
                              SpatialGradient, SqueezeExcite, average_pairs,
                              gradient_kernels, temporal_difference)


def reference_gradients(x, kernels):
    """Per-sample, per-channel scipy correlation with zero padding."""
    b, c, h, w = x.shape
    out = np.zeros((b, c * len(kernels), h, w))
    for i in range(b):
        for ch in range(c):
            for k, kern in enumerate(kernels):
                out[i, ch * len(kernels) + k] = correlate(
                    x[i, ch], kern, mode='constant', cval=0.0)
    return out


@pytest.mark.parametrize('kind', ['paper', 'sobel', 'combined'])
def test_spatial_gradient_matches_scipy(kind):
    torch.manual_seed(0)
    x = torch.randn(3, 5, 9, 7, dtype=torch.float64)
    layer = SpatialGradient(5, kind)
    ours = layer(x).numpy()
    ref = reference_gradients(x.numpy(), gradient_kernels(kind).double().numpy())
    np.testing.assert_allclose(ours, ref, atol=1e-10)


def test_paper_kernels_are_eq5_eq6():
    kx, ky = gradient_kernels('paper').tolist()
    assert kx == [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]
    assert ky == [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]
    # a ramp increasing to the right has a constant positive x gradient inside
    ramp = torch.arange(6.).repeat(6, 1)[None, None]
    g = SpatialGradient(1, 'paper')(ramp)
    assert torch.all(g[0, 0, 1:-1, 1:-1] == 6)
    assert torch.all(g[0, 1, 1:-1, 1:-1] == 0)


def test_temporal_difference_matches_loop():
    torch.manual_seed(0)
    n, t = 2, 4
    x = torch.randn(n * t, 3, 4, 4)
    out = temporal_difference(x, t)
    assert out.shape == (n * (t - 1), 3, 4, 4)
    for clip in range(n):
        for p in range(t - 1):
            expected = x[clip * t + p + 1] - x[clip * t + p]
            assert torch.equal(out[clip * (t - 1) + p], expected)


def reference_off(layer, x, t):
    """Loop over clips and pairs, channel by channel, with scipy gradients."""
    with torch.no_grad():
        feat = layer.reduce(x).double().numpy()
        kernels = gradient_kernels(layer.spatial.kernel).double().numpy() \
            if layer.spatial is not None else None
    rows = []
    for clip in range(x.shape[0] // t):
        for p in range(t - 1):
            a, b = feat[clip * t + p], feat[clip * t + p + 1]
            if layer.components == 'none':
                rows.append(np.concatenate([a, b]))
                continue
            parts = [b - a]
            if kernels is not None:
                parts.append(reference_gradients(a[None], kernels)[0])
                parts.append(reference_gradients(b[None], kernels)[0])
            rows.append(np.concatenate(parts))
    return np.stack(rows)


@pytest.mark.parametrize('components', ['full', 'temporal', 'none'])
def test_off_layer_matches_reference(components):
    torch.manual_seed(0)
    t = 3
    layer = OFFLayer(6, t, reduced_channels=4, components=components).double()
    x = torch.randn(2 * t, 6, 5, 5, dtype=torch.float64)
    out = layer(x)
    assert out.shape == (2 * (t - 1), layer.out_channels, 5, 5)
    np.testing.assert_allclose(out.detach().numpy(), reference_off(layer, x, t),
                               atol=1e-10)


def test_off_layer_channel_counts():
    assert OFFLayer(8, 2, 16).out_channels == 16 + 2 * 2 * 16
    assert OFFLayer(8, 2, 16, spatial_channels=4).out_channels == 16 + 16
    assert OFFLayer(8, 2, 16, kernel='combined').out_channels == 16 + 2 * 16
    assert OFFLayer(8, 2, 16, components='temporal').out_channels == 16
    assert OFFLayer(8, 2, 16, components='none').out_channels == 32


def test_off_layer_gradcheck():
    torch.manual_seed(0)
    layer = OFFLayer(3, 3, reduced_channels=2, spatial_channels=2).double()
    x = torch.randn(3, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(layer, (x, ), eps=1e-6, atol=1e-5)


def test_pyramid_gradcheck_and_shapes():
    torch.manual_seed(0)
    net = OFFPyramid((3, 4), 2, stage_channels=(2, 3), blocks_per_stage=1,
                     reduced_channels=2, attn_layer=SqueezeExcite).double()
    a = torch.randn(4, 3, 6, 6, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, 4, 3, 3, dtype=torch.float64, requires_grad=True)
    outs = net([a, b])
    assert [o.shape for o in outs] == [(2, 2, 6, 6), (2, 3, 3, 3)]
    assert torch.autograd.gradcheck(lambda p, q: net([p, q])[-1], (a, b),
                                    eps=1e-6, atol=1e-5)


def test_residual_block_identity_without_residual_branch():
    block = ResidualBlock(4, 4)
    torch.nn.init.zeros_(block.conv2.weight)
    torch.nn.init.zeros_(block.conv2.bias)
    x = torch.rand(2, 4, 5, 5)
    assert torch.equal(block(x), x)  # relu(x + 0) for non-negative x
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in block.modules())


def test_average_pairs():
    x = torch.arange(12.).reshape(6, 2)  # 2 clips x 3 pairs
    out = average_pairs(x, num_segments=4)
    assert torch.equal(out, torch.tensor([[2., 3.], [8., 9.]]))


@pytest.mark.parametrize('call, message', [
    (lambda: OFFLayer(4, 1), 'num_segments must be >= 2'),
    (lambda: OFFLayer(4, 3)(torch.randn(4, 4, 2, 2)), 'not divisible by num_segments=3'),
    (lambda: OFFLayer(4, 2)(torch.randn(4, 5, 2, 2)), r'expects \(N\*T, 4, H, W\)'),
    (lambda: OFFLayer(4, 2, components='both'), 'components must be one of'),
    (lambda: SpatialGradient(4, 'prewitt'), 'kernel must be one of'),
    (lambda: temporal_difference(torch.randn(5, 2, 2, 2), 2), 'not divisible'),
    (lambda: OFFPyramid((4, 8), 2, stage_channels=(4, )), 'stage_channels has 1'),
    (lambda: average_pairs(torch.randn(5, 2), 3), 'do not split'),
])
def test_bad_arguments_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()
