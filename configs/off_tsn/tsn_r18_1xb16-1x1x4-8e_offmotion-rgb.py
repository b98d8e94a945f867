# Stage 1 of the main job: MMAction2's own TSN, shrunk to a ResNet-18 from
# scratch on the generated motion dataset (64x64 videos, 8 motion classes).
_base_ = 'mmaction::recognition/tsn/tsn_imagenet-pretrained-r50_8xb32-1x1x3-100e_kinetics400-rgb.py'

# off_plugins' compatibility fixes make mmaction2 1.2.0's wheel importable;
# off_plugins.mmaction also registers the checking and resume hooks below.
custom_imports = dict(
    imports=['off_plugins.mmaction'], allow_failed_imports=False)

num_classes = 8
data_root = 'data/offmotion/videos'
ann_file_train = 'data/offmotion/offmotion_train_list_videos.txt'
ann_file_val = 'data/offmotion/offmotion_val_list_videos.txt'

model = dict(
    backbone=dict(pretrained=None, depth=18, norm_eval=False),
    cls_head=dict(in_channels=512, num_classes=num_classes))

file_client_args = dict(io_backend='disk')
# Each video's name goes into the test dumps: score fusion matches streams by it.
pack_meta_keys = ('img_shape', 'img_key', 'video_id', 'timestamp', 'filename',
                  'frame_dir')
# No flips: left and right motion are different classes.
train_pipeline = [
    dict(type='CheckedDecordInit', min_frames=4, **file_client_args),
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=4),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=pack_meta_keys)
]
test_pipeline = [
    dict(type='CheckedDecordInit', min_frames=8, **file_client_args),
    dict(
        type='SampleFrames',
        clip_len=1,
        frame_interval=1,
        num_clips=8,
        test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=pack_meta_keys)
]

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        ann_file=ann_file_train,
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        ann_file=ann_file_val,
        data_prefix=dict(video=data_root),
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        ann_file=ann_file_val,
        data_prefix=dict(video=data_root),
        pipeline=test_pipeline))

max_epochs = 8
train_cfg = dict(
    type='EpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_begin=1,
    val_interval=max_epochs)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0, by_epoch=True)
]
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=40, norm_type=2))
# A run killed at any moment resumes (--resume) from its last complete checkpoint,
# with the random state of that moment (off_plugins/hooks.py).
default_hooks = dict(
    logger=dict(interval=4),
    checkpoint=dict(
        type='AtomicCheckpointHook',
        interval=2,
        save_best=None,
        max_keep_ckpts=2))
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='InputCheckHook'),
    dict(type='CheckpointCoverageHook')
]
randomness = dict(seed=0)
auto_scale_lr = dict(enable=False, base_batch_size=16)
