"""Motion-stream inputs: RGB-diff, input-level OFF, flow flips, 5-frame segments."""
import glob
import os.path as osp

import cv2
import numpy as np
import off_plugins.mmaction  # noqa: F401
import pytest
from mmaction.datasets.transforms import Flip, TenCrop
from mmaction.registry import TRANSFORMS
from mmaction.utils import register_all_modules
from mmengine.config import Config
from mmengine.dataset import Compose
from off_plugins.core.off_layer import gradient_kernels
from off_plugins.mmaction import (FixedIntervalSampleFrames, FlowFlip,
                                  FlowTenCrop, RGBDiff, rgb_diff_channels)
from scipy.ndimage import correlate

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
FLOW_CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'off_tsn', '*flow*.py')))
register_all_modules(init_default_scope=False)


def frames(count, h=6, w=7, seed=0):
    rng = np.random.default_rng(seed)
    return [
        rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(count)
    ]


def test_rgb_diff_stacks_consecutive_differences():
    imgs = frames(2 * 5)  # 2 segments of 5 frames
    out = RGBDiff()(dict(imgs=imgs, clip_len=5, num_clips=2, filename='v.mp4'))
    stacked = out['imgs']
    assert stacked.shape == (2, 6, 7, 12) and stacked.dtype == np.int16
    assert out['clip_len'] == 1
    for s in range(2):
        for k in range(4):
            expected = (
                imgs[5 * s + k + 1].astype(np.float32) -
                imgs[5 * s + k].astype(np.float32))
            np.testing.assert_array_equal(stacked[s, ..., 3 * k:3 * k + 3],
                                          expected)


def test_input_level_off_matches_a_scipy_reference():
    imgs = frames(3)  # 1 segment of 3 frames -> 2 pairs
    out = RGBDiff(mode='off')(dict(imgs=imgs, clip_len=3, num_clips=1))
    stacked = out['imgs'][0]
    assert stacked.shape[-1] == rgb_diff_channels(3, 'off') == 18
    kernels = gradient_kernels('paper').numpy()
    for k in range(2):
        pair = stacked[..., 9 * k:9 * k + 9]
        frame = imgs[k].astype(np.float64)
        for c in range(3):
            for j, kernel in enumerate(kernels):
                ref = correlate(frame[..., c], kernel, mode='constant', cval=0)
                np.testing.assert_allclose(
                    pair[..., 2 * c + j], ref, atol=1e-3)
        np.testing.assert_array_equal(
            pair[..., 6:],
            imgs[k + 1].astype(np.float32) - imgs[k].astype(np.float32))


def test_rgb_diff_keeps_crops_apart():
    imgs = frames(3 * 2 * 5)  # ThreeCrop x 2 segments x 5 frames
    out = RGBDiff()(dict(imgs=imgs, clip_len=5, num_clips=2))
    assert out['imgs'].shape[0] == 6
    np.testing.assert_array_equal(out['imgs'][5, ..., 9:],
                                  imgs[29].astype(np.float32) - imgs[28])


def test_rgb_diff_channels():
    assert rgb_diff_channels(5) == 12
    assert rgb_diff_channels(5, 'off') == 36
    assert rgb_diff_channels(5, 'off', 'combined') == 24
    with pytest.raises(ValueError, match='mode must be one of'):
        rgb_diff_channels(5, 'flow')
    with pytest.raises(ValueError, match='clip_len must be >= 2'):
        rgb_diff_channels(1)


def test_rgb_diff_bad_input_names_the_video():
    with pytest.raises(
            ValueError, match='v.mp4: RGBDiff needs segments of >= 2'):
        RGBDiff()(
            dict(imgs=frames(3), clip_len=1, num_clips=3, filename='v.mp4'))
    with pytest.raises(ValueError, match='v.mp4: expected RGB frames'):
        RGBDiff()(
            dict(imgs=frames(7), clip_len=5, num_clips=1, filename='v.mp4'))


def square_pair(shift, size=40):
    """Two gray frames: a textured square moving right by ``shift`` pixels."""
    rng = np.random.default_rng(0)
    background = cv2.GaussianBlur(
        rng.integers(0, 60, (size, size)).astype(np.uint8), (5, 5), 0)
    patch = cv2.GaussianBlur(
        rng.integers(120, 255, (12, 12)).astype(np.uint8), (3, 3), 0)
    out = []
    for x in (10, 10 + shift):
        frame = background.copy()
        frame[14:26, x:x + 12] = patch
        out.append(frame)
    return out


def quantised_tvl1(a, b, bound=20.0):
    flow = cv2.optflow.DualTVL1OpticalFlow_create().calc(a, b, None)
    flow = np.clip(flow, -bound, bound)
    return ((flow + bound) * (255 / (2 * bound))).astype(np.uint8)  # (H, W, 2)


