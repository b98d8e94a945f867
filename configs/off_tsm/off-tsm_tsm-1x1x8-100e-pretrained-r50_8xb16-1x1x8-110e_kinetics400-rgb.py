# TSM-R50 + OFF on Kinetics-400 (Table 5): 8 segments at 224, 30-view test
# (10 clips x 3 crops), half-cosine learning rate from 0.01 over 110 epochs.
# Stage 1 is MMAction2's own TSM-R50 (its released checkpoint below); stage 2
# freezes it and trains the OFF sub-network (Section 4.2.1).
#
# One temporal gap everywhere (Section 4.2.3, Eq. 7's Delta t): train, val and
# test sample 8 segments at the interval floor(L / 8) of an L-frame video
# (FixedIntervalSampleFrames, alpha = beta = 8); training draws the run's
# start at random, val takes the centred run, test 10 runs spread over the
# video, each a view of 8 segments at that same interval. This is the gap the
# stage-1 TSM was trained at: MMAction2's TSM 1x1x8 configs use the uniform
# SampleFrames(clip_len=1, frame_interval=1, num_clips=8) (one frame from each
# eighth of the video, L / 8 apart on average), so a stage-1 checkpoint for
# this config must come from such uniform 1x1x8 sampling, not from the dense
# configs (DenseSampleFrames, 8 frames apart).
#
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

# Each video's name goes into the test dumps: score fusion matches streams by it.
pack_meta_keys = ('img_shape', 'img_key', 'video_id', 'timestamp', 'filename',
                  'frame_dir')
checked_init = dict(
    type='CheckedDecordInit', io_backend='disk', min_frames=num_segments)
sampling = dict(
    type='FixedIntervalSampleFrames',
    num_segments=num_segments,
    test_segments=num_segments)
# The inherited pipelines, with checked video loading, the fixed-interval
# sampling and the video names kept.
train_pipeline = _base_.train_pipeline
val_pipeline = _base_.val_pipeline
test_pipeline = _base_.test_pipeline
train_pipeline[0] = checked_init
val_pipeline[0] = checked_init
test_pipeline[0] = checked_init
train_pipeline[-1].meta_keys = pack_meta_keys
val_pipeline[-1].meta_keys = pack_meta_keys
test_pipeline[-1].meta_keys = pack_meta_keys
train_pipeline[1] = sampling
val_pipeline[1] = dict(sampling, test_mode=True)
# 30 views: 10 clips x 3 crops of 256 (the base tests 1 clip x 10 crops)
test_pipeline[1] = dict(sampling, test_mode=True, test_clips=10)
test_pipeline[4] = dict(type='ThreeCrop', crop_size=256)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

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
