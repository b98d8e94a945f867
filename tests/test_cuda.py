"""The OFF parts on a CUDA device: same numbers as on the CPU, autocast
(bfloat16 and float16) and channels-last memory format.

Every test here needs a GPU and skips, with the reason, where there is none.
``tools/gpu_check.sh`` runs this file on a GPU machine. The toolbox parts skip
on their own when their toolbox is missing (the GPU check installs MMAction2
on top of mmcv-lite: MMDetection needs mmcv's compiled ops, see
``needs_mmcv_cuda_ops``).
"""
import importlib.util
import os.path as osp

import pytest
import torch
from off_plugins.core import OFFLayer, OFFPyramid
from off_plugins.core.dncnn import DnCNNOFFNet
from off_plugins.core.psroi import psroi_align, psroi_pool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
HAS_CUDA = torch.cuda.is_available()
pytestmark = pytest.mark.skipif(
    not HAS_CUDA,
    reason=f'no CUDA device (torch {torch.__version__}: '
    'torch.cuda.is_available() is False)')
AMP_DTYPES = [
    pytest.param(torch.bfloat16, id='bf16'),
    pytest.param(torch.float16, id='fp16')
]
CUDA = torch.device('cuda') if HAS_CUDA else None


@pytest.fixture(autouse=True)
def exact_float32():
    """CUDA convolutions and matmuls in true float32, not TF32 (PyTorch lets
    cuDNN use TF32 by default, about 1e-3 off), so CUDA must match the CPU."""
    saved = (torch.backends.cudnn.allow_tf32,
             torch.backends.cuda.matmul.allow_tf32)
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    yield
    (torch.backends.cudnn.allow_tf32,
     torch.backends.cuda.matmul.allow_tf32) = saved


def mmcv_cuda_ops_reason():
    """Why mmcv's compiled CUDA ops are unusable here, or '' when they work."""
    if importlib.util.find_spec('mmdet') is None:
        return 'mmdet is not installed'
    try:
        from mmcv.ops import nms
    except ImportError as err:
        return f'mmcv has no compiled ops ({err}); mmdet imports mmcv.ops'
    if not HAS_CUDA:
        return 'no CUDA device'
    try:
        boxes = torch.tensor([[0., 0., 10., 10.]], device=CUDA)
        nms(boxes, torch.ones(1, device=CUDA), 0.5)
    except (RuntimeError, AssertionError) as err:
        return f'mmcv.ops was built without CUDA ({str(err)[:80]})'
    return ''


def needs_module(name):
    return pytest.mark.skipif(
        importlib.util.find_spec(name) is None,
        reason=f'{name} is not installed')


def relative_error(a, b):
    return ((a.float() - b.float()).norm() /
            b.float().norm().clamp_min(1e-12)).item()


def to_cuda_copy(module):
    """A CUDA copy of a CPU module with the same weights."""
    import copy
    return copy.deepcopy(module).to(CUDA)


