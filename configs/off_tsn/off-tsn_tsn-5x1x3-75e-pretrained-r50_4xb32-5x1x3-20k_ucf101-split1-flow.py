# Stage 2 of OFF(Flow), Table 2 ablation setting (3 training segments, 25 test
# segments): the OFF sub-network on the frozen stage-1 TSN of that stream; data
# and sampling are the stage-1 config's.
_base_ = ['./tsn_imagenet-pretrained-r50_8xb32-5x1x3-75e_ucf101-split1-flow.py',
          './_base_/off-tsn-stage2_r50_4xb32-20k.py']

load_from = 'work_dirs/tsn_imagenet-pretrained-r50_8xb32-5x1x3-75e_ucf101-split1-flow/epoch_75.pth'
_base_.merge(_base_.pop('stage2'))
# The paper raises the learning rate to 0.05 for temporal modalities such as
# optical flow (Section 5.1).
optim_wrapper = dict(optimizer=dict(lr=0.05))
