"""OFF neck/head inside MMAction2's stock Recognizer2D, built from shipped configs."""
import copy
import glob
import os.path as osp

import off_plugins.mmaction  # noqa: F401
import pytest
import torch
from analysis_tools.models import input_channels
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmaction.utils import register_all_modules
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from off_plugins.mmaction import OFFNeck

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'off_ts[nm]', '*.py')))
# Every OFF model variant once: split 2/3 configs differ from split 1 only in
# their annotation files (their builds are checked above).
OFF_CONFIGS = [
    c for c in CONFIGS if not osp.basename(c).startswith('tsn_')
    and 'split2' not in c and 'split3' not in c
]
register_all_modules(init_default_scope=False)


def build(path):
    cfg = Config.fromfile(path)
    model = MODELS.build(cfg.model)
    return cfg, model


def samples(labels):
    out = []
    for label in labels:
        d = ActionDataSample()
        d.set_gt_label(label)
        out.append(d)
    return out


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_every_config_builds(path):
    cfg, model = build(path)
    assert model.__class__.__name__ == 'Recognizer2D'
    assert cfg.default_scope == 'mmaction'
    for split in ('train', 'val', 'test'):
        pipeline = cfg[f'{split}_dataloader'].dataset.pipeline
        steps = [step.type for step in pipeline]
        # Videos are opened by the loader that names a bad file.
        assert 'DecordInit' not in steps, (split, steps)
        # Every dump says which video each score is for (fusion needs it).
        assert steps[-1] == 'PackActionInputs'
        assert {'filename', 'frame_dir'} <= set(pipeline[-1].meta_keys)
    # Checkpoints survive a kill, resumes are exact, inputs are checked.
    assert cfg.default_hooks.checkpoint.type == 'AtomicCheckpointHook'
    hooks = {hook.type: hook for hook in cfg.custom_hooks}
    assert {'RandomStateHook', 'InputCheckHook',
            'CheckpointCoverageHook'} <= set(hooks)
    frozen = cfg.model.backbone.get('frozen_stages', -1) >= 4
    required = hooks['CheckpointCoverageHook'].get('required', ())
    # A stage-2 config (frozen backbone) requires its backbone to be loaded.
    assert ('backbone.' in required) == frozen


@pytest.mark.parametrize('path', OFF_CONFIGS, ids=osp.basename)
def test_off_config_train_and_test_step(path):
    cfg, model = build(path)
    assert isinstance(model.neck, OFFNeck)
    model.init_weights()
    torch.manual_seed(0)
    t, t_test = model.neck.num_segments, model.neck.test_num_segments
    size = 64
    channels = input_channels(model)  # RGB 3, flow 10, RGB-diff 12
    model.train()
    inputs = torch.rand(2, t, channels, size, size) * 255
    optim = OptimWrapper(
        torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                        lr=0.01))
    losses = model.train_step(
        dict(inputs=list(inputs), data_samples=samples([0, 1])), optim)
    num_scales = len(model.neck.pyramid.units)
    assert {f'loss_off_scale{i}' for i in range(num_scales - 1)} <= set(losses)
    assert torch.isfinite(losses['loss']) and losses['loss'] > 0
    model.eval()
    views = 2
    inputs = torch.rand(2, views * t_test, channels, size, size) * 255
    with torch.no_grad():
        out = model.test_step(
            dict(inputs=list(inputs), data_samples=samples([0, 1])))
    scores = torch.stack([d.pred_score for d in out])
    num_classes = model.cls_head.num_classes
    assert scores.shape == (2, num_classes)
    torch.testing.assert_close(scores.sum(1), torch.ones(2))  # averaged probs


def toy_neck(**kwargs):
    neck = OFFNeck(
        in_channels=(8, 16),
        num_classes=5,
        num_segments=3,
        stage_channels=(4, 6),
        blocks_per_stage=1,
        reduced_channels=4,
        spatial_channels=2,
        **kwargs)
    neck.init_weights()
    return neck


