# DnCNN baseline of Table 9 (Section 7.2/7.3): 20 convs 3x3 + ReLU, no BN,
# global residual; Adam 5e-4, cosine, 50 epochs, batch 28 (4 GPUs x 7),
# Xavier-uniform init, no augmentation, full 448x256 frames.
custom_imports = dict(
    imports=['off_plugins.restoration'], allow_failed_imports=False)
default_scope = 'off_plugins'

model = dict(
    type='DnCNN',
    channels=64,
    depth=20,
    init_cfg=dict(type='Xavier', layer='Conv2d', distribution='uniform'))

dataset_type = 'Vimeo90KSeptupletDataset'
data_root = 'data/vimeo90k/'
train_dataloader = dict(
    batch_size=7,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='sep_trainlist.txt',
        data_prefix=dict(gt='sequences', lq='sequences_jpeg2000_q20'),
        num_frames=1))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='sep_testlist.txt',
        data_prefix=dict(gt='sequences', lq='sequences_jpeg2000_q20'),
        num_frames=1,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='RestorationMetric')
test_evaluator = val_evaluator

max_epochs = 50
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=5e-4))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        convert_to_iter_based=True)
]
auto_scale_lr = dict(enable=False, base_batch_size=28)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='AtomicCheckpointHook',
        interval=5,
        save_best='PSNR',
        rule='greater',
        max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # compressed | restored | clean strips; tools/test.py --show-dir enables it
    visualization=dict(type='RestorationVisualizationHook', enable=False))
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='CheckpointCoverageHook')
]
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
