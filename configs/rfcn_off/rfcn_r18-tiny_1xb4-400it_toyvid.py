# CPU demo: the single-frame R-FCN baseline at tiny width (ResNet-18 with
# 16 base channels, trained from scratch, k = 3 cells) on the generated toy
# set (tools/vid/make_toy_vid.py), validated once at the end. Everything
# else is the real config's. Stage 1 of the demo's two-stage recipe
# (tools/vid/run_toy_vid.py); the OFF rows of this schedule are
# rfcn-off-{ss,ms}_r18-tiny_1xb4-400it_toyvid.py (end to end).
_base_ = './rfcn_r101_4xb1-220k_imagenetvid.py'

model = dict(
    backbone=dict(
        depth=18,
        base_channels=16,
        style='pytorch',
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[32, 128], out_channels=128),
    rpn_head=dict(
        in_channels=64,
        feat_channels=64,
        anchor_generator=dict(scales=[2, 3], ratios=[0.5, 1.0, 2.0])),
    roi_head=dict(bbox_head=dict(in_channels=64, roi_feat_size=3, num_classes=3)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=100),
        rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=1000, max_per_img=100)))

# the OFF branch of the toy OFF(SS) rows' neck, end to end and stage 2 (MS adds the
# res3 maps): OFF on the reduced maps (128-d here, 1024-d in the real
# model), SE refinement
toy_off_ss = dict(
    type='OFFBranch',
    off_levels=(),
    stage_channels=(64, ),
    blocks_per_stage=1,
    fuse_blocks=1,
    reduced_channels=32,
    with_se=True)

data_root = 'data/toyvid/'
metainfo = dict(classes=('cat', 'cup', 'patch'))
train_pipeline = [
    dict(type='FixedOffsetRefFrameSample', offset=_base_.ref_offset),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations'),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackTrackInputs')
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(128, 128), keep_ratio=True),
            dict(type='LoadTrackAnnotations'),
        ]),
    dict(type='PackTrackInputs')
]
train_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        type='ImagenetVIDDataset',
        data_root=data_root,
        ann_file='annotations/train.json',
        data_prefix=dict(img_path=''),
        metainfo=metainfo,
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/val.json',
        data_prefix=dict(img_path=''),
        metainfo=metainfo,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# classwise: per-class AP (all IoUs, @50, @75) in the log after the overall one
val_evaluator = dict(ann_file=data_root + 'annotations/val.json', classwise=True)
test_evaluator = val_evaluator

max_iters = 400
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=False, milestones=[340], gamma=0.1)
]
optim_wrapper = dict(
    optimizer=dict(lr=0.03, weight_decay=0.0001),
    clip_grad=dict(max_norm=10.0))
default_hooks = dict(
    checkpoint=dict(interval=100, max_keep_ckpts=2),
    logger=dict(interval=25))
randomness = dict(seed=0)
