"""tools/test.py's --show / --show-dir / --wait-time: they enable the config's
visualization hook as the toolboxes' test tools do, or say why they cannot."""
import os.path as osp

import pytest
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
    args = test_tool.parse_args([DNCNN, 'ckpt.pth', '--show'])
    cfg = test_tool.load_config(args)
    if 'visualization' in (cfg.get('default_hooks') or {}):
        pytest.skip('this config has a visualization hook')
    with pytest.raises(RuntimeError, match='default_hooks.visualization'):
        test_tool.build_config(args)
