# Stage 1 of the RGB-diff stream on the generated motion dataset: TSN-R18 on
# TSN's RGB-difference input (5 consecutive frames per segment, the 4
# differences stacked into 12 channels), sampled at the fixed interval of
# Section 4.2.3 as in every stream.
_base_ = './tsn_r18_1xb16-1x1x4-8e_offmotion-rgb.py'

custom_imports = dict(imports=['off_plugins.mmaction'], allow_failed_imports=False)

clip_len = 5
num_segments = 4
test_segments = 8
in_channels = 3 * (clip_len - 1)  # off_plugins.mmaction.rgb_diff_channels(5)

model = dict(
    backbone=dict(in_channels=in_channels),
    # Differences are centred at 0; the scale is twice the RGB std (TSN's
    # choice for RGB-diff).
    data_preprocessor=dict(
        mean=[0.0] * in_channels, std=[115.0] * in_channels))

file_client_args = dict(io_backend='disk')
# Each video's name goes into the test dumps: score fusion matches streams by it.
pack_meta_keys = ('img_shape', 'img_key', 'video_id', 'timestamp', 'filename',
                  'frame_dir')
train_pipeline = [
    dict(type='CheckedDecordInit', min_frames=test_segments, **file_client_args),
    dict(
        type='FixedIntervalSampleFrames',
        num_segments=num_segments,
        test_segments=test_segments,
        clip_len=clip_len),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='RGBDiff'),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=pack_meta_keys)
]
test_pipeline = [
    dict(type='CheckedDecordInit', min_frames=test_segments, **file_client_args),
    dict(
        type='FixedIntervalSampleFrames',
        num_segments=num_segments,
        test_segments=test_segments,
        clip_len=clip_len,
        test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='RGBDiff'),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=pack_meta_keys)
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
