# Stage 2 of the main job: the OFF sub-network on the frozen stage-1 TSN-R18
# (_base_/off-tsn-stage2_r18_1xb16-25e.py); 4 training segments (alpha) at the
# interval of 8 test segments (beta).
_base_ = ['./tsn_r18_1xb16-1x1x4-8e_offmotion-rgb.py',
          './_base_/off-tsn-stage2_r18_1xb16-25e.py']

load_from = 'work_dirs/main_job/tsn/epoch_8.pth'
_base_.merge(_base_.pop('stage2'))

# The stage-1 pipelines with the fixed-interval sampling of Section 4.2.3.
sampling = dict(type='FixedIntervalSampleFrames', num_segments=4,
                test_segments=8)
train_pipeline = _base_.train_pipeline
test_pipeline = _base_.test_pipeline
train_pipeline[0].min_frames, train_pipeline[1] = 8, sampling
# Mirrored training videos, relabelled with MMAction2's flip_label_map (as its
# Something-Something configs do): a mirrored rightward video is a leftward
# one, a mirrored rotation turns the other way. The maps are this dataset's
# (data_tools.motion.flip_label_map of its classes); the motion benchmark sets
# each variant's, and drops a flip that would make a motion outside the set.
train_pipeline[4:4] = [
    dict(type='Flip', flip_ratio=0.5, direction='horizontal',
         flip_label_map={0: 2, 1: 3, 2: 0, 3: 1, 6: 7, 7: 6}),
    dict(type='Flip', flip_ratio=0.5, direction='vertical',
         flip_label_map={4: 5, 5: 4, 6: 7, 7: 6})]
test_pipeline[1] = dict(sampling, test_mode=True)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
