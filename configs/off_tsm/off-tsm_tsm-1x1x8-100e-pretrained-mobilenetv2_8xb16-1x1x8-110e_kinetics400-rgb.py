# TSM-MobileNetV2 + OFF on Kinetics-400, the mobile setting: stage 2 on
# MMAction2's released TSM-MobileNetV2 1x1x8 checkpoint (below), frozen, with
# the light OFF sub-network of the ResNet-50 config at a quarter of its widths
# (1x1 reductions to 32 and 8, stages of 16/32/64 channels, 3 basic blocks
# each; README.md gives its cost); 8 segments at 224, the base's test views
# (1 clip x 3 crops), the TSM + OFF schedule of the ResNet-50 config. The
# other stage-2 settings are those of every stage-2 config here:
# _base_/off-tsm-stage2_8xb16-1x1x8-110e.py.
#
# OFF on three scales of MobileNetV2: out_indices (2, 4, 7) are its 32-channel
# stride-8 block, its 96-channel stride-16 block and the final 1280-channel
# 1x1 convolution at stride 32 (28, 14 and 7 pixels at 224, as ResNet-50's
# stages 2-4); the last one is also the feature the TSM classifier scores.
#
# The checkpoint URL is MMAction2's model-zoo README's: mmaction2 1.2.0's
# tsm metafile.yml has no MobileNetV2 entry of its own (its MobileNetV2
# metadata sit under the R-101 sthv2 name, with that model's weights).
_base_ = [
    'mmaction::recognition/tsm/tsm_imagenet-pretrained-mobilenetv2_8xb16-1x1x8-100e_kinetics400-rgb.py',  # noqa: E501
    './_base_/off-tsm-stage2_8xb16-1x1x8-110e.py'
]

load_from = ('https://download.openmmlab.com/mmaction/v1.0/recognition/tsm/'
             'tsm_imagenet-pretrained-mobilenetv2_8xb16-1x1x8-100e_kinetics400-rgb/'
             'tsm_imagenet-pretrained-mobilenetv2_8xb16-1x1x8-100e_kinetics400-rgb_'
             '20230414-401127fd.pth')
_base_.merge(_base_.pop('stage2'))

num_classes = 400
off_channels = 64
model = dict(
    backbone=dict(
        out_indices=(2, 4, 7),
        frozen_stages=8),  # conv1, the 7 blocks and the final conv
    neck=dict(
        in_channels=(32, 96, 1280),
        num_classes=num_classes,
        stage_channels=(16, 32, off_channels),
        reduced_channels=32,
        spatial_channels=8),
    cls_head=dict(
        num_classes=num_classes, in_channels=1280, off_channels=off_channels))

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
test_pipeline[1] = dict(_base_.sampling, test_mode=True)  # x 3 crops
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

optim_wrapper = dict(optimizer=dict(weight_decay=0.00002))
