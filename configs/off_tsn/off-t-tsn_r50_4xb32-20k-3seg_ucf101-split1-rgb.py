# Table 3, OFF_T: temporal difference only, no spatial gradients.
_base_ = './off-tsn_r50_4xb32-20k-3seg_ucf101-split1-rgb.py'

model = dict(neck=dict(components='temporal'))
