"""DnCNN / DnCNN_OFF built from the shipped configs: structure, steps, overfit."""
import glob
import math

import off_plugins  # noqa: F401
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from off_plugins.core.dncnn import DnCNNNet, DnCNNOFFNet, plain_convs
from off_plugins.registry import MODELS

CONFIGS = sorted(glob.glob('configs/dncnn_off/*.py'))
DEMO_CONFIGS = sorted(glob.glob('configs/dncnn_off/demo/*.py'))
DNCNN = 'configs/dncnn_off/dncnn_4xb7-50e_vimeo90k-jpeg2000-q20.py'
OFF2 = 'configs/dncnn_off/dncnn-off2_4xb7-50e_vimeo90k-jpeg2000-q40.py'
OFF3 = 'configs/dncnn_off/dncnn-off3_4xb7-50e_vimeo90k-jpeg2000-q20.py'
DEMO = 'configs/dncnn_off/demo/'
DEMO_DNCNN = DEMO + 'dncnn-d10c32_1xb2-96px_real-footage-jpeg2000.py'
DEMO_MATCHED = DEMO + 'dncnn-d13c36_1xb2-96px_real-footage-jpeg2000.py'
DEMO_MULTI = DEMO + 'dncnn-mf3-d13c32_1xb2-96px_real-footage-jpeg2000.py'
DEMO_OFF2 = DEMO + 'dncnn-off2-d13c32_1xb2-96px_real-footage-jpeg2000.py'
DEMO_OFF3 = DEMO + 'dncnn-off3-d13c32_1xb2-96px_real-footage-jpeg2000.py'
DEMO_MULTI_BLEND = DEMO + \
    'dncnn-mf3-blend-d13c32_1xb2-96px_real-footage-jpeg2000.py'
DEMO_OFF3_BLEND = DEMO + \
    'dncnn-off3-blend-d13c32_1xb2-96px_real-footage-jpeg2000.py'
DEMO_MULTI_DIFF = DEMO + \
    'dncnn-mf3-blend-diff-d13c32_1xb2-96px_real-footage-jpeg2000.py'
DEMO_OFF3_DIFF = DEMO + \
    'dncnn-off3-blend-diff-d13c32_1xb2-96px_real-footage-jpeg2000.py'

# the smallest DnCNN_OFF(3) the structural tests need
TINY = dict(
    num_frames=3,
    channels=8,
    head_convs=1,
    merge_convs=1,
    tail_convs=2,
    off_channels=4)


def build(path):
    cfg = Config.fromfile(path)
    init_default_scope(cfg.default_scope)
    import off_plugins.restoration  # noqa: F401  (what custom_imports does)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return cfg, model


def convs(module):
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)]


