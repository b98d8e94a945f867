# Single-frame R-FCN, ResNet-101 (Table 7, row "RFCN"): the OFF detector's
# code with OFF switched off. Trained on ImageNet VID + DET-30, tested on the
# 555 VID validation snippets with CocoVideoMetric (mAP@50 is the headline).
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50-caffe-c4.py',
    'mmdet::_base_/default_runtime.py'
]
custom_imports = dict(imports=['off_plugins.mmdet'], allow_failed_imports=False)

model = dict(
    type='OFFRFCN',
    data_preprocessor=dict(
        _delete_=True,
        type='TrackDataPreprocessor',
        mean=[103.530, 116.280, 123.675],
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False,
        pad_size_divisor=16),
    # all five stages, res5 dilated (stride 16) as in R-FCN; res3 (512-d,
    # stride 8) and res5 (2048-d) are returned for the neck.
    backbone=dict(
        depth=101,
        num_stages=4,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        out_indices=(1, 3),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='open-mmlab://detectron2/resnet101_caffe')),
    # 3x3 conv to 1024-d; the first 512 channels feed the RPN, the last 512
    # the R-FCN head (Fig. 5).
    neck=dict(
        type='OFFReduceNeck', in_channels=[512, 2048], out_channels=1024,
        off=None),
    rpn_head=dict(
        in_channels=512,
        feat_channels=512,
        anchor_generator=dict(scales=[4, 8, 16, 32])),
    roi_head=dict(
        _delete_=True,
        type='RFCNRoIHead',
        bbox_head=dict(
            type='RFCNBBoxHead',
            in_channels=512,
            roi_feat_size=7,
            featmap_stride=16,
            pool_mode='pool',
            num_classes=30,
            reg_class_agnostic=True,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0., 0., 0., 0.],
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            loss_cls=dict(
                type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=6000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(
        rpn=dict(nms_pre=6000, max_per_img=300),
        rcnn=dict(score_thr=0.001, nms=dict(type='nms', iou_threshold=0.3))))

# Data: ILSVRC2015 converted by tools/vid/ilsvrc_to_cocovid.py.
dataset_type = 'ImagenetVIDDataset'
data_root = 'data/ILSVRC/'
backend_args = None
# A key frame and its reference ref_offset frames earlier (clamped to the
# video); a DET image is a one-frame video and is its own reference. OFF
# detectors test with the same gap and direction (test_ref_offset), as Eq. 7
# assumes. The single-frame baseline loads the reference too and ignores it,
# so every row shares this pipeline.
ref_offset = 1
train_pipeline = [
    dict(type='FixedOffsetRefFrameSample', offset=ref_offset),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            dict(type='LoadTrackAnnotations'),
            dict(type='Resize', scale=(1000, 600), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackTrackInputs')
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            dict(type='Resize', scale=(1000, 600), keep_ratio=True),
            dict(type='LoadTrackAnnotations'),
        ]),
    dict(type='PackTrackInputs')
]
# The training set, ImageNet VID train and the 30-class DET images, is one
# CocoVID file (tools/vid/ilsvrc_to_cocovid.py with both --split), whose
# frames TrackImgSampler samples uniformly. (MMDetection 3.3's TrackImgSampler
# cannot drive a ConcatDataset of the two: it yields each member's own video
# indices, which mmengine's ConcatDataset cannot index.)
train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/imagenet_vid_det30_train.json',
        data_prefix=dict(img_path='Data/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/imagenet_vid_val.json',
        data_prefix=dict(img_path='Data/'),
        test_mode=True,
        test_ref_offset=None,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='CocoVideoMetric',
    metric='bbox',
    ann_file=data_root + 'annotations/imagenet_vid_val.json',
    backend_args=backend_args)
test_evaluator = val_evaluator

# Schedule (Section 6.2): SGD, 220k iterations on 4 GPUs x 1 image,
# lr 0.00025, then 0.000025 after 73k iterations.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=220000, val_interval=220000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[73000], gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.00025, momentum=0.9, weight_decay=0.0005))
default_hooks = dict(
    checkpoint=dict(
        type='AtomicCheckpointHook', by_epoch=False, interval=20000),
    logger=dict(type='LoggerHook', interval=50),
    # tools/test.py --show-dir draws the key frames' boxes
    visualization=dict(type='VideoDetVisualizationHook'))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=4)
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='CheckpointCoverageHook')
]
