# CPU demo, stage 2 of the two-stage recipe (tools/vid/run_toy_vid.py):
# start from the stage-1 R-FCN (rfcn_r18-tiny_1xb4-400it_toyvid.py), pass
# its checkpoint with --cfg-options load_from=..., freeze the backbone (BN
# statistics included) and train the rest for 400 more iterations. This row
# is the single-frame baseline at the OFF rows' budget; the OFF rows
# (rfcn-off-{ss,ms}_rfcn-400it-pretrained-r18-tiny_1xb4-400it_toyvid.py)
# change only the neck and the learning rate of its new OFF branch.
_base_ = './rfcn_r18-tiny_1xb4-400it_toyvid.py'

model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
load_from = None  # the stage-1 checkpoint, given on the command line
custom_hooks = [
    dict(type='RandomStateHook'),
    # the backbone is frozen: refuse to start unless load_from loaded it
    dict(type='CheckpointCoverageHook', required=('backbone.', ))
]

max_iters = 400
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=25),
    dict(type='MultiStepLR', by_epoch=False, milestones=[340], gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
default_hooks = dict(checkpoint=dict(interval=max_iters))
