# Stage 1 (Section 4.2.1): MMAction2's own TSN-R50, retargeted to UCF-101.
# Every other config of this folder derives from this one.
_base_ = 'mmaction::recognition/tsn/tsn_imagenet-pretrained-r50_8xb32-1x1x3-100e_kinetics400-rgb.py'

# off_plugins' compatibility fixes make mmaction2 1.2.0's wheel importable;
# off_plugins.mmaction also registers the checking and resume hooks below.
custom_imports = dict(
    imports=['off_plugins.mmaction'], allow_failed_imports=False)

data_root = 'data/ucf101/videos'
ann_file_train = 'data/ucf101/ucf101_train_split_1_videos.txt'
ann_file_val = 'data/ucf101/ucf101_val_split_1_videos.txt'

model = dict(cls_head=dict(num_classes=101))

# The inherited pipelines: a video that cannot be decoded or has no frames is
# named in the error, and each video's name goes into the test dumps (score
# fusion matches streams by it).
train_pipeline = _base_.train_pipeline
val_pipeline = _base_.val_pipeline
test_pipeline = _base_.test_pipeline
pack_meta_keys = ('img_shape', 'img_key', 'video_id', 'timestamp', 'filename',
                  'frame_dir')
train_pipeline[0].type = 'CheckedDecordInit'
val_pipeline[0].type = test_pipeline[0].type = 'CheckedDecordInit'
train_pipeline[-1].meta_keys = pack_meta_keys
val_pipeline[-1].meta_keys = test_pipeline[-1].meta_keys = pack_meta_keys

videos = dict(data_prefix=dict(video=data_root))
train_dataloader = dict(
    dataset=dict(videos, ann_file=ann_file_train, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(videos, ann_file=ann_file_val, pipeline=val_pipeline))
test_dataloader = dict(
    dataset=dict(videos, ann_file=ann_file_val, pipeline=test_pipeline))

train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=75, val_begin=1, val_interval=5)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=75, by_epoch=True,
         milestones=[30, 60], gamma=0.1)]
optim_wrapper = dict(optimizer=dict(lr=0.001, weight_decay=0.0005))
# A run killed at any moment resumes (--resume) from its last complete
# checkpoint, with the random state of that moment (off_plugins/hooks.py).
# The test tool's --show / --show-dir enable the visualization hook; this one
# draws 2D recognizers' (segments, C, H, W) inputs (off_plugins/mmaction).
default_hooks = dict(
    checkpoint=dict(type='AtomicCheckpointHook'),
    visualization=dict(type='SegmentVisualizationHook', enable=False))
custom_hooks = [
    dict(type='RandomStateHook'), dict(type='InputCheckHook'),
    dict(type='CheckpointCoverageHook')]
