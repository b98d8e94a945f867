"""OFF core against independent slow references (scipy, loops) and gradcheck."""
import numpy as np
import pytest
import torch
from off_plugins.core import (BottleneckBlock, OFFLayer, OFFPyramid,
                              ResidualBlock, SpatialGradient, SqueezeExcite,
                              average_pairs, gradient_kernels,
                              init_residual_weights, residual_stage,
                              temporal_difference)
from scipy.ndimage import correlate


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
    ref = reference_gradients(x.numpy(),
                              gradient_kernels(kind).double().numpy())
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
    np.testing.assert_allclose(
        out.detach().numpy(), reference_off(layer, x, t), atol=1e-10)


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
    net = OFFPyramid((3, 4),
                     2,
                     stage_channels=(2, 3),
                     blocks_per_stage=1,
                     reduced_channels=2,
                     attn_layer=SqueezeExcite).double()
    a = torch.randn(4, 3, 6, 6, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, 4, 3, 3, dtype=torch.float64, requires_grad=True)
    outs = net([a, b])
    assert [o.shape for o in outs] == [(2, 2, 6, 6), (2, 3, 3, 3)]
    assert torch.autograd.gradcheck(
        lambda p, q: net([p, q])[-1], (a, b), eps=1e-6, atol=1e-5)


def test_residual_block_identity_without_residual_branch():
    block = ResidualBlock(4, 4)
    torch.nn.init.zeros_(block.conv2.weight)
    torch.nn.init.zeros_(block.conv2.bias)
    x = torch.rand(2, 4, 5, 5)
    assert torch.equal(block(x), x)  # relu(x + 0) for non-negative x
    assert not any(
        isinstance(m, torch.nn.BatchNorm2d) for m in block.modules())


def test_spatial_path_without_activation_keeps_negative_features():
    """``spatial_act=False`` (the released code): the Eq. 5/6 gradients are
    taken of the plain 1x1 reduction, negative values included; the temporal
    path keeps its ReLU."""
    torch.manual_seed(0)
    t, c_s = 2, 3
    layers = {
        act: OFFLayer(5, t, 4, spatial_channels=c_s, spatial_act=act).double()
        for act in (True, False)
    }
    layers[False].load_state_dict(layers[True].state_dict())
    assert any(
        isinstance(m, torch.nn.ReLU)
        for m in layers[True].spatial_reduce.modules())
    assert not any(
        isinstance(m, torch.nn.ReLU)
        for m in layers[False].spatial_reduce.modules())
    assert any(
        isinstance(m, torch.nn.ReLU) for m in layers[False].reduce.modules())
    x = torch.randn(2 * t, 5, 6, 6, dtype=torch.float64)
    conv = layers[False].spatial_reduce[0]
    with torch.no_grad():
        plain = conv(x)  # (N*T, C_s, H, W), no activation
        outs = {act: layer(x) for act, layer in layers.items()}
    assert (plain < 0).any()
    kernels = gradient_kernels('paper').double().numpy()
    for act, out in outs.items():
        src = plain.clamp(min=0) if act else plain
        grads = reference_gradients(src.numpy(), kernels)  # (N*T, 2*C_s, H, W)
        # pair 0 of clip 0: [temporal (4), grad(f0) (2*C_s), grad(f1) (2*C_s)]
        np.testing.assert_allclose(
            out[0, 4:4 + 2 * c_s].numpy(), grads[0], atol=1e-10)
        np.testing.assert_allclose(
            out[0, 4 + 2 * c_s:].numpy(), grads[1], atol=1e-10)
    torch.testing.assert_close(outs[True][:, :4], outs[False][:, :4])
    assert not torch.allclose(outs[True], outs[False])


def test_bottleneck_block_structure():
    block = BottleneckBlock(96, 256)
    convs = [block.conv1, block.conv2, block.conv3]
    assert [c.kernel_size for c in convs] == [(1, 1), (3, 3), (1, 1)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(96, 64),
                                                                (64, 64),
                                                                (64, 256)]
    assert isinstance(block.shortcut, torch.nn.Conv2d)
    assert block.shortcut.kernel_size == (1, 1)
    assert isinstance(BottleneckBlock(256, 256).shortcut, torch.nn.Identity)
    assert not any(
        isinstance(m, torch.nn.BatchNorm2d) for m in block.modules())
    with_bn = BottleneckBlock(8, 16, norm_layer=torch.nn.BatchNorm2d)
    assert sum(isinstance(m, torch.nn.BatchNorm2d)
               for m in with_bn.modules()) == 3
    assert with_bn.conv1.bias is None
    assert block(torch.randn(2, 96, 5, 7)).shape == (2, 256, 5, 7)


