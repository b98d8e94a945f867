# Stage 1 of the optical-flow stream on the generated motion dataset: TSN-R18
# on 5 stacked TV-L1 flow frames (x, y) per segment, 10 channels, read from
# the rawframes that tools/extract_flow.py writes.
_base_ = './tsn_r18_1xb16-1x1x4-8e_offmotion-rgb.py'

custom_imports = dict(imports=['off_plugins.mmaction'], allow_failed_imports=False)

clip_len = 5
num_segments = 4
test_segments = 8
in_channels = 2 * clip_len

data_root = 'data/offmotion/flow'
ann_file_train = 'data/offmotion/offmotion_train_list_flow.txt'
ann_file_val = 'data/offmotion/offmotion_val_list_flow.txt'

model = dict(
    backbone=dict(in_channels=in_channels),
    data_preprocessor=dict(
        mean=[128.0] * in_channels, std=[128.0] * in_channels))

# Each video's name goes into the test dumps: score fusion matches streams by it.
pack_meta_keys = ('img_shape', 'img_key', 'video_id', 'timestamp', 'filename',
                  'frame_dir')
train_pipeline = [
    dict(
        type='FixedIntervalSampleFrames',
        num_segments=num_segments,
        test_segments=test_segments,
        clip_len=clip_len),
    dict(type='CheckedRawFrameDecode'),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
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
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
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
        ann_file=ann_file_val, pipeline=test_pipeline, test_mode=True,
        **flow_dataset))
test_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_val, pipeline=test_pipeline, test_mode=True,
        **flow_dataset))
