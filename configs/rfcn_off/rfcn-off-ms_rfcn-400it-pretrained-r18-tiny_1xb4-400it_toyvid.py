# CPU demo, stage 2: R-FCN + OFF(MS) from the stage-1 R-FCN checkpoint: the
# OFF(SS) stage-2 row with OFF also on the res3 maps, as
# rfcn-off-ms_r18-tiny_1xb4-400it_toyvid.py.
_base_ = './rfcn-off-ss_rfcn-400it-pretrained-r18-tiny_1xb4-400it_toyvid.py'

model = dict(neck=dict(off=dict(off_levels=(0, ), stage_channels=(32, 64))))
