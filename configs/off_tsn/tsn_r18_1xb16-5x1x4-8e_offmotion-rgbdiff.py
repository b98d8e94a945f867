# Stage 1 of the RGB-diff stream on the generated motion dataset: TSN-R18 on
# TSN's RGB-difference input (5 consecutive frames per segment, the 4
# differences stacked into 12 channels), sampled at the fixed interval of
# Section 4.2.3 as in every stream.
_base_ = './tsn_r18_1xb16-1x1x4-8e_offmotion-rgb.py'

in_channels = 12  # off_plugins.mmaction.rgb_diff_channels(5)

model = dict(
    backbone=dict(in_channels=in_channels),
    # Differences are centred at 0; the scale is twice the RGB std (TSN's
    # choice for RGB-diff).
    data_preprocessor=dict(
        mean=[0.0] * in_channels, std=[115.0] * in_channels))

sampling = dict(type='FixedIntervalSampleFrames', num_segments=4,
                test_segments=8, clip_len=5)
train_pipeline = _base_.train_pipeline
test_pipeline = _base_.test_pipeline
train_pipeline[0].min_frames = 8
train_pipeline[1] = sampling
test_pipeline[1] = dict(sampling, test_mode=True)
train_pipeline.insert(-2, dict(type='RGBDiff'))
test_pipeline.insert(-2, dict(type='RGBDiff'))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
