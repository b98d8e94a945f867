# R-FCN + OFF on the 512-d res3 maps and on the 1024-d maps (multi scale),
# residual refinement blocks with SE (Table 7, row "RFCN+OFF(MS)", the
# paper's final setting).
_base_ = './rfcn-off-ss_r101_4xb1-220k_imagenetvid.py'

model = dict(neck=dict(off=dict(off_levels=(0, ), stage_channels=(128, 256))))
