# CPU demo: R-FCN + OFF(MS) at tiny width on the toy set: OFF on the res3
# maps (32-d here, 512-d in the real model) and on the reduced maps, SE
# refinement, reference = previous frame at test time.
_base_ = './rfcn_r18-tiny_1xb4-400it_toyvid.py'

model = dict(
    neck=dict(
        off=dict(
            _delete_=True,  # the baseline's off is None
            off_levels=(0, ),
            stage_channels=(32, 64),
            blocks_per_stage=1,
            fuse_blocks=1,
            reduced_channels=32,
            with_se=True)))
test_dataloader = dict(dataset=dict(test_ref_offset=1))