def test_pairs_stay_inside_a_view():
    torch.manual_seed(0)
    neck = toy_neck(test_num_segments=4).eval()
    # N=1 sample, V=3 views of T=4 segments: S = 12
    x = [torch.randn(1, 8, 12, 8, 8), torch.randn(1, 16, 12, 4, 4)]
    out, _ = neck(x)
    assert out.shape == (3, 16 + 6, 1, 1, 1)
    changed = [e.clone() for e in x]
    for e in changed:
        e[:, :, 4:8] += 5.0  # perturb only view 1
    out2, _ = neck(changed)
    torch.testing.assert_close(out2[0], out[0])
    torch.testing.assert_close(out2[2], out[2])
    assert not torch.allclose(out2[1], out[1])


def test_neck_backbone_part_is_segment_average():
    neck = toy_neck(test_num_segments=4).eval()
    x = [torch.randn(2, 8, 8, 8, 8), torch.randn(2, 16, 8, 4, 4)]
    out, _ = neck(x)  # 2 samples x 2 views
    expected = x[-1].mean(dim=(3, 4)).unflatten(2, (2, 4)).mean(3)  # (N, C, V)
    torch.testing.assert_close(out[:, :16, 0, 0, 0],
                               expected.transpose(1, 2).flatten(0, 1))


def test_neck_aux_losses_only_in_training():
    neck = toy_neck().train()
    x = [torch.randn(2, 8, 3, 8, 8), torch.randn(2, 16, 3, 4, 4)]
    _, losses = neck(x, data_samples=samples([1, 2]))
    assert list(losses) == ['loss_off_scale0'
                            ] and losses['loss_off_scale0'] > 0
    _, losses = neck.eval()(x, data_samples=samples([1, 2]))
    assert losses == {}
    two_views = [torch.randn(2, 8, 6, 8, 8), torch.randn(2, 16, 6, 4, 4)]
    out, losses = neck.train()(two_views, data_samples=samples([1, 2]))
    assert out.shape[0] == 4 and losses['loss_off_scale0'] > 0


@pytest.mark.parametrize('kwargs, message', [
    (dict(num_segments=1), 'num_segments must be >= 2'),
    (dict(num_segments=3,
          test_num_segments=1), 'test_num_segments must be >= 2'),
])
def test_neck_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        OFFNeck(
            in_channels=(8, ), num_classes=3, stage_channels=(4, ), **kwargs)


def test_neck_rejects_frames_not_splitting_into_views():
    neck = toy_neck().train()
    x = [torch.randn(1, 8, 4, 8, 8), torch.randn(1, 16, 4, 4, 4)]
    with pytest.raises(ValueError, match='4 frames per sample do not split'):
        neck(x)
    with pytest.raises(ValueError, match='expects at least 2 backbone stages'):
        neck(x[:1])


def test_head_fuses_scores_at_test_time_only():
    cfg, model = build(
        osp.join(
            REPO, 'configs/off_tsn',
            'off-tsn_tsn-1x1x4-8e-pretrained-r18_1xb16-1x1x4-25e_offmotion-rgb.py'
        ))
    head = model.cls_head.eval()
    feats = torch.randn(3, head.in_channels + head.off_channels, 1, 1)
    base, off = head(feats)
    preds = head.predict(feats, samples([0, 1, 2]))
    fused = torch.softmax(base + off, dim=1)
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in preds]), fused)
    with pytest.raises(ValueError, match='OFFHead expects'):
        head(torch.randn(3, 7, 1, 1))


