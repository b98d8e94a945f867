# Table 4, Hyp-Net: the OFF sub-network with the OFF computation removed; the
# reduced backbone features of both segments feed the residual blocks directly.
_base_ = './off-tsn_tsn-1x1x3-75e-pretrained-r50_4xb32-1x1x3-20k_ucf101-split1-rgb.py'

model = dict(neck=dict(components='none'))
