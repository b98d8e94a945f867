# TSM-R50 + OFF on Kinetics-400 (Table 5): 8 segments at 224, 30-view test
# (10 clips x 3 crops), half-cosine learning rate from 0.01 over 110 epochs.
# Stage 1 is MMAction2's own TSM-R50 (its released checkpoint below); stage 2
# freezes it and trains the OFF sub-network (Section 4.2.1).
# The base is the 50e config: the 100e one only changes the schedule, which is
# replaced here, and mmaction2 1.2.0's metafile entry for it lacks its `.py`,
# so `mmaction::` cannot resolve it.
_base_ = 'mmaction::recognition/tsm/tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_kinetics400-rgb.py'

custom_imports = dict(
    imports=['off_plugins.mmaction', 'off_plugins.dist'],
    allow_failed_imports=False)
# Multi-process training: DDP must see the frozen backbone as frozen (mmaction's
# ResNet applies frozen_stages only in train(), after the stock wrapper is built).
model_wrapper_cfg = dict(type='FreezeFirstDistributedDataParallel')

num_classes = 400
num_segments = 8

load_from = ('https://download.openmmlab.com/mmaction/v1.0/recognition/tsm/'
             'tsm_imagenet-pretrained-r50_8xb16-1x1x8-100e_kinetics400-rgb/'
             'tsm_imagenet-pretrained-r50_8xb16-1x1x8-100e_kinetics400-rgb_'
             '20220831-a6db1e5d.pth')

model = dict(
    backbone=dict(
        pretrained=None,  # weights come from the stage-1 checkpoint
        pretrained2d=False,
        num_segments=num_segments,
        out_indices=(1, 2, 3),
        frozen_stages=4,
        norm_eval=True),
    neck=dict(
        type='OFFNeck',
        in_channels=(512, 1024, 2048),
        num_classes=num_classes,
        num_segments=num_segments,
        stage_channels=(64, 128, 256),
        blocks_per_stage=3,
        reduced_channels=128,
        spatial_channels=32,
        components='full',
        kernel='paper'),
    cls_head=dict(
        _delete_=True,
        type='OFFHead',
        num_classes=num_classes,
        in_channels=2048,
        off_channels=256,
        dropout_ratio=0.5,
        off_dropout_ratio=0.5,
        freeze_base_cls=True,
        average_clips='prob'))

file_client_args = dict(io_backend='disk')
# Each video's name goes into the test dumps: score fusion matches streams by it.
pack_meta_keys = ('img_shape', 'img_key', 'video_id', 'timestamp', 'filename',
                  'frame_dir')
test_pipeline = [
    dict(type='CheckedDecordInit', min_frames=num_segments, **file_client_args),
    dict(
        type='DenseSampleFrames',
        clip_len=1,
        frame_interval=1,
        num_clips=num_segments,
        num_sample_positions=10,
        test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='ThreeCrop', crop_size=256),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=pack_meta_keys)
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
# The inherited train and val pipelines: checked video loading, names kept.
train_pipeline = _base_.train_pipeline
val_pipeline = _base_.val_pipeline
train_pipeline[0].type = 'CheckedDecordInit'
val_pipeline[0].type = 'CheckedDecordInit'
train_pipeline[-1].meta_keys = pack_meta_keys
val_pipeline[-1].meta_keys = pack_meta_keys
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))

train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=110, val_begin=1, val_interval=5)
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=110,
        eta_min=0,
        by_epoch=True,
        begin=0,
        end=110)
]
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=20, norm_type=2))
# A run killed at any moment resumes (--resume) from its last complete checkpoint,
# with the random state of that moment (off_plugins/hooks.py).
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook'))
# Stage 2 refuses to start unless the frozen stage-1 TSM (backbone and its
# classifier) was loaded from a checkpoint that holds it.
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='InputCheckHook'),
    dict(
        type='CheckpointCoverageHook',
        required=('backbone.', 'cls_head.fc_cls.'))
]
