"""PS-RoI pooling/align against slow per-element loops, and gradcheck."""
import math

import pytest
import torch
from off_plugins.core.psroi import PSRoIPool, psroi_align, psroi_pool, vote


def loop_psroi_pool(x, rois, k, scale):
    """R-FCN's Caffe ``PSROIPoolingForward``, one output element at a time."""
    _, ctot, h, w = x.shape
    c_out = ctot // (k * k)
    out = torch.zeros(len(rois), c_out, k, k, dtype=x.dtype)
    for r, (b, rx1, ry1, rx2, ry2) in enumerate(rois.tolist()):
        x1, y1 = round(rx1) * scale, round(ry1) * scale
        x2, y2 = (round(rx2) + 1) * scale, (round(ry2) + 1) * scale
        bw, bh = max(x2 - x1, 0.1) / k, max(y2 - y1, 0.1) / k
        for c in range(c_out):
            for i in range(k):
                for j in range(k):
                    hs = min(max(math.floor(i * bh + y1), 0), h)
                    he = min(max(math.ceil((i + 1) * bh + y1), 0), h)
                    ws = min(max(math.floor(j * bw + x1), 0), w)
                    we = min(max(math.ceil((j + 1) * bw + x1), 0), w)
                    if he <= hs or we <= ws:
                        continue
                    ch = (c * k + i) * k + j
                    total = sum(x[int(b), ch, yy, xx] for yy in range(hs, he)
                                for xx in range(ws, we))
                    out[r, c, i, j] = total / ((he - hs) * (we - ws))
    return out


def loop_bilinear(img, y, x):
    """torchvision's ``bilinear_interpolate`` for one sample."""
    h, w = img.shape
    if y < -1 or y > h or x < -1 or x > w:
        return img.new_zeros(())
    y, x = max(y, 0.0), max(x, 0.0)
    yl, xl = int(y), int(x)
    if yl >= h - 1:
        yh = yl = h - 1
        y = float(yl)
    else:
        yh = yl + 1
    if xl >= w - 1:
        xh = xl = w - 1
        x = float(xl)
    else:
        xh = xl + 1
    ly, lx = y - yl, x - xl
    return ((1 - ly) * (1 - lx) * img[yl, xl] + (1 - ly) * lx * img[yl, xh] +
            ly * (1 - lx) * img[yh, xl] + ly * lx * img[yh, xh])


def loop_psroi_align(x, rois, k, scale, s):
    _, ctot, h, w = x.shape
    c_out = ctot // (k * k)
    out = torch.zeros(len(rois), c_out, k, k, dtype=x.dtype)
    for r, (b, rx1, ry1, rx2, ry2) in enumerate(rois.tolist()):
        x1, y1 = rx1 * scale - 0.5, ry1 * scale - 0.5
        bw, bh = (rx2 * scale - 0.5 - x1) / k, (ry2 * scale - 0.5 - y1) / k
        for c in range(c_out):
            for i in range(k):
                for j in range(k):
                    img = x[int(b), (c * k + i) * k + j]
                    acc = 0
                    for iy in range(s):
                        for ix in range(s):
                            yy = y1 + i * bh + (iy + 0.5) * bh / s
                            xx = x1 + j * bw + (ix + 0.5) * bw / s
                            acc = acc + loop_bilinear(img, yy, xx)
                    out[r, c, i, j] = acc / (s * s)
    return out


def make_inputs(dtype=torch.float64, k=3, c_out=2, requires_grad=False):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, c_out * k * k, 7, 9, generator=gen, dtype=dtype)
    x.requires_grad_(requires_grad)
    # inside, crossing the border, beyond the map, tiny, fractional corners
    rois = torch.tensor(
        [[0, 4.0, 3.0, 30.0, 20.0], [1, -10.0, -6.0, 12.0, 40.0],
         [0, 50.0, 40.0, 90.0, 70.0], [1, 8.2, 8.7, 9.1, 9.3],
         [1, 1.6, 2.4, 33.3, 25.5]],
        dtype=dtype)
    return x, rois, k


def test_psroi_pool_matches_caffe_loop():
    x, rois, k = make_inputs()
    ours = psroi_pool(x, rois, k, 0.25)
    ref = loop_psroi_pool(x, rois, k, 0.25)
    assert ours.shape == (5, 2, k, k)
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-10)
    assert ours[2].abs().sum() == 0  # a RoI beyond the map pools to zero


@pytest.mark.parametrize('s', [1, 2])
def test_psroi_align_matches_loop(s):
    x, rois, k = make_inputs()
    ours = psroi_align(x, rois, k, 0.25, sampling_ratio=s)
    ref = loop_psroi_align(x, rois, k, 0.25, s)
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-10)


