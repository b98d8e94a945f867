# Stage 2 (Section 4.2.1): the OFF sub-network on the frozen stage-1 TSN-R50,
# in the ablation setting of Section 5.1 (3 training segments, 25 test
# segments; Tables 3 and 4). The stage-2 settings are those of every stage-2
# config here: _base_/off-tsn-stage2_r50_4xb32-20k.py.
_base_ = ['./tsn_imagenet-pretrained-r50_8xb32-1x1x3-75e_ucf101-split1-rgb.py',
          './_base_/off-tsn-stage2_r50_4xb32-20k.py']

# The stage-1 run of the config above; override with --cfg-options load_from=...
load_from = 'work_dirs/tsn_imagenet-pretrained-r50_8xb32-1x1x3-75e_ucf101-split1-rgb/epoch_75.pth'
_base_.merge(_base_.pop('stage2'))

# The stage-1 pipelines with the fixed-interval sampling of Section 4.2.3 (a
# video needs one frame per test segment).
sampling = dict(type='FixedIntervalSampleFrames', num_segments=3,
                test_segments=25)
train_pipeline = _base_.train_pipeline
val_pipeline = _base_.val_pipeline
test_pipeline = _base_.test_pipeline
train_pipeline[0].min_frames = 25
val_pipeline[0].min_frames = test_pipeline[0].min_frames = 25
train_pipeline[1] = sampling
val_pipeline[1] = test_pipeline[1] = dict(sampling, test_mode=True)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
