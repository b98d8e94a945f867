# Stage 1 of the RGB-diff stream (Table 2): TSN-R50 on TSN's RGB-difference
# input, 5 consecutive frames per segment whose 4 differences are stacked into
# 12 channels, sampled at the fixed interval of Section 4.2.3 (3 training
# segments, 25 test segments x 10 crops, TSN's test protocol).
_base_ = './tsn_imagenet-pretrained-r50_8xb32-1x1x3-75e_ucf101-split1-rgb.py'

in_channels = 12  # off_plugins.mmaction.rgb_diff_channels(5)

# TSN's cross-modality initialisation: the ImageNet conv1 kernel averaged over
# RGB and repeated for each input channel (MMAction2's ResNet would leave conv1
# random when in_channels != 3); the other layers load as usual. Differences
# are centred at 0; the scale is twice the RGB std (TSN's choice for RGB-diff).
model = dict(
    backbone=dict(type='CrossModalityResNet', in_channels=in_channels),
    data_preprocessor=dict(
        mean=[0.0] * in_channels, std=[115.0] * in_channels))

# The RGB pipelines with fixed-interval sampling of 5-frame segments (a video
# needs one frame per test segment) and the differences taken after the crops.
sampling = dict(type='FixedIntervalSampleFrames', num_segments=3,
                test_segments=25, clip_len=5)
train_pipeline = _base_.train_pipeline
val_pipeline = _base_.val_pipeline
test_pipeline = _base_.test_pipeline
train_pipeline[0].min_frames = 25
val_pipeline[0].min_frames = test_pipeline[0].min_frames = 25
train_pipeline[1] = sampling
val_pipeline[1] = test_pipeline[1] = dict(sampling, test_mode=True)
train_pipeline.insert(-2, dict(type='RGBDiff'))
val_pipeline.insert(-2, dict(type='RGBDiff'))
test_pipeline.insert(-2, dict(type='RGBDiff'))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
