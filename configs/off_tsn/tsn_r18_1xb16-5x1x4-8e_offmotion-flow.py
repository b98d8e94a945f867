# Stage 1 of the optical-flow stream on the generated motion dataset: TSN-R18
# on 5 stacked TV-L1 flow frames (x, y) per segment, 10 channels, read from
# the rawframes that tools/extract_flow.py writes, sampled at the fixed
# interval of Section 4.2.3 as in every stream.
_base_ = './tsn_r18_1xb16-1x1x4-8e_offmotion-rgb.py'

in_channels = 10
data_root = 'data/offmotion/flow'
ann_file_train = 'data/offmotion/offmotion_train_list_flow.txt'
ann_file_val = 'data/offmotion/offmotion_val_list_flow.txt'

model = dict(
    backbone=dict(in_channels=in_channels),
    data_preprocessor=dict(
        mean=[128.0] * in_channels, std=[128.0] * in_channels))

sampling = dict(type='FixedIntervalSampleFrames', num_segments=4,
                test_segments=8, clip_len=5)
decode = dict(type='CheckedRawFrameDecode')
train_pipeline = [sampling, decode, *_base_.train_pipeline[3:]]
test_sampling = dict(sampling, test_mode=True)
test_pipeline = [test_sampling, decode, *_base_.test_pipeline[3:]]

flow_dataset = dict(
    _delete_=True, type='RawframeDataset', filename_tmpl='{}_{:05d}.jpg',
    modality='Flow', data_prefix=dict(img=data_root))
train_dataloader = dict(dataset=dict(
    flow_dataset, ann_file=ann_file_train, pipeline=train_pipeline))
val_dataloader = test_dataloader = dict(dataset=dict(
    flow_dataset, ann_file=ann_file_val, pipeline=test_pipeline,
    test_mode=True))
