# TSM-MobileNetV2 + OFF on Kinetics-400, the mobile setting: stage 2 on
# MMAction2's released TSM-MobileNetV2 1x1x8 checkpoint (below), frozen, with
# the light OFF sub-network of the ResNet-50 config at a quarter of its widths
# (1x1 reductions to 32 and 8, stages of 16/32/64 channels, 3 basic blocks
# each; README.md gives its cost); 8 segments at 224, the base's test views
# (1 clip x 3 crops), the TSM + OFF schedule of the ResNet-50 config
# (half-cosine from 0.01 over 110 epochs).
#
# OFF on three scales of MobileNetV2: out_indices (2, 4, 7) are its 32-channel
# stride-8 block, its 96-channel stride-16 block and the final 1280-channel
# 1x1 convolution at stride 32 (28, 14 and 7 pixels at 224, as ResNet-50's
# stages 2-4); the last one is also the feature the TSM classifier scores.
#
# One temporal gap everywhere (Section 4.2.3): train, val and test sample 8
# segments floor(L / 8) frames apart (FixedIntervalSampleFrames, alpha =
# beta = 8), the mean gap of the uniform SampleFrames(num_clips=8) the stage-1
# TSM was trained with.
#
# The checkpoint URL is MMAction2's model-zoo README's: mmaction2 1.2.0's
# tsm metafile.yml has no MobileNetV2 entry of its own (its MobileNetV2
# metadata sit under the R-101 sthv2 name, with that model's weights).
_base_ = 'mmaction::recognition/tsm/tsm_imagenet-pretrained-mobilenetv2_8xb16-1x1x8-100e_kinetics400-rgb.py'

custom_imports = dict(
    imports=['off_plugins.mmaction', 'off_plugins.dist'],
    allow_failed_imports=False)
# Multi-process training: DDP must see the frozen backbone as frozen.
model_wrapper_cfg = dict(type='FreezeFirstDistributedDataParallel')

num_classes = 400
num_segments = 8
max_epochs = 110
off_channels = 64

load_from = ('https://download.openmmlab.com/mmaction/v1.0/recognition/tsm/'
             'tsm_imagenet-pretrained-mobilenetv2_8xb16-1x1x8-100e_kinetics400-rgb/'
             'tsm_imagenet-pretrained-mobilenetv2_8xb16-1x1x8-100e_kinetics400-rgb_'
             '20230414-401127fd.pth')

model = dict(
    backbone=dict(
        pretrained=None,  # weights come from the stage-1 checkpoint
        pretrained2d=False,
        num_segments=num_segments,
        out_indices=(2, 4, 7),
        frozen_stages=8,  # conv1, the 7 blocks and the final conv
        norm_eval=True),
    neck=dict(
        type='OFFNeck',
        in_channels=(32, 96, 1280),
        num_classes=num_classes,
        num_segments=num_segments,
        stage_channels=(16, 32, off_channels),
        blocks_per_stage=3,
        reduced_channels=32,
        spatial_channels=8,
        components='full',
        kernel='paper'),
    cls_head=dict(
        _delete_=True,
        type='OFFHead',
        num_classes=num_classes,
        in_channels=1280,
        off_channels=off_channels,
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
test_pipeline[1] = dict(sampling, test_mode=True)  # x 3 crops
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1,
    val_interval=5)
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        eta_min=0,
        by_epoch=True,
        begin=0,
        end=max_epochs)
]
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.00002),
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
