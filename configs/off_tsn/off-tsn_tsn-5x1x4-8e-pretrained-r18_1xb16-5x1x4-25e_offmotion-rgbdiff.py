# Stage 2 of the RGB-diff stream (OFF(RGB Diff)) on the generated motion dataset: the OFF
# sub-network on the frozen stage-1 TSN-R18 of that stream. Sampling and data
# are the stage-1 config's; the OFF sub-network and schedule are those of
# off-tsn_tsn-1x1x4-8e-pretrained-r18_1xb16-1x1x4-25e_offmotion-rgb.py.
_base_ = './tsn_r18_1xb16-5x1x4-8e_offmotion-rgbdiff.py'

custom_imports = dict(
    imports=['off_plugins.mmaction', 'off_plugins.dist'],
    allow_failed_imports=False)
model_wrapper_cfg = dict(type='FreezeFirstDistributedDataParallel')

load_from = 'work_dirs/modalities/tsn-rgbdiff/epoch_8.pth'

model = dict(
    backbone=dict(out_indices=(1, 2, 3), frozen_stages=4, norm_eval=True),
    neck=dict(
        type='OFFNeck',
        in_channels=(128, 256, 512),
        num_classes={{_base_.num_classes}},
        num_segments={{_base_.num_segments}},
        test_num_segments={{_base_.test_segments}},
        stage_channels=(64, 128, 256),
        blocks_per_stage=3,
        reduced_channels=128,
        spatial_channels=32,
        spatial_dropout=0.0),
    cls_head=dict(
        _delete_=True,
        type='OFFHead',
        num_classes={{_base_.num_classes}},
        in_channels=512,
        off_channels=256,
        dropout_ratio=0.4,
        off_dropout_ratio=0.5,
        average_clips='prob'))

max_epochs = 25
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0, by_epoch=True)
]
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='AdamW', lr=0.003, weight_decay=0.0001),
    clip_grad=dict(max_norm=40, norm_type=2))
default_hooks = dict(
    checkpoint=dict(interval=5, save_best=None, max_keep_ckpts=2))
# Stage 2 refuses to start unless the frozen stage-1 TSN (backbone and its
# classifier) was loaded from a checkpoint that holds it.
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='InputCheckHook'),
    dict(
        type='CheckpointCoverageHook',
        required=('backbone.', 'cls_head.fc_cls.'))
]