def test_backward_matches_loop_reference():
    x, rois, k = make_inputs(requires_grad=True)
    weights = torch.randn(
        5,
        2,
        k,
        k,
        dtype=torch.float64,
        generator=torch.Generator().manual_seed(1))
    for ours, ref in ((psroi_pool, loop_psroi_pool),
                      (psroi_align, lambda *a: loop_psroi_align(*a, 2))):
        (g_ours, ) = torch.autograd.grad(
            (ours(x, rois, k, 0.25) * weights).sum(), x)
        (g_ref, ) = torch.autograd.grad(
            (ref(x, rois, k, 0.25) * weights).sum(), x)
        torch.testing.assert_close(g_ours, g_ref, rtol=1e-10, atol=1e-10)
        assert g_ours.abs().sum() > 0


@pytest.mark.parametrize('fn', [psroi_pool, psroi_align])
def test_gradcheck(fn):
    x, rois, k = make_inputs(k=2, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: fn(t, rois, k, 0.25), (x, ))


def test_cells_read_their_own_channel():
    """A map that is 1 only in channel (c, i, j) lights only cell (c, i, j)."""
    k, c_out = 3, 2
    x = torch.zeros(1, c_out * k * k, 12, 12)
    x[0, (1 * k + 2) * k + 0] = 1.0  # class 1, cell row 2, column 0
    rois = torch.tensor([[0, 0.0, 0.0, 47.0, 47.0]])
    for mode in PSRoIPool.MODES:
        out = PSRoIPool(k, 0.25, mode=mode)(x, rois)
        expected = torch.zeros(1, c_out, k, k)
        expected[0, 1, 2, 0] = 1.0
        torch.testing.assert_close(out, expected)
        torch.testing.assert_close(vote(out), torch.tensor([[0.0, 1 / 9]]))


def test_empty_rois_give_empty_output():
    x, _, k = make_inputs(dtype=torch.float32)
    for fn in (psroi_pool, psroi_align):
        assert fn(x, torch.zeros(0, 5), k, 0.25).shape == (0, 2, k, k)


@pytest.mark.parametrize('kwargs, message', [
    (dict(x=torch.zeros(1, 10, 4, 4)), 'not a multiple of output_size'),
    (dict(x=torch.zeros(18, 4, 4)), r'x must be \(B, C\*k\*k, H, W\)'),
    (dict(rois=torch.zeros(3, 4)), r'rois must be \(R, 5\)'),
    (dict(rois=torch.tensor([[2.0, 0, 0, 4, 4]])), 'batch indices must lie'),
    (dict(output_size=0), 'output_size must be an int >= 1'),
    (dict(spatial_scale=0.0), 'spatial_scale must be > 0'),
])
def test_bad_inputs_raise(kwargs, message):
    args = dict(
        x=torch.zeros(2, 18, 4, 4),
        rois=torch.tensor([[0.0, 0, 0, 4, 4]]),
        output_size=3,
        spatial_scale=0.25)
    args.update(kwargs)
    for fn in (psroi_pool, psroi_align):
        with pytest.raises(ValueError, match=message):
            fn(**args)


def test_module_rejects_bad_mode_and_sampling():
    with pytest.raises(ValueError, match='mode must be one of'):
        PSRoIPool(7, 1 / 16, mode='max')
    with pytest.raises(ValueError, match='sampling_ratio must be an int >= 1'):
        psroi_align(
            torch.zeros(1, 9, 4, 4),
            torch.zeros(1, 5),
            3,
            1.0,
            sampling_ratio=0)


@pytest.mark.parametrize(
    'op', [psroi_pool, psroi_align], ids=['pool', 'align'])
@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_half_precision_maps_keep_float32_bins(op, dtype):
    """Under autocast the score maps arrive in half precision; RoI corners
    like 301 px must not round to 300 (bfloat16) nor the bin sums lose the
    integral image's precision: only the output takes the maps' dtype."""
    gen = torch.Generator().manual_seed(0)
    k = 3
    x = torch.randn(1, 2 * k * k, 40, 64, generator=gen)
    rois = torch.tensor([[0., 301., 257., 509., 389.], [0., 3., 5., 17., 9.],
                         [0., 611., 13., 1013., 601.]])
    ref = op(x, rois, k, 1 / 16)
    out = op(x.to(dtype), rois, k, 1 / 16)
    assert out.dtype == dtype
    err = (out.float() - ref).abs().max().item()
    # the maps' own rounding (bf16: 2**-8 relative), nothing more
    assert err < 0.02, err
