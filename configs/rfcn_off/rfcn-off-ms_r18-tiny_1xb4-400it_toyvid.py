# CPU demo: R-FCN + OFF(MS) at tiny width on the toy set: OFF also on the
# res3 maps (32-d here, 512-d in the real model).
_base_ = './rfcn-off-ss_r18-tiny_1xb4-400it_toyvid.py'

model = dict(neck=dict(off=dict(off_levels=(0, ), stage_channels=(32, 64))))
