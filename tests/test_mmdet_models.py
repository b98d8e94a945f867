"""OFF R-FCN models built from the shipped configs, on tiny inputs."""
import copy
import glob
import os.path as osp

import off_plugins  # noqa: F401  (compatibility fixes before mmdet)
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from off_plugins.core import SqueezeExcite
from off_plugins.mmdet import OFFReduceNeck, RFCNBBoxHead

CONFIGS = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', 'rfcn_off')
REAL = {
    'rfcn': 'rfcn_r101_4xb1-220k_imagenetvid.py',
    'ss-wo-se': 'rfcn-off-ss-wo-se_r101_4xb1-220k_imagenetvid.py',
    'ss': 'rfcn-off-ss_r101_4xb1-220k_imagenetvid.py',
    'ms': 'rfcn-off-ms_r101_4xb1-220k_imagenetvid.py',
}
TOY = {
    'rfcn': 'rfcn_r18-tiny_1xb4-400it_toyvid.py',
    'ss': 'rfcn-off-ss_r18-tiny_1xb4-400it_toyvid.py',
    'ms': 'rfcn-off-ms_r18-tiny_1xb4-400it_toyvid.py',
}

register_all_modules()


@pytest.fixture(autouse=True)
def mmdet_scope():
    """Build in mmdet's scope whatever another test module left as default."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


def build(name: str, table=REAL):
    cfg = Config.fromfile(osp.join(CONFIGS, table[name]))
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def make_batch(num_samples=1,
               size=(64, 96),
               key_first=False,
               num_classes=30,
               seed=0):
    """Raw batch as the dataloader gives it: (key, reference) frames per sample."""
    gen = torch.Generator().manual_seed(seed)
    h, w = size
    inputs, samples = [], []
    for n in range(num_samples):
        inputs.append(
            torch.randint(
                0, 256, (2, 3, h, w), generator=gen, dtype=torch.uint8))
        frames = []
        for t in range(2):
            frame = DetDataSample(
                metainfo=dict(
                    img_shape=(h, w),
                    ori_shape=(h, w),
                    scale_factor=(1.0, 1.0),
                    img_path=f'video{n}/{t}.jpg',
                    img_id=2 * n + t,
                    frame_id=t))
            frame.gt_instances = InstanceData(
                bboxes=torch.tensor([[8.0, 6.0, 40.0, 50.0],
                                     [50.0, 10.0, 90.0, 40.0]]),
                labels=torch.tensor([1, num_classes - 1]))
            frames.append(frame)
        key = 0 if key_first else 1
        sample = TrackDataSample(
            metainfo=dict(key_frames_inds=[key], ref_frames_inds=[1 - key]))
        sample.video_data_samples = frames
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


@pytest.fixture(scope='module')
def real_models():
    return {name: build(name) for name in REAL}


def test_table7_rows_differ_only_in_off(real_models):
    necks = {name: m.neck for name, m in real_models.items()}
    assert necks['rfcn'].num_frames == 1 and necks['rfcn'].off is None
    for name in ('ss-wo-se', 'ss', 'ms'):
        assert necks[name].num_frames == 2
    assert len(necks['ss'].off.pyramid.units) == 1
    assert [u.in_channels
            for u in necks['ms'].off.pyramid.units] == [512, 1024]
    count_se = {
        name: sum(isinstance(m, SqueezeExcite) for m in n.modules())
        for name, n in necks.items()
    }
    assert count_se['ss-wo-se'] == 0 and count_se['ss'] > 0
    for model in real_models.values():
        assert model.backbone.depth == 101
        assert model.neck.out_channels == 1024
        assert model.rpn_head.in_channels == 512
        head = model.roi_head.bbox_head
        assert (head.in_channels, head.roi_feat_size,
                head.num_classes) == (512, (7, 7), 30)
        # position-sensitive maps: k*k*(C+1) scores, k*k*4 class-agnostic boxes
        assert head.fc_cls.out_channels == 49 * 31 and head.fc_reg.out_channels == 49 * 4


@pytest.mark.parametrize('name', list(REAL))
def test_real_config_losses(real_models, name):
    """Every Table 7 row trains; the final (MS) row is also run backward."""
    model = real_models[name].train()
    data = model.data_preprocessor(make_batch(size=(48, 64)), training=True)
    assert data['inputs'].shape == (1, 2, 3, 48, 64)
    losses = model.loss(**data)
    for key in ('loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox',
                'acc'):
        assert key in losses, key
    total = sum(v.sum() if isinstance(v, torch.Tensor) else sum(v)
                for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total) and total > 0
    if name != 'ms':
        return
    model.zero_grad()
    total.backward()
    assert model.roi_head.bbox_head.fc_cls.weight.grad.abs().sum() > 0
    for unit in model.neck.off.pyramid.units:  # both OFF scales receive gradient
        assert unit.reduce[0].weight.grad.abs().sum() > 0


@pytest.mark.parametrize(
    'config',
    sorted(osp.basename(p) for p in glob.glob(osp.join(CONFIGS, '*.py'))))
def test_every_shipped_config_builds(config, real_models):
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    model = (
        real_models[next(k for k, v in REAL.items() if v == config)]
        if config in REAL.values() else MODELS.build(cfg.model))
    is_off = cfg.model.neck.off is not None
    assert model.neck.num_frames == (2 if is_off else 1)
    # OFF tests a frame against its reference at the training gap and direction
    train_offset = cfg.train_dataloader.dataset.get('pipeline',
                                                    [{}])[0].get('offset')
    if 'datasets' in cfg.train_dataloader.dataset:
        train_offset = cfg.train_dataloader.dataset.datasets[0].pipeline[
            0].offset
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        assert loader.dataset.test_ref_offset == (
            train_offset if is_off else None)
    assert cfg.default_hooks.visualization.type == 'VideoDetVisualizationHook'


@pytest.fixture(scope='module')
def toy_models():
    return {name: build(name, TOY) for name in TOY}


@pytest.mark.parametrize('name', list(TOY))
def test_toy_train_step_and_test_step(toy_models, name):
    model = copy.deepcopy(toy_models[name]).train()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    batch = make_batch(num_samples=2, size=(96, 128), num_classes=3)
    before = model.roi_head.bbox_head.fc_cls.weight.clone()
    log_vars = model.train_step(batch, wrapper)
    assert torch.isfinite(log_vars['loss']) and log_vars['loss'] > 0
    assert not torch.equal(before, model.roi_head.bbox_head.fc_cls.weight)
    model.eval()
    with torch.no_grad():
        outputs = model.test_step(
            make_batch(num_samples=1, size=(96, 128), num_classes=3))
    (out, ) = outputs
    assert isinstance(out, TrackDataSample) and len(out) == 1
    pred = out[0].pred_instances
    assert out[0].img_path == 'video0/1.jpg'  # the key frame, not the reference
    assert pred.bboxes.shape[1] == 4 and len(pred.bboxes) == len(pred.scores)
    if len(pred.bboxes):
        assert pred.bboxes[:, 2].max() <= 128 and pred.bboxes[:, 3].max() <= 96
        assert pred.labels.max() < 3 and (pred.scores <= 1).all()


def key_features(model, batch):
    data = model.data_preprocessor(batch, training=False)
    frames, _, _ = model.select_frames(data['inputs'], data['data_samples'])
    with torch.no_grad():
        return model.neck(model.backbone(frames))  # (N, C, h, w)


def test_off_uses_the_reference_frame_and_baseline_ignores_it(toy_models):
    for name, expect_change in (('rfcn', False), ('ms', True)):
        model = toy_models[name].eval()
        batch = make_batch(size=(96, 128))
        a = key_features(model, batch)
        batch['inputs'][0][0] = batch['inputs'][0][0].flip(
            -1)  # another reference
        b = key_features(model, batch)
        assert a.shape == (1, 128, 6, 8)
        assert (not torch.allclose(a, b)) == expect_change, name


@pytest.mark.parametrize('name', ['ss', 'ms'])
def test_off_detector_starts_as_the_single_frame_baseline(name):
    """After init_weights and an R-FCN checkpoint, OFF adds exactly nothing."""
    baseline, off = build('rfcn', TOY).eval(), build(name, TOY).eval()
    baseline.init_weights()
    off.init_weights()
    missing, unexpected = off.load_state_dict(
        baseline.state_dict(), strict=False)
    assert not unexpected
    assert missing and all(k.startswith('neck.off.') for k in missing)
    batch = make_batch(size=(96, 128), num_classes=3)
    batch['inputs'][0][0] = batch['inputs'][0][0].flip(
        -1)  # a reference unlike the key
    data = off.data_preprocessor(batch, training=False)
    frames, _, _ = off.select_frames(data['inputs'], data['data_samples'])
    with torch.no_grad():
        feats = off.backbone(frames)  # (reference, key)
        key = off.neck.reduce(feats[-1])[1:]
        assert torch.equal(off.neck(feats),
                           key)  # the OFF correction is exactly 0
    # the same as the baseline up to the float noise of a batch of 2 frames
    expected = key_features(baseline, batch)
    torch.testing.assert_close(
        key_features(off, batch), expected, rtol=1e-4, atol=1e-4)
    with torch.no_grad():
        a = baseline.test_step(make_batch(size=(96, 128), num_classes=3))[0][0]
        b = off.test_step(make_batch(size=(96, 128), num_classes=3))[0][0]
    torch.testing.assert_close(
        b.pred_instances.scores, a.pred_instances.scores, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(
        b.pred_instances.bboxes, a.pred_instances.bboxes, rtol=1e-4, atol=1e-3)
    # and the OFF branch can learn: its zero layer receives a gradient
    off.train()
    losses = off.loss(*off.data_preprocessor(
        make_batch(num_samples=2, size=(96,
                                        128), num_classes=3), True).values())
    off.parse_losses(losses)[0].backward()
    assert off.neck.off.fuse[-1].weight.grad.abs().sum() > 0


def test_key_frame_is_picked_whatever_the_order(toy_models):
    model = toy_models['ms']
    for key_first in (False, True):
        batch = make_batch(key_first=key_first)
        frames, keys, paths = model.select_frames(
            torch.stack(batch['inputs']).float(), batch['data_samples'])
        key = 0 if key_first else 1
        assert torch.equal(frames[1], batch['inputs'][0][key].float())
        assert keys[0].img_path == f'video0/{key}.jpg'
        assert paths == [[f'video0/{1 - key}.jpg', f'video0/{key}.jpg']]


def test_reused_reference_features_give_identical_detections(toy_models):
    """Test-time reuse of the previous frame's backbone output changes nothing."""
    model = copy.deepcopy(toy_models['ms']).eval()
    gen = torch.Generator().manual_seed(3)
    video = torch.randint(
        0, 256, (3, 3, 96, 128), generator=gen, dtype=torch.uint8)

    def pair(ref, key):
        frames = []
        for t in (ref, key):
            f = DetDataSample(
                metainfo=dict(
                    img_shape=(96, 128),
                    ori_shape=(96, 128),
                    scale_factor=(1.0, 1.0),
                    img_path=f'v/{t}.jpg'))
            f.gt_instances = InstanceData(
                bboxes=torch.zeros(0, 4),
                labels=torch.zeros(0, dtype=torch.long))
            frames.append(f)
        s = TrackDataSample(
            metainfo=dict(key_frames_inds=[1], ref_frames_inds=[0]))
        s.video_data_samples = frames
        return dict(inputs=[video[[ref, key]]], data_samples=[s])

    results = {}
    for reuse in (True, False):
        model.reuse_ref_feats = reuse
        model._last_key = None
        with torch.no_grad():
            results[reuse] = [
                model.test_step(pair(max(t - 1, 0), t))[0][0].pred_instances
                for t in range(3)
            ]
    for a, b in zip(results[True],
                    results[False]):  # up to batch-size float noise
        torch.testing.assert_close(a.bboxes, b.bboxes, rtol=1e-4, atol=1e-3)
        torch.testing.assert_close(a.scores, b.scores, rtol=1e-4, atol=1e-5)
    model.reuse_ref_feats = True
    with torch.no_grad():
        model.test_step(pair(0, 1))
    assert model._last_key is not None
    model.train()  # weights may change: the cached output must go
    assert model._last_key is None


