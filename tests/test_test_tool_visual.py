"""tools/test.py's --show / --show-dir / --wait-time: they enable the config's
visualization hook as the toolboxes' test tools do, or say why they cannot."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from test_restoration_helpers import make_vimeo
from test_restoration_tools import tool_options
from tool_loader import load_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
OFF_TSN = osp.join(
    REPO, 'configs/off_tsn',
    'off-tsn_tsn-1x1x4-8e-pretrained-r18_1xb16-1x1x4-25e_offmotion-rgb.py')
DNCNN = osp.join(REPO, 'configs/dncnn_off/demo',
                 'dncnn-d10c32_1xb2-96px_real-footage-jpeg2000.py')
test_tool = load_tool('test.py')


def test_show_dir_enables_the_visualization_hook(tmp_path):
    args = test_tool.parse_args(
        [OFF_TSN, 'ckpt.pth', '--show-dir', 'vis', '--wait-time', '0.5'])
    vis = test_tool.build_config(args).default_hooks.visualization
    assert vis.type == 'SegmentVisualizationHook'
    assert vis.enable is True and vis.show is False
    assert vis.out_dir == 'vis' and vis.wait_time == 0.5


def test_without_show_the_hook_stays_off():
    args = test_tool.parse_args([OFF_TSN, 'ckpt.pth'])
    assert test_tool.build_config(
        args).default_hooks.visualization.enable is False


def test_show_dir_on_a_config_without_a_visualization_hook_is_named(tmp_path):
    config = tmp_path / 'no_vis.py'
    config.write_text(f"_base_ = '{DNCNN}'\n"
                      "default_hooks = dict(_delete_=True, "
                      "timer=dict(type='IterTimerHook'))\n")
    args = test_tool.parse_args([str(config), 'ckpt.pth', '--show'])
    with pytest.raises(RuntimeError, match='default_hooks.visualization'):
        test_tool.build_config(args)


def test_show_dir_writes_restoration_strips(tmp_path):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from off_plugins.registry import MODELS
    root = str(tmp_path / 'data')
    frames = make_vimeo(root, h=24, w=24)
    cfg = Config.fromfile(DNCNN)
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    ckpt = str(tmp_path / 'random.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    work = str(tmp_path / 'work')
    args = [DNCNN, ckpt, '--work-dir', work, '--show-dir', 'vis']
    assert test_tool.parse_args(args).show_dir == 'vis'
    assert test_tool.build_config(
        test_tool.parse_args(args)).default_hooks.visualization.type == (
            'RestorationVisualizationHook')
    test_tool.main(args + ['--cfg-options'] + tool_options(root))
    for clip, (clean, noisy) in frames.items():
        path = osp.join(work, 'vis', f'{clip}.png')
        with open(path, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
        strip = cv2.imread(path)[..., ::-1]  # (24, 3 * 24, 3) RGB
        assert strip.shape == (24, 72, 3)
        # compressed | restored | clean, the centre frame of the septuplet
        np.testing.assert_array_equal(strip[:, :24], noisy[3])
        np.testing.assert_array_equal(strip[:, 48:], clean[3])
        assert not np.array_equal(strip[:, 24:48], noisy[3])
