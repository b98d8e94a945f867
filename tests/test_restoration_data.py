"""Vimeo-90K dataset on a generated folder, bad clips, PSNR/SSIM metric."""
import math
import os
import os.path as osp

import off_plugins  # noqa: F401
import numpy as np
import pytest
import torch
from off_plugins.restoration import (ClipError, RestorationMetric,
                                     Vimeo90KSeptupletDataset, frame_window,
                                     psnr, ssim, to_uint8_image)
from scipy.ndimage import gaussian_filter
from skimage.metrics import peak_signal_noise_ratio
from test_restoration_helpers import make_vimeo, write_rgb

LQ = 'sequences_jpeg2000_q20'


def dataset(root, num_frames=3, **kwargs):
    return Vimeo90KSeptupletDataset(
        ann_file='sep_testlist.txt',
        data_root=str(root),
        data_prefix=dict(gt='sequences', lq=LQ),
        num_frames=num_frames,
        **kwargs)


def test_frame_window_is_centred_on_frame_4():
    assert frame_window(4, 1, 7) == [4]
    assert frame_window(4, 2, 7) == [3, 4]
    assert frame_window(4, 3, 7) == [3, 4, 5]
    assert frame_window(4, 7, 7) == [1, 2, 3, 4, 5, 6, 7]
    with pytest.raises(ValueError, match='does not fit'):
        frame_window(4, 8, 7)


@pytest.mark.parametrize('num_frames', [1, 2, 3])
def test_items_hold_compressed_neighbours_and_clean_centre(
        tmp_path, num_frames):
    frames = make_vimeo(str(tmp_path))
    ds = dataset(tmp_path, num_frames, test_mode=True)
    assert len(ds) == 2
    item = ds[1]
    clean, noisy = frames['00001/0002']
    assert item['data_samples']['clip'] == '00001/0002'
    assert item['inputs'].shape == (num_frames, 3, 24, 32)
    want = noisy[frame_window(4, num_frames, 7)[0] - 1:][:num_frames]
    np.testing.assert_array_equal(
        item['inputs'].mul(255).round().byte().permute(0, 2, 3, 1).numpy(),
        want)
    np.testing.assert_array_equal(
        to_uint8_image(item['data_samples']['gt']), clean[3])


def test_random_crop_is_aligned_across_frames(tmp_path):
    make_vimeo(str(tmp_path), noise=0)
    ds = dataset(tmp_path, 3, crop_size=16)
    np.random.seed(0)
    crops = {tuple(ds[0]['inputs'].shape) for _ in range(5)}
    assert crops == {(3, 3, 16, 16)}
    item = ds[0]
    # without noise the compressed centre frame is the clean one
    torch.testing.assert_close(item['inputs'][1], item['data_samples']['gt'])
    full = dataset(tmp_path, 3, crop_size=16, test_mode=True)[0]
    assert full['inputs'].shape == (3, 3, 24, 32)


def test_cached_clips_are_read_once(tmp_path):
    make_vimeo(str(tmp_path))
    ds = dataset(tmp_path, 3, test_mode=True, cache_clips=True)
    first = ds[0]
    clip_dir = osp.join(tmp_path, LQ, '00001', '0001')
    for name in os.listdir(clip_dir):
        os.remove(osp.join(clip_dir, name))
    torch.testing.assert_close(ds[0]['inputs'], first['inputs'])
    with pytest.raises(ClipError, match='00001/0001'):
        dataset(tmp_path, 3, test_mode=True)[0]


def test_dataloader_collates_a_batch(tmp_path):
    from mmengine.dataset import default_collate
    make_vimeo(str(tmp_path))
    ds = dataset(tmp_path, 2, test_mode=True)
    data = default_collate([ds[0], ds[1]])
    assert data['inputs'].shape == (2, 2, 3, 24, 32)
    assert data['data_samples']['gt'].shape == (2, 3, 24, 32)
    assert data['data_samples']['clip'] == ['00001/0001', '00001/0002']


def bad_clip(root):
    return osp.join(root, LQ, '00001', '0002')


@pytest.mark.parametrize('damage, message', [
    ('resize', 'frames differ in size'),
    ('missing', 'missing frame'),
    ('short', 'has 2 frames'),
    ('gray', 'not an 8-bit RGB image'),
    ('rgba', 'not an 8-bit RGB image'),
])
def test_bad_clips_raise_an_error_naming_the_clip(tmp_path, damage, message):
    make_vimeo(str(tmp_path))
    clip_dir = bad_clip(str(tmp_path))
    rng = np.random.default_rng(1)
    if damage == 'resize':
        write_rgb(
            osp.join(clip_dir, 'im5.png'),
            rng.integers(0, 255, (20, 32, 3), dtype=np.uint8))
    elif damage == 'missing':
        os.remove(osp.join(clip_dir, 'im3.png'))
    elif damage == 'short':
        for i in range(3, 8):
            os.remove(osp.join(clip_dir, f'im{i}.png'))
    elif damage == 'gray':
        write_rgb(
            osp.join(clip_dir, 'im4.png'),
            rng.integers(0, 255, (24, 32), dtype=np.uint8))
    else:
        write_rgb(
            osp.join(clip_dir, 'im4.png'),
            rng.integers(0, 255, (24, 32, 4), dtype=np.uint8))
    ds = dataset(tmp_path, 3, test_mode=True)
    ds[0]  # the undamaged clip still loads
    with pytest.raises(ClipError, match=f'00001/0002.*{message}'):
        ds[1]