def test_bottleneck_block_matches_a_functional_reference():
    torch.manual_seed(0)
    block = BottleneckBlock(6, 8, expansion=2).double()
    x = torch.randn(2, 6, 5, 5, dtype=torch.float64)
    F = torch.nn.functional
    y = F.relu(F.conv2d(x, block.conv1.weight, block.conv1.bias))
    y = F.relu(F.conv2d(y, block.conv2.weight, block.conv2.bias, padding=1))
    y = F.conv2d(y, block.conv3.weight, block.conv3.bias)
    ref = F.relu(y + F.conv2d(x, block.shortcut.weight, block.shortcut.bias))
    torch.testing.assert_close(block(x), ref)
    assert torch.autograd.gradcheck(
        block, (x.requires_grad_(), ), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize('block, cls', [('basic', ResidualBlock),
                                        ('bottleneck', BottleneckBlock)])
def test_residual_stage_blocks_start_as_their_shortcut(block, cls):
    torch.manual_seed(0)
    stage = residual_stage(12, 16, 3, block=block)
    assert [type(b) for b in stage] == [cls] * 3
    init_residual_weights(stage)
    last = [b.conv2 if block == 'basic' else b.conv3 for b in stage]
    for conv in last:
        assert torch.count_nonzero(conv.weight) == 0
        assert torch.count_nonzero(conv.bias) == 0
    first = stage[0].conv1.weight
    assert first.std() > 0  # Kaiming, not zero
    x = torch.randn(2, 12, 4, 4)
    with torch.no_grad():
        expected = torch.relu(stage[0].shortcut(x))
        torch.testing.assert_close(stage(x), expected)


def test_pyramid_released_preset_shapes():
    torch.manual_seed(0)
    net = OFFPyramid((16, 32, 64),
                     3,
                     stage_channels=(32, 64, 128),
                     blocks_per_stage=2,
                     reduced_channels=8,
                     spatial_channels=4,
                     spatial_act=False,
                     block='bottleneck')
    assert all(isinstance(b, BottleneckBlock) for s in net.stages for b in s)
    assert all(not any(
        isinstance(m, torch.nn.ReLU) for m in u.spatial_reduce.modules())
               for u in net.units)
    feats = [
        torch.randn(6, 16, 8, 8),
        torch.randn(6, 32, 4, 4),
        torch.randn(6, 64, 2, 2)
    ]
    outs = net(feats)
    assert [tuple(o.shape) for o in outs] == [(4, 32, 8, 8), (4, 64, 4, 4),
                                              (4, 128, 2, 2)]
    # stage 2 input: OFF (8 + 2 * 2 * 4) + stage 1 output (32)
    assert net.stages[1][0].conv1.in_channels == 8 + 16 + 32


def test_average_pairs():
    x = torch.arange(12.).reshape(6, 2)  # 2 clips x 3 pairs
    out = average_pairs(x, num_segments=4)
    assert torch.equal(out, torch.tensor([[2., 3.], [8., 9.]]))


@pytest.mark.parametrize('call, message', [
    (lambda: OFFLayer(4, 1), 'num_segments must be >= 2'),
    (lambda: OFFLayer(4, 3)
     (torch.randn(4, 4, 2, 2)), 'not divisible by num_segments=3'),
    (lambda: OFFLayer(4, 2)
     (torch.randn(4, 5, 2, 2)), r'expects \(N\*T, 4, H, W\)'),
    (lambda: OFFLayer(4, 2, components='both'), 'components must be one of'),
    (lambda: SpatialGradient(4, 'prewitt'), 'kernel must be one of'),
    (lambda: temporal_difference(torch.randn(5, 2, 2, 2), 2), 'not divisible'),
    (lambda: OFFPyramid(
        (4, 8), 2, stage_channels=(4, )), 'stage_channels has 1'),
    (lambda: average_pairs(torch.randn(5, 2), 3), 'do not split'),
    (lambda: OFFLayer(4, 2, spatial_act=False),
     'spatial_act=False needs a separate'),
    (lambda: residual_stage(4, 8, 1, block='dense'), 'block must be one of'),
    (lambda: BottleneckBlock(4, 6), r'must be a multiple of expansion \(4\)'),
])
def test_bad_arguments_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()
