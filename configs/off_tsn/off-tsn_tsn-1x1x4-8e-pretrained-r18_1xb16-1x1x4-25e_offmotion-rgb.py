# Stage 2 of the main job: the OFF sub-network on the frozen stage-1 TSN-R18.
# 4 training segments (alpha) at the interval of 8 test segments (beta); OFF
# on ResNet stages 2-4 (strides 8, 16, 32), as the paper's 28/14/7 scales.
_base_ = './tsn_r18_1xb16-1x1x4-8e_offmotion-rgb.py'

custom_imports = dict(
    imports=['off_plugins.mmaction', 'off_plugins.dist'],
    allow_failed_imports=False)
# Multi-process training: DDP must see the frozen backbone as frozen (mmaction's
# ResNet applies frozen_stages only in train(), after the stock wrapper is built).
model_wrapper_cfg = dict(type='FreezeFirstDistributedDataParallel')

num_segments = 4
test_segments = 8
load_from = 'work_dirs/main_job/tsn/epoch_8.pth'

model = dict(
    backbone=dict(out_indices=(1, 2, 3), frozen_stages=4, norm_eval=True),
    neck=dict(
        type='OFFNeck',
        in_channels=(128, 256, 512),
        num_classes={{_base_.num_classes}},
        num_segments=num_segments,
        test_num_segments=test_segments,
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

file_client_args = dict(io_backend='disk')
# Each video's name goes into the test dumps: score fusion matches streams by it.
pack_meta_keys = ('img_shape', 'img_key', 'video_id', 'timestamp', 'filename',
                  'frame_dir')
train_pipeline = [
    dict(type='CheckedDecordInit', min_frames=test_segments, **file_client_args),
    dict(
        type='FixedIntervalSampleFrames',
        num_segments=num_segments,
        test_segments=test_segments),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=pack_meta_keys)
]
test_pipeline = [
    dict(type='CheckedDecordInit', min_frames=test_segments, **file_client_args),
    dict(
        type='FixedIntervalSampleFrames',
        num_segments=num_segments,
        test_segments=test_segments,
        test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=pack_meta_keys)
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

# The paper's SGD schedule (lr 0.02, gradient clip 40) spans 20k iterations;
# this job has 300, where AdamW converges much faster from scratch.
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