def test_rfcn_head_votes_position_sensitive_scores():
    head = RFCNBBoxHead(
        in_channels=4,
        roi_feat_size=2,
        featmap_stride=4,
        num_classes=2,
        reg_class_agnostic=True)
    with torch.no_grad():
        head.fc_cls.weight.zero_()
        head.fc_cls.bias.zero_()
        head.fc_cls.bias[(1 * 2 + 0) * 2 + 1] = 8.0  # class 1, cell (0, 1)
    x = torch.randn(1, 4, 8, 8)
    rois = torch.tensor([[0, 0.0, 0.0, 31.0, 31.0], [0, 4.0, 4.0, 20.0, 12.0]])
    cls_score, bbox_pred = head(x, rois)
    assert cls_score.shape == (2, 3) and bbox_pred.shape == (2, 4)
    torch.testing.assert_close(cls_score, torch.tensor([[0.0, 2.0, 0.0]] * 2))


def test_neck_with_bottleneck_blocks_starts_as_the_key_features():
    """``block='bottleneck'`` (the released action code's refinement) in the
    OFF pyramid and the blend; the OFF correction still starts at zero."""
    from off_plugins.core import BottleneckBlock
    torch.manual_seed(0)
    neck = OFFReduceNeck(
        in_channels=[16, 32],
        out_channels=32,
        off=dict(
            type='OFFBranch',
            off_levels=(0, ),
            stage_channels=(16, 32),
            reduced_channels=8,
            block='bottleneck'))
    neck.init_weights()
    blocks = [m for m in neck.modules() if isinstance(m, BottleneckBlock)]
    assert len(blocks) == 3  # one a pyramid scale, one in the blend
    assert all(torch.count_nonzero(b.conv3.weight) == 0 for b in blocks)
    feats = [torch.randn(4, 16, 8, 8),
             torch.randn(4, 32, 4, 4)]  # 2 (ref, key) pairs
    with torch.no_grad():
        out = neck(feats)
        key = neck.reduce(feats[-1]).unflatten(0, (2, 2))[:, 1]
    assert out.shape == (2, 32, 4, 4)
    assert torch.equal(out, key)


