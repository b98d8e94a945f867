# Stage 2 (Section 4.2.1) of every TSM + OFF config of this folder: the OFF
# sub-network on MMAction2's released TSM 1x1x8 checkpoint (the stage-1
# config's `load_from`), frozen with its classifier, 8 segments, the TSM + OFF
# schedule (SGD, half-cosine learning rate from 0.01 over 110 epochs).
# Two bases may not set the same key, so a stage-2 config inherits MMAction2's
# stage-1 config and this file, lays these settings over the stage-1 ones and
# edits the inherited pipelines with `checked_init`, `sampling` and
# `pack_meta_keys`:
#     _base_ = ['mmaction::recognition/tsm/STAGE1.py',
#               './_base_/off-tsm-stage2_8xb16-1x1x8-110e.py']
#     _base_.merge(_base_.pop('stage2'))
#
# One temporal gap everywhere (Section 4.2.3, Eq. 7's Delta t): train, val and
# test sample 8 segments at the interval floor(L / 8) of an L-frame video
# (FixedIntervalSampleFrames, alpha = beta = 8); training draws the run's
# start at random, val takes the centred run, test spreads its clips over the
# video, each a view of 8 segments at that same interval. This is the gap the
# stage-1 TSM was trained at: MMAction2's TSM 1x1x8 configs use the uniform
# SampleFrames(clip_len=1, frame_interval=1, num_clips=8) (one frame from each
# eighth of the video, L / 8 apart on average), so a stage-1 checkpoint must
# come from such uniform 1x1x8 sampling, not from the dense configs
# (DenseSampleFrames, 8 frames apart).
stage2 = dict(
    custom_imports=dict(imports=['off_plugins.mmaction', 'off_plugins.dist'],
                        allow_failed_imports=False),
    # Multi-process training: DDP must see the frozen backbone as frozen
    # (mmaction's backbones apply frozen_stages only in train(), after the
    # stock wrapper is built).
    model_wrapper_cfg=dict(type='FreezeFirstDistributedDataParallel'),
    num_segments=8,
    model=dict(
        backbone=dict(  # weights come from the stage-1 checkpoint
            pretrained=None, pretrained2d=False, num_segments=8,
            norm_eval=True),
        neck=dict(type='OFFNeck', num_segments=8, blocks_per_stage=3,
                  components='full', kernel='paper'),
        cls_head=dict(
            _delete_=True, type='OFFHead', dropout_ratio=0.5,
            off_dropout_ratio=0.5, freeze_base_cls=True,
            average_clips='prob')),
    # Each video's name goes into the test dumps: score fusion matches
    # streams by it.
    pack_meta_keys=('img_shape', 'img_key', 'video_id', 'timestamp',
                    'filename', 'frame_dir'),
    checked_init=dict(type='CheckedDecordInit', io_backend='disk',
                      min_frames=8),
    sampling=dict(type='FixedIntervalSampleFrames', num_segments=8,
                  test_segments=8),
    train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=110, val_begin=1,
                   val_interval=5),
    param_scheduler=[
        dict(type='CosineAnnealingLR', T_max=110, eta_min=0, by_epoch=True,
             begin=0, end=110)],
    optim_wrapper=dict(
        _delete_=True,
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                       weight_decay=0.0001),
        clip_grad=dict(max_norm=20, norm_type=2)),
    # A run killed at any moment resumes (--resume) from its last complete
    # checkpoint, with the random state of that moment (off_plugins/hooks.py).
    # The test tool's --show / --show-dir enable the visualization hook; this
    # one draws 2D recognizers' (segments, C, H, W) inputs (off_plugins/mmaction).
    default_hooks=dict(
        checkpoint=dict(type='AtomicCheckpointHook'),
        visualization=dict(type='SegmentVisualizationHook', enable=False)),
    # Stage 2 refuses to start unless the frozen stage-1 TSM (backbone and
    # its classifier) was loaded from a checkpoint that holds it.
    custom_hooks=[
        dict(type='RandomStateHook'), dict(type='InputCheckHook'),
        dict(type='CheckpointCoverageHook',
             required=('backbone.', 'cls_head.fc_cls.'))])
