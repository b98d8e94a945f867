# CPU demo, stage 2: R-FCN + OFF(SS) from the stage-1 R-FCN checkpoint
# (rfcn_r18-tiny_1xb4-400it_toyvid.py; --cfg-options load_from=...): the
# single-frame stage-2 row (frozen backbone, same schedule) with the neck of
# rfcn-off-ss_r18-tiny_1xb4-400it_toyvid.py. The OFF branch starts as a
# no-op, so the checkpoint loads without key surgery (the OFF keys are
# reported missing) and training starts from the stage-1 detections.
_base_ = './rfcn_rfcn-400it-pretrained-r18-tiny_1xb4-400it_toyvid.py'

model = dict(neck=dict(off=dict(_delete_=True, **_base_.toy_off_ss)))
# the OFF branch starts at zero and is new: 10x the learning rate of the
# pretrained layers (no BN in it; gradients clipped at 10 as everywhere)
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'neck.off': dict(lr_mult=10.0)}))
val_dataloader = dict(dataset=dict(test_ref_offset=_base_.ref_offset))
test_dataloader = val_dataloader
