# R-FCN + OFF on the 1024-d maps (single scale), refinement blocks without SE
# (Table 7, row "RFCN+OFF(SS) w/o SE").
_base_ = './rfcn-off-ss_r101_4xb1-220k_imagenetvid.py'

model = dict(neck=dict(off=dict(with_se=False)))
