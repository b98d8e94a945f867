# Stage 2 of OFF(RGB Diff), Table 2 ablation setting (3 training segments, 25 test
# segments): the OFF sub-network of off-tsn_r50_4xb32-20k-3seg_ucf101-split1-rgb.py
# on the frozen stage-1 TSN of that stream; data and sampling are the stage-1
# config's.
_base_ = './tsn_imagenet-pretrained-r50_8xb32-5x1x3-75e_ucf101-split1-rgbdiff.py'

load_from = 'work_dirs/tsn_imagenet-pretrained-r50_8xb32-5x1x3-75e_ucf101-split1-rgbdiff/epoch_75.pth'

custom_imports = dict(
    imports=['off_plugins.mmaction', 'off_plugins.dist'],
    allow_failed_imports=False)
# Multi-process training: DDP must see the frozen backbone as frozen.
model_wrapper_cfg = dict(type='FreezeFirstDistributedDataParallel')

num_classes = 101
num_segments = 3  # alpha
test_segments = 25  # beta

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

# 4 GPUs x 32 clips = the paper's batch of 128.
train_dataloader = dict(batch_size=32)
val_dataloader = dict(batch_size=8)
test_dataloader = dict(batch_size=1)

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
