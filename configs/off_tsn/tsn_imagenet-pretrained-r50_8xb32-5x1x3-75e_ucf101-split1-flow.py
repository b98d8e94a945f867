# Stage 1 of the optical-flow stream (Table 2): TSN-R50 on 5 stacked TV-L1
# flow frames (x, y) per segment, 10 channels, sampled at the fixed interval of
# Section 4.2.3 (3 training segments, 25 test segments x 10 crops). The flow
# rawframes and their lists come from tools/extract_flow.py (README).
_base_ = './tsn_imagenet-pretrained-r50_8xb32-1x1x3-75e_ucf101-split1-rgb.py'

in_channels = 10
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

# The RGB pipelines from the first resize on, after fixed-interval sampling
# and flow-frame loading. FlowFlip negates flow-x when flipping (MMAction2 1.2.0's
# Flip mishandles the (H, W, 2) flow frames its RawFrameDecode produces);
# FlowTenCrop negates it in the 5 mirrored test crops, which TenCrop leaves as
# they are.
sampling = dict(type='FixedIntervalSampleFrames', num_segments=3,
                test_segments=25, clip_len=5)
test_sampling = dict(sampling, test_mode=True)
decode = dict(type='CheckedRawFrameDecode')
train_pipeline = [sampling, decode, *_base_.train_pipeline[3:]]
val_pipeline = [test_sampling, decode, *_base_.val_pipeline[3:]]
test_pipeline = [test_sampling, decode, *_base_.test_pipeline[3:]]
train_pipeline[5].type = 'FlowFlip'
test_pipeline[3].type = 'FlowTenCrop'

flow_dataset = dict(
    _delete_=True, type='RawframeDataset', filename_tmpl='{}_{:05d}.jpg',
    modality='Flow', data_prefix=dict(img=data_root))
flow_val = dict(flow_dataset, ann_file=ann_file_val, test_mode=True)
train_dataloader = dict(dataset=dict(
    flow_dataset, ann_file=ann_file_train, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(flow_val, pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(flow_val, pipeline=test_pipeline))

# TSN's flow stream: lr 0.005 (MMAction2's TSN flow config).
optim_wrapper = dict(optimizer=dict(lr=0.005))
