"""tools/visualize_off.py: Fig. 1 from a video and a checkpoint."""
import os.path as osp

import off_plugins  # noqa: F401  (first: toolbox compatibility)
import numpy as np
import pytest
import torch
from analysis_tools.models import build_recognizer, load_config
from analysis_tools.visualize import load_frames, off_maps, signed_to_rgb
from test_dist import main_job_config
from tool_loader import load_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
STAGE1 = main_job_config('STAGE1')  # TSN
STAGE2 = main_job_config('STAGE2')  # TSN + OFF


def test_signed_to_rgb_red_positive_cyan_negative():
    rgb = signed_to_rgb(np.array([[2.0, -1.0, 0.0]]))
    np.testing.assert_allclose(rgb[0], [[1, 0, 0], [0, .5, .5], [0, 0, 0]])
    assert signed_to_rgb(np.zeros((2, 2))).max() == 0
    with pytest.raises(ValueError, match=r'\(H, W\)'):
        signed_to_rgb(np.zeros(3))


@pytest.fixture(scope='module')
def video_and_checkpoint(tmp_path_factory):
    """A generated motion video and a randomly initialised OFF checkpoint."""
    from data_tools.motion import make_motion_dataset
    tmp = tmp_path_factory.mktemp('vis')
    root = str(tmp / 'offmotion')
    make_motion_dataset(
        root, {'val': 1}, size=32, num_frames=16, log=lambda msg: None)
    torch.manual_seed(0)
    model = build_recognizer(load_config(STAGE2))
    model.init_weights()
    ckpt = str(tmp / 'random.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    return osp.join(root, 'videos', 'val', 'right_fast_000.mp4'), ckpt, tmp


def test_tool_writes_figure_of_the_layer_output(video_and_checkpoint):
    import cv2
    video, ckpt, tmp = video_and_checkpoint
    out = str(tmp / 'fig.png')
    # Positional order of MMAction2's demo/demo.py: config checkpoint video.
    maps = load_tool('visualize_off.py').main(
        [STAGE2, ckpt, video, '--out', out, '--pair', '2'])
    with open(out, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    image = cv2.imread(out, cv2.IMREAD_UNCHANGED)
    assert image is not None and image.size > 0
    assert image.ndim == 3 and image.shape[1] > 3 * image.shape[0]
    # A drawn figure, not a blank canvas.
    assert image[..., :3].std() > 10
    assert maps['frames'].shape == (2, 64, 64, 3)
    assert maps['frames'].dtype == np.uint8
    # The drawn difference is the layer's Eq. 7 of the features drawn beside it.
    np.testing.assert_allclose(
        maps['difference'],
        maps['features'][1] - maps['features'][0],
        rtol=1e-5,
        atol=1e-5)
    assert np.abs(maps['difference']).max() > 0
    assert maps['gradients'].shape == (2, ) + maps['difference'].shape


def test_off_maps_channel_choice_and_gradients(video_and_checkpoint):
    from mmengine.runner import load_checkpoint
    from off_plugins.core import SpatialGradient
    video, ckpt, _ = video_and_checkpoint
    cfg = load_config(STAGE2)
    model = build_recognizer(cfg)
    load_checkpoint(model, ckpt, map_location='cpu')
    sample = load_frames(video, cfg)
    auto = off_maps(model, sample, scale=1, pair=0)
    energies = [
        np.square(off_maps(model, sample, 1, 0, c)['difference']).sum()
        for c in range(0, 128, 16)
    ]
    assert np.square(auto['difference']).sum() >= max(energies) - 1e-6
    # Gradients of segment t: the fixed kernels on the spatial features.
    unit = model.neck.pyramid.units[1]
    data = model.data_preprocessor(
        dict(inputs=[sample['inputs']], data_samples=[sample['data_samples']]))
    with torch.no_grad():
        feats, _ = model.extract_feat(data['inputs'][:, :8], stage='backbone')
        src = unit.spatial_reduce(feats[1])[:1, auto['gradient_channel']]
        expected = SpatialGradient(1)(src[:, None])[0]
    np.testing.assert_allclose(
        auto['gradients'], expected.numpy(), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match='pair must be in'):
        off_maps(model, sample, pair=7)
    with pytest.raises(ValueError, match='scale must be in'):
        off_maps(model, sample, scale=3)
    with pytest.raises(ValueError, match='no OFFNeck'):
        off_maps(build_recognizer(load_config(STAGE1)), sample)


def test_tool_rejects_bad_arguments(video_and_checkpoint, tmp_path):
    video, ckpt, _ = video_and_checkpoint
    tool = load_tool('visualize_off.py')
    with pytest.raises(SystemExit):
        tool.parse_args(
            [STAGE2,
             str(tmp_path / 'missing.pth'), video, '--out', 'f.png'])
    with pytest.raises(SystemExit):
        tool.parse_args([STAGE2, ckpt, video, '--out', 'f.jpg'])
    with pytest.raises(SystemExit):  # the old order: video first
        tool.parse_args([video, ckpt, STAGE2, '--out', 'f.png'])
