# Final setting (Table 6, and Table 1): 7 training segments of 5 frames, tested
# on 25 segments at the same interval.
_base_ = './off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x3-20k_ucf101-split1-rgbdiff-inputoff.py'

num_segments = 7
model = dict(neck=dict(num_segments=num_segments))
train_pipeline = _base_.train_pipeline
val_pipeline = _base_.val_pipeline
test_pipeline = _base_.test_pipeline
train_pipeline[1].num_segments = num_segments
val_pipeline[1].num_segments = test_pipeline[1].num_segments = num_segments
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
