# TSM-R50 + OFF on Kinetics-400 with the OFF sub-network at the widths of the
# authors' released code: the spatial gradients taken of a plain 1x1 reduction
# to 32 channels (no ReLU), and refinement stages of bottleneck blocks
# (1x1 -> 3x3 -> 1x1, expansion 4, no BN) with 256/512/1024 output channels.
# Everything else (stage 1, sampling, schedule, 30-view test) is the light
# config's; README.md compares the two presets' cost.
_base_ = './off-tsm_tsm-1x1x8-100e-pretrained-r50_8xb16-1x1x8-110e_kinetics400-rgb.py'

off_channels = 1024

model = dict(
    neck=dict(
        stage_channels=(256, 512, off_channels),
        block='bottleneck',
        spatial_act=False),
    cls_head=dict(off_channels=off_channels))