def test_flow_flip_equals_the_flow_of_the_flipped_video():
    a, b = square_pair(3)
    frames_xy = [quantised_tvl1(a, b)] * 2  # two decoded (H, W, 2) flow frames
    of_flipped = quantised_tvl1(a[:, ::-1].copy(), b[:, ::-1].copy())
    results = dict(
        imgs=[f.copy() for f in frames_xy], modality='Flow', img_shape=a.shape)
    ours = FlowFlip(flip_ratio=1.0)(dict(results))['imgs']
    stock = Flip(flip_ratio=1.0)(dict(
        results, imgs=[f.copy() for f in frames_xy]))['imgs']
    region = (slice(12, 28), slice(8, 32))  # around the moving square
    assert frames_xy[0][region][..., 0].mean() > 130  # moving right
    for img in ours:
        err = np.abs(img[region].astype(int) - of_flipped[region]).mean()
        assert err < 1.5
        assert img[region][..., 0].mean() < 124  # moving left after the flip
    # MMAction2's Flip inverts both components of every other frame and none
    # of the rest: the second frame still moves right.
    assert stock[1][region][..., 0].mean() > 130


def test_flow_flip_leaves_rgb_to_flip():
    imgs = frames(2)
    out = FlowFlip(flip_ratio=1.0)(
        dict(imgs=[i.copy() for i in imgs], modality='RGB', img_shape=(6, 7)))
    np.testing.assert_array_equal(out['imgs'][1], imgs[1][:, ::-1])


def ten_crops(transform, imgs, modality):
    results = dict(
        imgs=[i.copy() for i in imgs],
        modality=modality,
        img_shape=imgs[0].shape[:2])
    return transform(results)['imgs']


def test_flow_ten_crop_negates_x_of_the_mirrored_views_only():
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (9, 11, 2), dtype=np.uint8) for _ in range(3)]
    ours = ten_crops(FlowTenCrop(crop_size=5), imgs, 'Flow')
    stock = ten_crops(TenCrop(crop_size=5), imgs, 'Flow')
    assert len(ours) == 10 * 3
    for view in range(10):
        for i in range(3):
            a, b = ours[3 * view + i], stock[3 * view + i]
            if view % 2 == 0:  # crop as it is
                np.testing.assert_array_equal(a, b)
                continue
            # mirrored crop: x negated around the quantisation centre, y as is
            np.testing.assert_array_equal(a[..., 0], 255 - b[..., 0])
            np.testing.assert_array_equal(a[..., 1], b[..., 1])
            np.testing.assert_array_equal(a[..., 1],
                                          ours[3 * (view - 1) + i][:, ::-1, 1])


