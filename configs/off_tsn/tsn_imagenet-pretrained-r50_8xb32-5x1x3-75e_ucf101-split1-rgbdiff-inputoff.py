# Stage 1 of Table 1's "RGB Diff" stream: OFF computed on the input level
# (f(I) = I in Eq. 4): per pair of consecutive frames, the Eq. 5/6 spatial
# gradients of the first frame and the temporal difference, 9 channels per
# pair, 36 for a 5-frame segment. Otherwise as the RGB-diff stream.
_base_ = './tsn_imagenet-pretrained-r50_8xb32-5x1x3-75e_ucf101-split1-rgbdiff.py'

clip_len = 5
num_segments = 3
test_segments = 25
in_channels = 36  # off_plugins.mmaction.rgb_diff_channels(5, 'off')

model = dict(
    backbone=dict(in_channels=in_channels),
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
    dict(type='Resize', scale=(-1, 256)),
    dict(
        type='MultiScaleCrop',
        input_size=224,
        scales=(1, 0.875, 0.75, 0.66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='RGBDiff', mode='off'),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=pack_meta_keys)
]
val_pipeline = [
    dict(type='CheckedDecordInit', min_frames=test_segments, **file_client_args),
    dict(
        type='FixedIntervalSampleFrames',
        num_segments=num_segments,
        test_segments=test_segments,
        clip_len=clip_len,
        test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='RGBDiff', mode='off'),
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
    dict(type='Resize', scale=(-1, 256)),
    dict(type='TenCrop', crop_size=224),
    dict(type='RGBDiff', mode='off'),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=pack_meta_keys)
]

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
