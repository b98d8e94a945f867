# CPU demo: R-FCN + OFF(SS) at tiny width on the toy set: OFF on the reduced
# maps (128-d here, 1024-d in the real model), SE refinement, the reference
# ref_offset frames before the key frame in training and test.
_base_ = './rfcn_r18-tiny_1xb4-400it_toyvid.py'

model = dict(neck=dict(off=dict(_delete_=True, **_base_.toy_off_ss)))
val_dataloader = dict(dataset=dict(test_ref_offset=_base_.ref_offset))
test_dataloader = val_dataloader
