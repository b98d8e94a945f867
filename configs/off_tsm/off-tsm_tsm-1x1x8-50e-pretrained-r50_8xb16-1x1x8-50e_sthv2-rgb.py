# TSM-R50 + OFF on Something-Something V2: stage 2 on MMAction2's released
# TSM-R50 1x1x8 sthv2 checkpoint (below), frozen, with the light OFF
# sub-network of the Kinetics-400 config; 8 segments at 224, the base's test
# views (2 clips x 3 crops), the base's 50 epochs with the paper's TSM stage-2
# learning rate (half-cosine from 0.01). The other stage-2 settings are those
# of every stage-2 config here: _base_/off-tsm-stage2_8xb16-1x1x8-110e.py.
# MMAction2's test takes a second, shifted clip with twice_sample; here the 2
# test clips keep the training gap. Training flips as the base does: Flip with
# its left/right label map.
_base_ = [
    'mmaction::recognition/tsm/tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_sthv2-rgb.py',
    './_base_/off-tsm-stage2_8xb16-1x1x8-110e.py'
]

load_from = ('https://download.openmmlab.com/mmaction/v1.0/recognition/tsm/'
             'tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_sthv2-rgb/'
             'tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_sthv2-rgb_'
             '20230317-be0fc26e.pth')
_base_.merge(_base_.pop('stage2'))

num_classes = 174
max_epochs = 50
model = dict(
    backbone=dict(out_indices=(1, 2, 3), frozen_stages=4),
    neck=dict(
        in_channels=(512, 1024, 2048),
        num_classes=num_classes,
        stage_channels=(64, 128, 256),
        reduced_channels=128,
        spatial_channels=32),
    cls_head=dict(num_classes=num_classes, in_channels=2048, off_channels=256))

# The inherited pipelines, with checked video loading, the fixed-interval
# sampling and the video names kept.
train_pipeline = _base_.train_pipeline
val_pipeline = _base_.val_pipeline
test_pipeline = _base_.test_pipeline
train_pipeline[0] = val_pipeline[0] = test_pipeline[0] = _base_.checked_init
train_pipeline[-1].meta_keys = _base_.pack_meta_keys
val_pipeline[-1].meta_keys = test_pipeline[-1].meta_keys = _base_.pack_meta_keys
train_pipeline[1] = _base_.sampling
val_pipeline[1] = dict(_base_.sampling, test_mode=True)
test_pipeline[1] = dict(_base_.sampling, test_mode=True, test_clips=2)  # x 3 crops
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        eta_min=0,
        by_epoch=True,
        begin=0,
        end=max_epochs)
]
optim_wrapper = dict(optimizer=dict(weight_decay=0.0005))
