# Stage 1 of the RGB-diff stream (Table 2): TSN-R50 on TSN's RGB-difference
# input, 5 consecutive frames per segment whose 4 differences are stacked into
# 12 channels, sampled at the fixed interval of Section 4.2.3 (3 training
# segments, 25 test segments x 10 crops, TSN's test protocol).
_base_ = './tsn_imagenet-pretrained-r50_8xb32-1x1x3-75e_ucf101-split1-rgb.py'

custom_imports = dict(imports=['off_plugins.mmaction'], allow_failed_imports=False)

clip_len = 5
num_segments = 3
test_segments = 25
in_channels = 3 * (clip_len - 1)  # off_plugins.mmaction.rgb_diff_channels(5)

# TSN's cross-modality initialisation: the ImageNet conv1 kernel averaged over
# RGB and repeated for each input channel (MMAction2's ResNet would leave conv1
# random when in_channels != 3); the other layers load as usual.
model = dict(
    backbone=dict(type='CrossModalityResNet', in_channels=in_channels),
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
    dict(type='Resize', scale=(-1, 256)),
    dict(
        type='MultiScaleCrop',
        input_size=224,
        scales=(1, 0.875, 0.75, 0.66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='RGBDiff'),
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
    dict(type='Resize', scale=(-1, 256)),
    dict(type='TenCrop', crop_size=224),
    dict(type='RGBDiff'),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=pack_meta_keys)
]

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
