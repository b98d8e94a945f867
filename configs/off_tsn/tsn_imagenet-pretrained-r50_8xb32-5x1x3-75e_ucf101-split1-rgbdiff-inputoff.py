# Stage 1 of Table 1's "RGB Diff" stream: OFF computed on the input level
# (f(I) = I in Eq. 4): per pair of consecutive frames, the Eq. 5/6 spatial
# gradients of the first frame and the temporal difference, 9 channels per
# pair, 36 for a 5-frame segment. Otherwise as the RGB-diff stream.
_base_ = './tsn_imagenet-pretrained-r50_8xb32-5x1x3-75e_ucf101-split1-rgbdiff.py'

in_channels = 36  # off_plugins.mmaction.rgb_diff_channels(5, 'off')

model = dict(
    backbone=dict(in_channels=in_channels),
    data_preprocessor=dict(
        mean=[0.0] * in_channels, std=[115.0] * in_channels))

train_pipeline = _base_.train_pipeline
val_pipeline = _base_.val_pipeline
test_pipeline = _base_.test_pipeline
train_pipeline[-3].mode = 'off'
val_pipeline[-3].mode = test_pipeline[-3].mode = 'off'
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
