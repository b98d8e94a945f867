# Table 3, OFF_T: temporal difference only, no spatial gradients.
_base_ = './off-tsn_tsn-1x1x3-75e-pretrained-r50_4xb32-1x1x3-20k_ucf101-split1-rgb.py'

model = dict(neck=dict(components='temporal'))