def test_flow_ten_crop_of_alternating_x_y_frames():
    """ArrayDecode's layout: 2-D frames x, y, x, y: only the x frames of the
    mirrored views are negated."""
    rng = np.random.default_rng(1)
    imgs = [rng.integers(0, 256, (8, 8), dtype=np.uint8) for _ in range(4)]
    ours = ten_crops(FlowTenCrop(crop_size=6), imgs, 'Flow')
    stock = ten_crops(TenCrop(crop_size=6), imgs, 'Flow')
    for k, (a, b) in enumerate(zip(ours, stock)):
        mirrored_x = (k // 4) % 2 == 1 and k % 2 == 0
        np.testing.assert_array_equal(a, 255 - b if mirrored_x else b)


def test_flow_ten_crop_equals_the_flow_of_the_mirrored_video():
    a, b = square_pair(3)
    flow = quantised_tvl1(a, b)  # (40, 40, 2), the square moving right
    of_mirrored = quantised_tvl1(a[:, ::-1].copy(), b[:, ::-1].copy())
    views = ten_crops(FlowTenCrop(crop_size=40), [flow], 'Flow')
    region = (slice(12, 28), slice(8, 32))  # the square, mirrored or not
    assert views[0][region][..., 0].mean() > 130  # moving right
    for mirrored in views[1::2]:
        err = np.abs(mirrored[region].astype(int) - of_mirrored[region]).mean()
        assert err < 1.5
        assert mirrored[region][..., 0].mean() < 124  # moving left
    # TenCrop leaves the mirrored view moving right
    stock = ten_crops(TenCrop(crop_size=40), [flow], 'Flow')
    assert stock[1][region][..., 0].mean() > 130


def test_flow_ten_crop_leaves_rgb_as_ten_crop():
    imgs = frames(2, h=8, w=9)
    ours = ten_crops(FlowTenCrop(crop_size=6), imgs, 'RGB')
    stock = ten_crops(TenCrop(crop_size=6), imgs, 'RGB')
    for a, b in zip(ours, stock):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize('path', FLOW_CONFIGS, ids=osp.basename)
def test_flow_configs_negate_x_wherever_they_mirror(path):
    """No flow pipeline mirrors through MMAction2's Flip or TenCrop, which
    keep flow-x's sign; the 10-crop test of the UCF-101 / HMDB-51 streams
    (TSN baselines included) uses FlowTenCrop."""
    cfg = Config.fromfile(path)
    for split in ('train', 'val', 'test'):
        steps = [s.type for s in cfg[f'{split}_dataloader'].dataset.pipeline]
        assert not {'Flip', 'TenCrop', 'ThreeCrop'} & set(steps), (split,
                                                                   steps)
    if 'offmotion' not in path:
        steps = [s.type for s in cfg.test_dataloader.dataset.pipeline]
        assert 'FlowTenCrop' in steps


@pytest.mark.parametrize('total', [5, 7, 12])
def test_five_frame_segments_stay_whole_in_short_videos(total):
    for kwargs in (dict(test_mode=True), dict(seed=3)):
        t = FixedIntervalSampleFrames(3, 8, clip_len=5, **kwargs)
        inds = t(dict(total_frames=total, start_index=0,
                      filename='v'))['frame_inds']
        segs = inds.reshape(-1, 5)
        assert np.all(np.diff(segs, axis=1) == 1)  # 5 real consecutive frames
        assert segs.min() >= 0 and segs.max() <= total - 1


def test_video_shorter_than_a_segment_names_the_video():
    t = FixedIntervalSampleFrames(3, 8, clip_len=5)
    with pytest.raises(
            ValueError,
            match=r'v\.mp4: video has 4 frames, too short '
            'for segments of 5 consecutive frames'):
        t(dict(total_frames=4, start_index=0, filename='v.mp4'))


def test_rgb_diff_pipeline_on_a_real_video(tmp_path):
    from data_tools.motion import make_motion_dataset
    root = tmp_path / 'offmotion'
    make_motion_dataset(str(root), videos_per_class={'val': 1}, num_frames=20)
    cfg = Config.fromfile(
        osp.join(
            REPO,
            'configs/off_tsn/tsn_r18_1xb16-5x1x4-8e_offmotion-rgbdiff.py'))
    pipeline = Compose([TRANSFORMS.build(t) for t in cfg.test_pipeline])
    video = str(root / 'videos' / 'val' / 'right_fast_000.mp4')
    out = pipeline(
        dict(filename=video, label=1, start_index=0, modality='RGB'))
    # 8 test segments, 12 stacked difference channels, 64 x 64
    assert tuple(out['inputs'].shape) == (8, 12, 64, 64)
    assert out['inputs'].abs().max() > 0


def torchvision_state_dict(model):
    """A ResNet's weights under torchvision's names (the mapping MMAction2 loads)."""
    from mmcv.cnn import ConvModule
    state = {}
    for name, module in model.named_modules():
        if not isinstance(module, ConvModule):
            continue
        if 'downsample' in name:
            conv, bn = name + '.0', name + '.1'
        else:
            conv, bn = name, name.replace('conv', 'bn')
        state[conv + '.weight'] = module.conv.weight.detach().clone()
        for key, value in list(module.bn.named_parameters()) + list(
                module.bn.named_buffers()):
            state[f'{bn}.{key}'] = value.detach().clone()
    return state


@pytest.mark.parametrize('in_channels', [10, 12])
def test_cross_modality_init_averages_the_rgb_conv1(tmp_path, in_channels):
    import torch
    from mmaction.models.backbones import ResNet
    from off_plugins.mmaction import CrossModalityResNet
    torch.manual_seed(0)
    rgb = ResNet(depth=18, pretrained=None)
    rgb.init_weights()
    state = torchvision_state_dict(rgb)
    assert 'conv1.weight' in state and 'layer2.0.downsample.0.weight' in state
    path = str(tmp_path / 'resnet18_tv.pth')
    torch.save(state, path)

    model = CrossModalityResNet(
        depth=18, pretrained=path, in_channels=in_channels)
    model.init_weights()
    expected = state['conv1.weight'].mean(
        1, keepdim=True).repeat(1, in_channels, 1, 1)
    torch.testing.assert_close(model.conv1.conv.weight, expected)
    torch.testing.assert_close(model.layer3[1].conv2.conv.weight,
                               state['layer3.1.conv2.weight'])
    # MMAction2's ResNet leaves this conv1 at its random initialisation
    stock = ResNet(depth=18, pretrained=path, in_channels=in_channels)
    stock.init_weights()
    assert not torch.allclose(stock.conv1.conv.weight, expected)
    assert model(torch.rand(2, in_channels, 32, 32)).shape == (2, 512, 1, 1)
