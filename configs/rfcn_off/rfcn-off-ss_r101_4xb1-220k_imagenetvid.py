# R-FCN + OFF between key and reference frame on the 1024-d maps (single
# scale), residual refinement blocks with SE (Table 7, row "RFCN+OFF(SS)").
_base_ = './rfcn_r101_4xb1-220k_imagenetvid.py'

model = dict(
    neck=dict(
        off=dict(
            _delete_=True,  # the baseline's off is None
            type='OFFBranch',
            off_levels=(),
            stage_channels=(256, ),
            blocks_per_stage=2,
            fuse_blocks=1,
            reduced_channels=128,
            with_se=True)))
# test each frame against its reference at the training gap and direction
val_dataloader = dict(dataset=dict(test_ref_offset=_base_.ref_offset))
test_dataloader = val_dataloader