def batch(num_frames, n=2, h=16, w=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    gt = torch.rand(n, 3, h, w, generator=g)
    noisy = (gt[:, None] +
             0.1 * torch.randn(n, num_frames, 3, h, w, generator=g)).clamp(
                 0, 1)
    return dict(
        inputs=noisy,
        data_samples=dict(gt=gt, clip=[f'c{i}' for i in range(n)]))


def test_all_table9_configs_ship():
    names = {c.split('/')[-1] for c in CONFIGS}
    for q in (20, 40):
        for algo in ('dncnn', 'dncnn-off2', 'dncnn-off3'):
            assert f'{algo}_4xb7-50e_vimeo90k-jpeg2000-q{q}.py' in names


@pytest.mark.parametrize('path', CONFIGS + DEMO_CONFIGS)
def test_config_builds_consistent_model(path):
    cfg, model = build(path)
    t = cfg.model.get('num_frames', 1)
    assert model.num_frames == t
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.num_frames == t
    q = 'q20' if path.endswith('q20.py') else 'q40'
    assert cfg.test_dataloader.dataset.data_prefix.lq.endswith(q)
    out = model(batch(t)['inputs'], mode='tensor')
    assert out.shape == (2, 3, 16, 20)


@pytest.mark.parametrize('path', [DNCNN, OFF3])
def test_paper_structure_and_xavier_init(path):
    cfg, model = build(path)
    layers = convs(model)
    assert not any(
        isinstance(m, nn.modules.batchnorm._BatchNorm)
        for m in model.modules())
    if cfg.model.type == 'DnCNN':
        assert len(layers) == 20
    else:
        net = model.net
        assert (len(convs(net.head)), len(convs(net.merge)),
                len(convs(net.tail))) == (3, 5, 18)
    for conv in layers:
        k = conv.kernel_size[0] * conv.kernel_size[1]
        fan_in, fan_out = conv.in_channels * k, conv.out_channels * k
        bound = math.sqrt(6 / (fan_in + fan_out))
        assert conv.weight.abs().max() <= bound + 1e-6
        assert conv.weight.abs().max() > 0.9 * bound  # uniform, not default
        assert torch.all(conv.bias == 0)


def test_dncnn_off_sums_motion_into_centre_features():
    net = DnCNNOFFNet(
        num_frames=3,
        channels=8,
        head_convs=2,
        merge_convs=2,
        tail_convs=3,
        off_channels=4)
    frames = torch.rand(2, 3, 3, 12, 12)
    last = convs(net.merge)[-1]
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    # no motion: the tail sees exactly the centre frame's head features
    expected = frames[:, 1] - net.tail(net.merge_act(net.head(frames[:, 1])))
    torch.testing.assert_close(net(frames), expected)


def test_global_residual_returns_centre_frame_when_tail_is_zero():
    nets = [
        (DnCNNNet(channels=8, depth=3), 1),
        (DnCNNOFFNet(**dict(TINY, num_frames=2)), 2),
        (DnCNNOFFNet(**TINY), 3),
    ]
    for net, t in nets:
        last = convs(net)[-1]
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        frames = torch.rand(1, t, 3, 10, 10)
        torch.testing.assert_close(net(frames), frames[:, t // 2])


def test_neighbours_reach_the_output_only_with_off():
    # seeded: about 1 random init in 100 of a net this small has a dead
    # ReLU path that a neighbour's change cannot cross
    torch.manual_seed(0)
    net = DnCNNOFFNet(**TINY)
    frames = torch.rand(1, 3, 3, 10, 10)
    moved = frames.clone()
    moved[:, 2] = torch.rand(3, 10, 10)
    assert not torch.allclose(net(frames), net(moved))


def test_blend_output_starts_at_the_temporal_mean_and_learns_weights():
    init_default_scope('off_plugins')
    import off_plugins.restoration  # noqa: F401
    model = MODELS.build(
        dict(
            type='DnCNNOFF',
            **TINY,
            output='blend',
            init_cfg=dict(
                type='Xavier', layer='Conv2d', distribution='uniform')))
    model.init_weights()
    net = model.net
    # the configs' Xavier init reaches every conv but the blend's last,
    # which starts at zero: equal weights, the plain mean of the frames
    assert len(convs(net.blend)) == 2
    assert not net.blend[-1].weight.any() and not net.blend[-1].bias.any()
    assert convs(net.blend)[0].weight.any()
    last = convs(net.tail)[-1]
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    frames = torch.rand(2, 3, 3, 10, 10)
    torch.testing.assert_close(net(frames), frames.mean(1))
    # a large centre logit gives back the centre frame, a large neighbour
    # logit that neighbour
    for index in (1, 2):
        with torch.no_grad():
            net.blend[-1].bias.zero_()
            net.blend[-1].bias[index] = 50.0
        torch.testing.assert_close(net(frames), frames[:, index])
    # the weights are trained: the blend gets a gradient
    net(frames).sum().backward()
    assert net.blend[-1].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="output must be 'centre' or"):
        DnCNNOFFNet(output='mean')
    with pytest.raises(ValueError, match='blend_convs must be >= 1, got 0'):
        DnCNNOFFNet(output='blend', blend_convs=0)
    with pytest.raises(ValueError, match="blend_diff needs output='blend'"):
        DnCNNOFFNet(blend_diff=True)


def test_blend_diff_cue_measures_where_frames_differ_and_steers_weights():
    frames = torch.rand(1, 3, 3, 12, 12)
    frames[:, 0] = frames[:, 1] + 0.1  # a neighbour off by 0.1 everywhere
    frames[:, 2] = frames[:, 1]  # a neighbour equal to the centre
    diff = DnCNNOFFNet.frame_differences(frames)
    assert diff.shape == (1, 3, 12, 12)
    assert not diff[:, 1:].any()  # the centre and its copy
    # 20 x the mean absolute difference away from the zero-padded borders
    torch.testing.assert_close(diff[0, 0, 2:-2, 2:-2], torch.full((8, 8), 2.0))
    assert diff[0, 0, 0, 0] < diff[0, 0, 2, 2]
    # a blend that reads only the cue: weights fall with the difference
    net = DnCNNOFFNet(**TINY, output='blend', blend_convs=1, blend_diff=True)
    with torch.no_grad():
        last = convs(net.tail)[-1]
        last.weight.zero_()
        last.bias.zero_()
        conv = net.blend[-1]
        conv.weight.zero_()
        for t in range(3):
            conv.weight[t, 8 + t, 1, 1] = -20.0  # the cue of frame t
    out = net(frames)[..., 2:-2, 2:-2]
    # frame 0 (diff 2: weight ~e^-40) drops out; the centre and its copy
    # share the rest
    torch.testing.assert_close(out, frames[:, 1, :, 2:-2, 2:-2])
    frames[:, 0] = frames[:, 1]  # all agree: the plain mean again
    torch.testing.assert_close(net(frames), frames.mean(1))


def num_params(module):
    return sum(p.numel() for p in module.parameters())


def test_demo_controls_match_dncnn_off3_capacity():
    _, off3 = build(DEMO_OFF3)
    _, matched = build(DEMO_MATCHED)
    _, multi = build(DEMO_MULTI)
    _, off2 = build(DEMO_OFF2)
    net = off3.net
    # the single-frame control: as many 3x3 convs as OFF(3)'s longest path,
    # about as many parameters
    depth = sum(len(convs(m)) for m in (net.head, net.merge, net.tail))
    assert len(convs(matched)) == depth == 13
    assert abs(num_params(matched) / num_params(off3) - 1) < 0.03
    assert num_params(matched) > 1.5 * num_params(build(DEMO_DNCNN)[1])
    # the multi-frame control: the same sub-network but the OFF layer
    assert multi.num_frames == 3 and multi.net.off.components == 'none'
    assert multi.net.off.out_channels == net.off.out_channels
    for part in ('head', 'merge', 'tail'):
        assert [c.weight.shape for c in convs(getattr(multi.net, part))] == \
            [c.weight.shape for c in convs(getattr(net, part))]
    assert abs(num_params(multi) / num_params(off3) - 1) < 0.01
    # OFF(2) is OFF(3) with one pair fewer into the merge
    assert off2.num_frames == 2
    assert convs(off2.net.merge)[0].in_channels * 2 == \
        convs(net.merge)[0].in_channels
    # the learned-blend pair: the same two models plus the same blend
    _, off3_blend = build(DEMO_OFF3_BLEND)
    _, multi_blend = build(DEMO_MULTI_BLEND)
    assert net.output == multi.net.output == 'centre'
    for blended, plain in ((off3_blend, off3), (multi_blend, multi)):
        assert blended.net.output == 'blend'
        assert blended.net.off.components == plain.net.off.components
        assert num_params(blended) - num_params(plain) == \
            num_params(blended.net.blend)
    assert num_params(off3_blend.net.blend) == \
        num_params(multi_blend.net.blend)
    # the frame-difference pair: the blend pair plus 3 input channels of the
    # blend's first conv
    for path, blended in ((DEMO_OFF3_DIFF, off3_blend), (DEMO_MULTI_DIFF,
                                                         multi_blend)):
        _, cued = build(path)
        assert cued.net.blend_diff and not blended.net.blend_diff
        assert cued.net.off.components == blended.net.off.components
        first = convs(cued.net.blend)[0]
        assert first.in_channels == convs(blended.net.blend)[0].in_channels + 3
        assert num_params(cued) - num_params(blended) == \
            3 * first.out_channels * 9


@pytest.mark.parametrize('components', ['none', 'temporal'])
def test_off_components_change_only_the_pair_features(components):
    torch.manual_seed(0)  # see test_neighbours_reach_the_output_only_with_off
    net = DnCNNOFFNet(components=components, **TINY)
    full = DnCNNOFFNet(**TINY)
    assert net.off.components == components
    assert net.off.spatial is None and full.off.spatial is not None
    frames = torch.rand(2, 3, 3, 10, 10)
    assert net(frames).shape == (2, 3, 10, 10)
    moved = frames.clone()
    moved[:, 0] = torch.rand(2, 3, 10, 10)
    assert not torch.allclose(net(frames), net(moved))
    if components == 'none':
        # the pair features are the reduced features of both frames
        feat = net.off.reduce(net.head(frames.flatten(0, 1)))
        feat = feat.unflatten(0, (2, 3))
        expected = torch.cat([feat[:, 0], feat[:, 1], feat[:, 1], feat[:, 2]],
                             dim=1)
        got = net.off(net.head(frames.flatten(0, 1))).unflatten(0, (2, 2))
        torch.testing.assert_close(got.flatten(1, 2), expected)


def test_bad_arguments_and_inputs_raise():
    with pytest.raises(ValueError, match='num_segments must be >= 2'):
        DnCNNOFFNet(num_frames=1)
    with pytest.raises(ValueError, match='components must be one of'):
        DnCNNOFFNet(components='flow')
    with pytest.raises(ValueError, match='depth must be >= 2'):
        DnCNNNet(depth=1)
    with pytest.raises(ValueError, match='num_convs must be >= 1'):
        plain_convs(3, 3, 8, 0, final_act=False)
    _, model = build(OFF3)
    with pytest.raises(ValueError, match=r'\(N, 3, 3, H, W\)'):
        model(torch.rand(1, 2, 3, 8, 8))
    with pytest.raises(ValueError, match="needs data_samples with 'gt'"):
        model(torch.rand(1, 3, 3, 8, 8), mode='loss')
    with pytest.raises(ValueError, match='mode must be'):
        model(**batch(3), mode='bogus')


@pytest.mark.parametrize('path', [DNCNN, OFF2, OFF3])
def test_train_step_and_test_step(path):
    cfg, model = build(path)
    t = model.num_frames
    data = batch(t)
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=5e-4))
    log_vars = model.train_step(data, optim)
    assert set(log_vars) == {'loss'} and torch.isfinite(log_vars['loss'])
    outs = model.test_step(data)
    assert len(outs) == 2
    for out, clip, gt, lq in zip(outs, data['data_samples']['clip'],
                                 data['data_samples']['gt'],
                                 data['inputs'][:, t // 2]):
        assert out['clip'] == clip
        assert out['pred'].shape == (3, 16, 20)
        torch.testing.assert_close(out['gt'], gt)
        torch.testing.assert_close(out['lq'], lq)


@pytest.mark.parametrize('path', DEMO_CONFIGS)
def test_loss_decreases_on_tiny_overfit(path):
    # the demo configs inherit the Table 9 ones with smaller networks
    torch.manual_seed(0)
    _, model = build(path)
    data = batch(model.num_frames, n=2, h=12, w=12)
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=2e-3))
    first = model.train_step(data, optim)['loss'].item()
    # 45 steps: the 13-conv single-frame control (Xavier init) is the slowest
    # to start, 0.53x its first loss after 30 steps, 0.12x after 45
    for _ in range(45):
        last = model.train_step(data, optim)['loss'].item()
    assert last < 0.5 * first
