# Stage 2 (Section 4.2.1) of every TSN-R50 + OFF config of this folder: the OFF
# sub-network trained on the frozen stage-1 TSN-R50 (backbone, its BN
# statistics and its classifier) in the ablation setting of Section 5.1.
# Two bases may not set the same key, so a stage-2 config inherits its stage-1
# config and this file, then lays these settings over the stage-1 ones:
#     _base_ = ['./STAGE1.py', './_base_/off-tsn-stage2_r50_4xb32-20k.py']
#     _base_.merge(_base_.pop('stage2'))
stage2 = dict(
    custom_imports=dict(imports=['off_plugins.mmaction', 'off_plugins.dist'],
                        allow_failed_imports=False),
    # Multi-process training: DDP must see the frozen backbone as frozen
    # (mmaction's ResNet applies frozen_stages only in train(), after the
    # stock wrapper is built).
    model_wrapper_cfg=dict(type='FreezeFirstDistributedDataParallel'),
    model=dict(
        backbone=dict(  # weights come from the stage-1 checkpoint
            pretrained=None, out_indices=(1, 2, 3), frozen_stages=4,
            norm_eval=True),
        # 3 training segments (alpha), tested on 25 (beta) at the same
        # interval floor(L / 25) (Section 4.2.3).
        neck=dict(
            type='OFFNeck', in_channels=(512, 1024, 2048), num_classes=101,
            num_segments=3, test_num_segments=25,
            stage_channels=(64, 128, 256), blocks_per_stage=3,
            reduced_channels=128, spatial_channels=32, components='full',
            kernel='paper', spatial_dropout=0.5),
        cls_head=dict(
            _delete_=True, type='OFFHead', num_classes=101, in_channels=2048,
            off_channels=256, dropout_ratio=0.4, off_dropout_ratio=0.5,
            freeze_base_cls=True, fusion_weights=(1.0, 1.0),
            average_clips='prob')),
    # 4 GPUs x 32 clips (the stage-1 batch) = the paper's batch of 128.
    val_dataloader=dict(batch_size=8),
    auto_scale_lr=dict(enable=False, base_batch_size=128),
    # SGD, lr 0.02, 20k iterations, x0.1 at 10k/15k/18k, gradient clip 40.
    train_cfg=dict(
        _delete_=True, type='IterBasedTrainLoop', max_iters=20000,
        val_interval=2000),
    param_scheduler=[
        dict(type='MultiStepLR', begin=0, end=20000, by_epoch=False,
             milestones=[10000, 15000, 18000], gamma=0.1)],
    optim_wrapper=dict(
        _delete_=True,
        optimizer=dict(type='SGD', lr=0.02, momentum=0.9,
                       weight_decay=0.0005),
        clip_grad=dict(max_norm=40, norm_type=2)),
    log_processor=dict(by_epoch=False),
    default_hooks=dict(
        checkpoint=dict(interval=2000, by_epoch=False, max_keep_ckpts=3)),
    # Stage 2 refuses to start unless the frozen stage-1 TSN (backbone and
    # its classifier) was loaded from a checkpoint that holds it.
    custom_hooks=[
        dict(type='RandomStateHook'), dict(type='InputCheckHook'),
        dict(type='CheckpointCoverageHook',
             required=('backbone.', 'cls_head.fc_cls.'))])
