# Stage 2 (Section 4.2.1): OFF sub-network on the frozen stage-1 TSN-R50.
# Ablation setting of Section 5.1: 3 training segments (alpha), tested on 25
# segments (beta) at the same interval floor(L / 25) (Section 4.2.3).
_base_ = './tsn_imagenet-pretrained-r50_8xb32-1x1x3-75e_ucf101-split1-rgb.py'

custom_imports = dict(
    imports=['off_plugins.mmaction', 'off_plugins.dist'],
    allow_failed_imports=False)
# Multi-process training: DDP must see the frozen backbone as frozen (mmaction's
# ResNet applies frozen_stages only in train(), after the stock wrapper is built).
model_wrapper_cfg = dict(type='FreezeFirstDistributedDataParallel')

num_classes = 101
num_segments = 3  # alpha
test_segments = 25  # beta

# The stage-1 run of the config above; override with --cfg-options load_from=...
load_from = 'work_dirs/tsn_imagenet-pretrained-r50_8xb32-1x1x3-75e_ucf101-split1-rgb/epoch_75.pth'

model = dict(
    backbone=dict(
        pretrained=None,  # weights come from the stage-1 checkpoint
        out_indices=(1, 2, 3),
        frozen_stages=4,
        norm_eval=True),
    neck=dict(
        type='OFFNeck',
        in_channels=(512, 1024, 2048),
        num_classes=num_classes,
        num_segments=num_segments,
        test_num_segments=test_segments,
        stage_channels=(64, 128, 256),
        blocks_per_stage=3,
        reduced_channels=128,
        spatial_channels=32,
        components='full',
        kernel='paper',
        spatial_dropout=0.5),
    cls_head=dict(
        _delete_=True,
        type='OFFHead',
        num_classes=num_classes,
        in_channels=2048,
        off_channels=256,
        dropout_ratio=0.4,
        off_dropout_ratio=0.5,
        freeze_base_cls=True,
        fusion_weights=(1.0, 1.0),
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
    dict(type='Resize', scale=(-1, 256)),
    dict(
        type='MultiScaleCrop',
        input_size=224,
        scales=(1, 0.875, 0.75, 0.66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=pack_meta_keys)
]
val_pipeline = [
    dict(type='CheckedDecordInit', min_frames=test_segments, **file_client_args),
    dict(
        type='FixedIntervalSampleFrames',
        num_segments=num_segments,
        test_segments=test_segments,
        test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='CenterCrop', crop_size=224),
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
    dict(type='Resize', scale=(-1, 256)),
    dict(type='TenCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=pack_meta_keys)
]

# 4 GPUs x 32 clips = the paper's batch of 128.
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(batch_size=1, dataset=dict(pipeline=test_pipeline))

# SGD, lr 0.02, 20k iterations, x0.1 at 10k/15k/18k, gradient clip 40.
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=20000,
    val_interval=2000)
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=20000,
        by_epoch=False,
        milestones=[10000, 15000, 18000],
        gamma=0.1)
]
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0005),
    clip_grad=dict(max_norm=40, norm_type=2))
default_hooks = dict(
    checkpoint=dict(interval=2000, by_epoch=False, max_keep_ckpts=3))
# Stage 2 refuses to start unless the frozen stage-1 TSN (backbone and its
# classifier) was loaded from a checkpoint that holds it.
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='InputCheckHook'),
    dict(
        type='CheckpointCoverageHook',
        required=('backbone.', 'cls_head.fc_cls.'))
]
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=128)
