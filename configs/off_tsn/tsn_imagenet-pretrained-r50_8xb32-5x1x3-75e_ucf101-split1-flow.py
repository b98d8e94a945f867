# Stage 1 of the optical-flow stream (Table 2): TSN-R50 on 5 stacked TV-L1
# flow frames (x, y) per segment, 10 channels, sampled at the fixed interval of
# Section 4.2.3 (3 training segments, 25 test segments x 10 crops). The flow
# rawframes and their lists come from tools/extract_flow.py (README).
_base_ = './tsn_imagenet-pretrained-r50_8xb32-1x1x3-75e_ucf101-split1-rgb.py'

custom_imports = dict(imports=['off_plugins.mmaction'], allow_failed_imports=False)

clip_len = 5
num_segments = 3
test_segments = 25
in_channels = 2 * clip_len

data_root = 'data/ucf101/flow'
ann_file_train = 'data/ucf101/ucf101_train_split_1_flow.txt'
ann_file_val = 'data/ucf101/ucf101_val_split_1_flow.txt'

# TSN's cross-modality initialisation: the ImageNet conv1 kernel averaged over
# RGB and repeated for each input channel (MMAction2's ResNet would leave conv1
# random when in_channels != 3); the other layers load as usual.
# Inputs are the uint8 flow images centred at 128.
model = dict(
    backbone=dict(type='CrossModalityResNet', in_channels=in_channels),
    data_preprocessor=dict(
        mean=[128.0] * in_channels, std=[128.0] * in_channels))

# Each video's name goes into the test dumps: score fusion matches streams by it.
pack_meta_keys = ('img_shape', 'img_key', 'video_id', 'timestamp', 'filename',
                  'frame_dir')
# FlowFlip negates flow-x when flipping (MMAction2 1.2.0's Flip mishandles the
# (H, W, 2) flow frames its RawFrameDecode produces); FlowTenCrop negates it in
# the 5 mirrored test crops, which TenCrop leaves as they are.
train_pipeline = [
    dict(
        type='FixedIntervalSampleFrames',
        num_segments=num_segments,
        test_segments=test_segments,
        clip_len=clip_len),
    dict(type='CheckedRawFrameDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(
        type='MultiScaleCrop',
        input_size=224,
        scales=(1, 0.875, 0.75, 0.66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='FlowFlip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=pack_meta_keys)
]
val_pipeline = [
    dict(
        type='FixedIntervalSampleFrames',
        num_segments=num_segments,
        test_segments=test_segments,
        clip_len=clip_len,
        test_mode=True),
    dict(type='CheckedRawFrameDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=pack_meta_keys)
]
test_pipeline = [
    dict(
        type='FixedIntervalSampleFrames',
        num_segments=num_segments,
        test_segments=test_segments,
        clip_len=clip_len,
        test_mode=True),
    dict(type='CheckedRawFrameDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='FlowTenCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=pack_meta_keys)
]

flow_dataset = dict(
    _delete_=True,
    type='RawframeDataset',
    filename_tmpl='{}_{:05d}.jpg',
    modality='Flow',
    data_prefix=dict(img=data_root))
train_dataloader = dict(
    dataset=dict(ann_file=ann_file_train, pipeline=train_pipeline, **flow_dataset))
val_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_val, pipeline=val_pipeline, test_mode=True,
        **flow_dataset))
test_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_val, pipeline=test_pipeline, test_mode=True,
        **flow_dataset))

# TSN's flow stream: lr 0.005 (MMAction2's TSN flow config).
optim_wrapper = dict(optimizer=dict(lr=0.005))