@pytest.mark.parametrize('kwargs, error, message', [
    (dict(
        in_channels=[512, 2048], off=dict(type='OFFBranch', off_levels=(1, ))),
     ValueError, 'off_levels index 1'),
    (dict(in_channels=[512, 2048], off=dict(type='OFFBranch', se=True)),
     TypeError, "unexpected keyword argument 'se'"),
    (dict(in_channels=[], off=None), ValueError, 'in_channels must list'),
])
def test_neck_rejects_bad_settings(kwargs, error, message):
    with pytest.raises(error, match=message):
        OFFReduceNeck(**kwargs)


def test_bad_head_and_detector_settings():
    with pytest.raises(ValueError, match='sets with_avg_pool itself'):
        RFCNBBoxHead(with_avg_pool=False)
    cfg = Config.fromfile(osp.join(CONFIGS, TOY['rfcn'])).model
    bad = copy.deepcopy(cfg)
    bad.roi_head.bbox_roi_extractor = dict(type='SingleRoIExtractor')
    with pytest.raises(ValueError, match='bbox_roi_extractor=None'):
        MODELS.build(bad)
    bad = copy.deepcopy(cfg)
    bad.neck.out_channels = 127
    with pytest.raises(ValueError, match='must be even'):
        MODELS.build(bad)
    model = MODELS.build(cfg)
    batch = make_batch()
    batch['data_samples'][0].set_metainfo(dict(key_frames_inds=None))
    with pytest.raises(ValueError, match='must set key_frames_inds'):
        model.select_frames(
            torch.stack(batch['inputs']).float(), batch['data_samples'])