def test_stage_two_keeps_backbone_bit_identical():
    """Stage 2 loads a stage-1 state dict with no key surgery and trains
    only the OFF parts: backbone weights, BN statistics and the TSN
    classifier stay exactly as loaded."""
    _, stage1 = build(
        osp.join(REPO,
                 'configs/off_tsn/tsn_r18_1xb16-1x1x4-8e_offmotion-rgb.py'))
    stage1.init_weights()
    cfg, stage2 = build(
        osp.join(
            REPO, 'configs/off_tsn',
            'off-tsn_tsn-1x1x4-8e-pretrained-r18_1xb16-1x1x4-25e_offmotion-rgb.py'
        ))
    stage2.init_weights()
    missing, unexpected = stage2.load_state_dict(
        stage1.state_dict(), strict=False)
    assert unexpected == []
    assert all(k.startswith(('neck.', 'cls_head.off_fc_cls')) for k in missing)
    before = copy.deepcopy(stage2.state_dict())
    stage2.train()
    optim = OptimWrapper(
        torch.optim.SGD([p for p in stage2.parameters() if p.requires_grad],
                        lr=0.1,
                        momentum=0.9,
                        weight_decay=1e-4))
    inputs = torch.rand(2, 4, 3, 64, 64) * 255
    for _ in range(2):
        stage2.train_step(
            dict(inputs=list(inputs), data_samples=samples([0, 1])), optim)
    after = stage2.state_dict()
    frozen = [
        k for k in before if k.startswith(('backbone.', 'cls_head.fc_cls'))
    ]
    assert any('running_mean' in k for k in frozen)
    for k in frozen:
        assert torch.equal(before[k], after[k]), k
    trained = [
        k for k in before if k.startswith('neck.') and k.endswith('weight')
    ]
    assert any(not torch.equal(before[k], after[k]) for k in trained)


def test_head_loss_and_scores_in_float32_under_bfloat16():
    """``--amp`` with bfloat16: MMAction2's loss_by_feat computes top-k
    accuracy in numpy, which has no bfloat16; the head hands it float32."""
    _, model = build(
        osp.join(
            REPO, 'configs/off_tsn',
            'off-tsn_tsn-1x1x4-8e-pretrained-r18_1xb16-1x1x4-25e_offmotion-rgb.py'
        ))
    head = model.cls_head.to(torch.bfloat16)
    feats = torch.randn(
        3, head.in_channels + head.off_channels, 1, 1, dtype=torch.bfloat16)
    losses = head.loss(feats, samples([0, 1, 2]))
    assert losses['loss_cls'].dtype == torch.float32
    preds = head.eval().predict(feats, samples([0, 1, 2]))
    assert preds[0].pred_score.dtype == torch.float32


def test_released_preset_changes_only_the_off_sub_network():
    """The released-widths TSM config is the light one with bottleneck
    stages of 256/512/1024 channels, an unactivated spatial reduction and a
    1024-d OFF classifier; nothing else differs."""
    from off_plugins.core import BottleneckBlock
    folder = osp.join(REPO, 'configs/off_tsm')
    name = 'tsm-1x1x8-100e-pretrained-r50_8xb16-1x1x8-110e_kinetics400-rgb.py'
    light = Config.fromfile(osp.join(folder, f'off-tsm_{name}')).to_dict()
    released = Config.fromfile(osp.join(folder,
                                        f'off-tsm-released_{name}')).to_dict()
    neck, head = released['model'].pop('neck'), released['model'].pop(
        'cls_head')
    light_neck, light_head = light['model'].pop('neck'), light['model'].pop(
        'cls_head')
    assert {
        k: v
        for k, v in neck.items() if light_neck.get(k) != v
    } == dict(
        stage_channels=(256, 512, 1024), block='bottleneck', spatial_act=False)
    assert set(light_neck) - set(neck) == set()
    assert {
        k: v
        for k, v in head.items() if light_head[k] != v
    } == dict(off_channels=1024)
    released.pop('off_channels')
    assert released == light
    _, model = build(osp.join(folder, f'off-tsm-released_{name}'))
    stages = model.neck.pyramid.stages
    assert all(isinstance(b, BottleneckBlock) for s in stages for b in s)
    assert [s[-1].conv3.out_channels for s in stages] == [256, 512, 1024]
    assert all(not any(
        isinstance(m, torch.nn.ReLU) for m in u.spatial_reduce.modules())
               for u in model.neck.pyramid.units)
    assert model.cls_head.off_fc_cls.in_features == 1024
