# Stage 2 of every generated-motion (offmotion) TSN-R18 + OFF config of this
# folder: the OFF sub-network on the frozen stage-1 TSN-R18 of its stream, on
# ResNet stages 2-4 (strides 8, 16, 32, as the paper's 28/14/7 scales), 4
# training segments at the interval of 8 test segments. Applied as
# _base_/off-tsn-stage2_r50_4xb32-20k.py is:
#     _base_.merge(_base_.pop('stage2'))
stage2 = dict(
    custom_imports=dict(imports=['off_plugins.mmaction', 'off_plugins.dist'],
                        allow_failed_imports=False),
    # Multi-process training: DDP must see the frozen backbone as frozen.
    model_wrapper_cfg=dict(type='FreezeFirstDistributedDataParallel'),
    model=dict(
        backbone=dict(out_indices=(1, 2, 3), frozen_stages=4, norm_eval=True),
        neck=dict(
            type='OFFNeck', in_channels=(128, 256, 512), num_classes=8,
            num_segments=4, test_num_segments=8,
            stage_channels=(64, 128, 256), blocks_per_stage=3,
            reduced_channels=128, spatial_channels=32,
            # half of the spatial-gradient channels dropped in training:
            # chosen on the motion benchmark's variants (README)
            spatial_dropout=0.5),
        cls_head=dict(
            _delete_=True, type='OFFHead', num_classes=8, in_channels=512,
            off_channels=256, dropout_ratio=0.4, off_dropout_ratio=0.5,
            average_clips='prob')),
    # The paper's SGD schedule (lr 0.02, gradient clip 40) spans 20k
    # iterations; this job has 300, where AdamW converges much faster from
    # scratch.
    train_cfg=dict(max_epochs=25, val_interval=25),
    param_scheduler=[
        dict(type='CosineAnnealingLR', T_max=25, eta_min=0, by_epoch=True)],
    optim_wrapper=dict(
        _delete_=True,
        optimizer=dict(type='AdamW', lr=0.003, weight_decay=0.0001),
        clip_grad=dict(max_norm=40, norm_type=2)),
    default_hooks=dict(
        checkpoint=dict(interval=5, save_best=None, max_keep_ckpts=2)),
    # Stage 2 refuses to start unless the frozen stage-1 TSN (backbone and
    # its classifier) was loaded from a checkpoint that holds it.
    custom_hooks=[
        dict(type='RandomStateHook'), dict(type='InputCheckHook'),
        dict(type='CheckpointCoverageHook',
             required=('backbone.', 'cls_head.fc_cls.'))])
