# Stage 1 of the main job: the UCF-101 config's TSN (MMAction2's own, with the
# same checks), shrunk to a ResNet-18 from scratch on the generated motion
# dataset (64x64 videos, 8 motion classes), 4 training and 8 test segments.
_base_ = './tsn_imagenet-pretrained-r50_8xb32-1x1x3-75e_ucf101-split1-rgb.py'

num_classes = 8
data_root = 'data/offmotion/videos'
ann_file_train = 'data/offmotion/offmotion_train_list_videos.txt'
ann_file_val = 'data/offmotion/offmotion_val_list_videos.txt'

model = dict(
    backbone=dict(pretrained=None, depth=18, norm_eval=False),
    cls_head=dict(in_channels=512, num_classes=num_classes))

# Whole frames at 64x64: no crops, and no flips (left and right motion are
# different classes). Validation uses the test pipeline.
resize = dict(type='Resize', scale=(64, 64), keep_ratio=False)
train_pipeline = _base_.train_pipeline
test_pipeline = _base_.test_pipeline
train_pipeline[0].min_frames = 4
train_pipeline[1].num_clips = 4
train_pipeline[3:7] = [resize]
test_pipeline[0].min_frames = 8
test_pipeline[1].num_clips = 8
test_pipeline[3:5] = [resize]

loader = dict(num_workers=2, persistent_workers=False)
videos = dict(data_prefix=dict(video=data_root))
train_dataloader = dict(
    batch_size=16, **loader,
    dataset=dict(videos, ann_file=ann_file_train, pipeline=train_pipeline))
test_dataloader = dict(
    **loader,
    dataset=dict(videos, ann_file=ann_file_val, pipeline=test_pipeline))
val_dataloader = dict(test_dataloader, batch_size=8)

train_cfg = dict(max_epochs=8, val_interval=8)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=8, eta_min=0, by_epoch=True)]
optim_wrapper = dict(optimizer=dict(lr=0.01, weight_decay=0.0001))
default_hooks = dict(
    logger=dict(interval=4),
    checkpoint=dict(interval=2, save_best=None, max_keep_ckpts=2))
randomness = dict(seed=0)
auto_scale_lr = dict(enable=False, base_batch_size=16)