def pyramid_inputs(batch=2, segments=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [
        torch.randn(batch * segments, c, s, s, generator=gen)
        for c, s in ((32, 28), (64, 14), (128, 7))
    ]


def make_pyramid(segments=4, components='full'):
    torch.manual_seed(0)
    return OFFPyramid((32, 64, 128),
                      segments,
                      stage_channels=(16, 24, 32),
                      blocks_per_stage=2,
                      reduced_channels=16,
                      spatial_channels=8,
                      components=components).eval()


@pytest.mark.parametrize('components', ['full', 'temporal', 'none'])
def test_off_layer_cuda_matches_cpu(components):
    torch.manual_seed(0)
    layer = OFFLayer(32, 4, 16, spatial_channels=8, components=components)
    x = torch.randn(8, 32, 20, 20, requires_grad=True)
    out = layer(x)
    out.square().sum().backward()
    layer_cuda = to_cuda_copy(layer)
    x_cuda = x.detach().to(CUDA).requires_grad_()
    out_cuda = layer_cuda(x_cuda)
    out_cuda.square().sum().backward()
    torch.testing.assert_close(out_cuda.cpu(), out, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(x_cuda.grad.cpu(), x.grad, rtol=1e-3, atol=1e-3)


def test_off_pyramid_cuda_matches_cpu():
    pyramid = make_pyramid()
    feats = pyramid_inputs()
    with torch.no_grad():
        ref = pyramid(feats)
        out = to_cuda_copy(pyramid)([f.to(CUDA) for f in feats])
    for o, r in zip(out, ref):
        torch.testing.assert_close(o.cpu(), r, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('dtype', AMP_DTYPES)
def test_off_pyramid_autocast_forward_and_backward(dtype):
    pyramid = to_cuda_copy(make_pyramid()).train()
    feats = [f.to(CUDA).requires_grad_() for f in pyramid_inputs()]
    with torch.no_grad():
        ref = pyramid(feats)
    with torch.autocast('cuda', dtype=dtype):
        out = pyramid(feats)
    assert all(o.dtype == dtype for o in out)
    for o, r in zip(out, ref):
        assert relative_error(o, r) < 0.05
    scaler = torch.amp.GradScaler('cuda', enabled=dtype == torch.float16)
    scaler.scale(sum(o.float().square().mean() for o in out)).backward()
    grads = [p.grad for p in pyramid.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    assert all(torch.isfinite(f.grad).all() for f in feats)


def test_off_pyramid_channels_last_matches_contiguous():
    pyramid = to_cuda_copy(make_pyramid())
    feats = [f.to(CUDA) for f in pyramid_inputs()]
    with torch.no_grad():
        ref = pyramid(feats)
        pyramid_cl = pyramid.to(memory_format=torch.channels_last)
        out = pyramid_cl(
            [f.contiguous(memory_format=torch.channels_last) for f in feats])
    for o, r in zip(out, ref):
        torch.testing.assert_close(o.contiguous(), r, rtol=1e-4, atol=1e-4)


def psroi_case(seed=0):
    gen = torch.Generator().manual_seed(seed)
    k, channels = 3, 4
    x = torch.randn(2, channels * k * k, 24, 32, generator=gen)
    boxes = torch.rand(
        12, 4, generator=gen) * torch.tensor([400., 300., 400., 300.])
    x1y1 = torch.minimum(boxes[:, :2], boxes[:, 2:])
    x2y2 = torch.maximum(boxes[:, :2], boxes[:, 2:]) + 8
    rois = torch.cat(
        [torch.randint(0, 2, (12, 1), generator=gen).float(), x1y1, x2y2],
        dim=1)
    return x, rois, k


@pytest.mark.parametrize(
    'op', [psroi_pool, psroi_align], ids=['pool', 'align'])
def test_psroi_cuda_matches_cpu(op):
    x, rois, k = psroi_case()
    x.requires_grad_()
    out = op(x, rois, k, 1 / 16)
    out.sum().backward()
    x_cuda = x.detach().to(CUDA).requires_grad_()
    out_cuda = op(x_cuda, rois.to(CUDA), k, 1 / 16)
    out_cuda.sum().backward()
    torch.testing.assert_close(out_cuda.cpu(), out, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(x_cuda.grad.cpu(), x.grad, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('dtype', AMP_DTYPES)
@pytest.mark.parametrize(
    'op', [psroi_pool, psroi_align], ids=['pool', 'align'])
def test_psroi_on_half_precision_maps(op, dtype):
    x, rois, k = psroi_case()
    ref = op(x.to(CUDA), rois.to(CUDA), k, 1 / 16)
    with torch.autocast('cuda', dtype=dtype):
        out = op(x.to(CUDA, dtype), rois.to(CUDA), k, 1 / 16)
    assert torch.isfinite(out).all()
    assert relative_error(out, ref) < 0.02


def make_dncnn_off():
    torch.manual_seed(0)
    return DnCNNOFFNet(
        num_frames=3,
        channels=16,
        head_convs=2,
        merge_convs=2,
        tail_convs=3,
        off_channels=8).eval()


def test_dncnn_off_cuda_matches_cpu_and_channels_last():
    net = make_dncnn_off()
    frames = torch.rand(2, 3, 3, 40, 48)
    with torch.no_grad():
        ref = net(frames)
        net_cuda = to_cuda_copy(net)
        out = net_cuda(frames.to(CUDA))
        out_cl = net_cuda.to(memory_format=torch.channels_last)(
            frames.to(CUDA))
    torch.testing.assert_close(out.cpu(), ref, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(out_cl.cpu(), ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('dtype', AMP_DTYPES)
def test_dncnn_off_autocast_train_step(dtype):
    net = to_cuda_copy(make_dncnn_off()).train()
    frames = torch.rand(2, 3, 3, 40, 48, device=CUDA)
    clean = frames[:, 1]
    optim = torch.optim.Adam(net.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler('cuda', enabled=dtype == torch.float16)
    losses = []
    for _ in range(5):
        with torch.autocast('cuda', dtype=dtype):
            loss = (net(frames) - clean).square().mean()
        optim.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optim)
        scaler.update()
        losses.append(loss.item())
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < losses[0]


STAGE2 = osp.join(
    REPO, 'configs/off_tsn',
    'off-tsn_tsn-1x1x4-8e-pretrained-r18_1xb16-1x1x4-25e_offmotion-rgb.py')


def build_recognizer(path):
    import off_plugins.mmaction  # noqa: F401
    from mmaction.registry import MODELS
    from mmaction.utils import register_all_modules
    from mmengine.config import Config
    register_all_modules(init_default_scope=False)
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(path).model)
    model.init_weights()
    return model


def action_samples(labels):
    from test_mmaction_models import samples
    return samples(labels)


@needs_module('mmaction')
def test_off_recognizer_cuda_test_step_matches_cpu():
    model = build_recognizer(STAGE2).eval()
    t = model.neck.test_num_segments
    inputs = torch.rand(2, t, 3, 64, 64) * 255
    with torch.no_grad():
        ref = model.test_step(
            dict(inputs=list(inputs), data_samples=action_samples([0, 1])))
        model_cuda = to_cuda_copy(model)
        out = model_cuda.test_step(
            dict(
                inputs=list(inputs.to(CUDA)),
                data_samples=action_samples([0, 1])))
    torch.testing.assert_close(
        torch.stack([o.pred_score.cpu() for o in out]),
        torch.stack([r.pred_score for r in ref]),
        rtol=1e-3,
        atol=1e-4)


@needs_module('mmaction')
@pytest.mark.parametrize('dtype', ['bfloat16', 'float16'])
def test_off_recognizer_amp_channels_last_train_step(dtype):
    """Stage 2 as MMAction2 trains it with ``--amp``: AmpOptimWrapper, the
    OFF neck and head learning, the frozen backbone unchanged."""
    from mmengine.optim import AmpOptimWrapper
    model = build_recognizer(STAGE2).to(CUDA)
    model = model.to(memory_format=torch.channels_last).train()
    frozen = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    head = model.cls_head.off_fc_cls.weight.detach().clone()
    trainable = [p for p in model.parameters() if p.requires_grad]
    before = [p.detach().clone() for p in trainable]
    optim = AmpOptimWrapper(
        optimizer=torch.optim.AdamW(trainable, lr=1e-3), dtype=dtype)
    t = model.neck.num_segments
    inputs = torch.rand(4, t, 3, 64, 64, device=CUDA) * 255
    for _ in range(3):
        losses = model.train_step(
            dict(
                inputs=list(inputs), data_samples=action_samples([0, 1, 2,
                                                                  3])), optim)
        assert torch.isfinite(losses['loss'])
    changed = [
        not torch.equal(b, p.detach()) for b, p in zip(before, trainable)
    ]
    assert any(changed)
    for k, v in model.backbone.state_dict().items():
        assert torch.equal(v, frozen[k]), f'frozen backbone changed: {k}'
    assert not torch.equal(head, model.cls_head.off_fc_cls.weight)


MMCV_CUDA_OPS_MISSING = mmcv_cuda_ops_reason()


@pytest.mark.skipif(
    bool(MMCV_CUDA_OPS_MISSING),
    reason=f'detection on CUDA: {MMCV_CUDA_OPS_MISSING}')
def test_off_rfcn_cuda_train_step():
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.optim import OptimWrapper
    from mmengine.registry import DefaultScope
    import off_plugins.mmdet  # noqa: F401
    from test_mmdet_models import make_batch
    register_all_modules()
    path = osp.join(
        REPO, 'configs/rfcn_off/rfcn-off-ms_r18-tiny_1xb4-400it_toyvid.py')
    with DefaultScope.overwrite_default_scope('mmdet'):
        torch.manual_seed(0)
        model = MODELS.build(Config.fromfile(path).model).to(CUDA).train()
        wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
        batch = make_batch(num_samples=2, size=(96, 128), num_classes=3)
        log_vars = model.train_step(batch, wrapper)
        assert torch.isfinite(log_vars['loss'])
        model.eval()
        with torch.no_grad():
            (out, ) = model.test_step(
                make_batch(num_samples=1, size=(96, 128), num_classes=3))
        assert out[0].pred_instances.bboxes.device.type == 'cuda'