def test_missing_clean_frame_and_oversized_crop_raise(tmp_path):
    make_vimeo(str(tmp_path))
    os.remove(osp.join(tmp_path, 'sequences', '00001', '0001', 'im4.png'))
    with pytest.raises(ClipError, match='00001/0001.*missing frame'):
        dataset(tmp_path, 1, test_mode=True)[0]
    with pytest.raises(ClipError, match='00001/0002.*smaller than crop_size'):
        dataset(tmp_path, 1, crop_size=64)[1]


def test_bad_dataset_arguments_raise(tmp_path):
    make_vimeo(str(tmp_path))
    with pytest.raises(ValueError, match='keys gt and lq'):
        Vimeo90KSeptupletDataset(
            'sep_testlist.txt',
            str(tmp_path),
            data_prefix=dict(gt='sequences'))
    with pytest.raises(ValueError, match='pipeline must be empty'):
        dataset(tmp_path, 1, pipeline=[dict(type='LoadImageFromFile')])
    with pytest.raises(ValueError, match='crop_size'):
        dataset(tmp_path, 1, crop_size=0)
    open(osp.join(tmp_path, 'empty.txt'), 'w').close()
    with pytest.raises(ValueError, match='lists no clips'):
        Vimeo90KSeptupletDataset('empty.txt', str(tmp_path))


def reference_ssim(img, ref, sigma=1.5, truncate=3.5):
    """Wang et al. (2004) SSIM written out: Gaussian-blurred moments with
    scipy, population covariance, mean over the pixels whose window fits."""
    pad = int(truncate * sigma + 0.5)
    c1, c2 = (0.01 * 255)**2, (0.03 * 255)**2

    def blur(a):
        return gaussian_filter(a, sigma, truncate=truncate)

    scores = []
    for ch in range(img.shape[2]):
        x = img[..., ch].astype(np.float64)
        y = ref[..., ch].astype(np.float64)
        mx, my = blur(x), blur(y)
        vx, vy = blur(x * x) - mx * mx, blur(y * y) - my * my
        cxy = blur(x * y) - mx * my
        s = ((2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) *
                                                    (vx + vy + c2)))
        scores.append(s[pad:-pad, pad:-pad].mean())
    return float(np.mean(scores))


def test_psnr_and_ssim_match_direct_formulas_and_previous_values():
    rng = np.random.default_rng(0)
    ref = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    img = np.clip(ref + rng.normal(0, 12, ref.shape), 0, 255).astype(np.uint8)
    mse = np.mean((img.astype(float) - ref)**2)
    assert psnr(img, ref) == pytest.approx(
        10 * math.log10(255**2 / mse), abs=1e-9)
    assert psnr(ref, ref) == float('inf')
    assert ssim(img, ref) == pytest.approx(reference_ssim(img, ref), abs=1e-9)
    # the values of the hand-written numpy version this replaced
    assert psnr(img, ref) == pytest.approx(26.779972045600708, abs=1e-6)
    assert ssim(img, ref) == pytest.approx(0.9874736742081932, abs=1e-6)
    assert ssim(ref, ref) == pytest.approx(1.0)
    with pytest.raises(ValueError, match='same shape'):
        psnr(img, ref[:-1])
    with pytest.raises(ValueError, match='larger than 10 px'):
        ssim(img[:10], ref[:10])


def test_metric_reports_restored_and_input_quality():
    rng = np.random.default_rng(0)
    gt = torch.rand(3, 24, 32, generator=torch.Generator().manual_seed(0))
    lq = (
        gt +
        0.05 * torch.from_numpy(rng.standard_normal(gt.shape)).float()).clamp(
            0, 1)
    pred = (gt + 0.01).clamp(0, 1)
    metric = RestorationMetric()
    metric.process({}, [dict(pred=pred, lq=lq, gt=gt, clip='a')])
    res = metric.compute_metrics(metric.results)
    ref_gt = to_uint8_image(gt)
    # the prediction is rounded to 8 bits, as if saved as PNG
    rounded = np.round(np.clip(pred.numpy(), 0, 1) * 255).astype(np.uint8)
    assert res['PSNR'] == pytest.approx(
        peak_signal_noise_ratio(
            ref_gt, rounded.transpose(1, 2, 0), data_range=255))
    assert res['input_PSNR'] == pytest.approx(psnr(to_uint8_image(lq), ref_gt))
    assert res['PSNR'] > res['input_PSNR']
    assert res['SSIM'] > res['input_SSIM']
    metric.results.append(
        dict(PSNR=10.0, SSIM=0.5, input_PSNR=0.0, input_SSIM=0.0))
    both = metric.compute_metrics(metric.results)
    assert both['PSNR'] == pytest.approx((res['PSNR'] + 10.0) / 2)
