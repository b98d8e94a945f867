# Stage 2 of OFF on the input-level-OFF stream of Table 1, in the ablation
# setting (3 training segments, 25 test segments): the OFF sub-network on the
# frozen stage-1 TSN of that stream; data and sampling are the stage-1 config's.
_base_ = ['./tsn_imagenet-pretrained-r50_8xb32-5x1x3-75e_ucf101-split1-rgbdiff-inputoff.py',
          './_base_/off-tsn-stage2_r50_4xb32-20k.py']

load_from = 'work_dirs/tsn_imagenet-pretrained-r50_8xb32-5x1x3-75e_ucf101-split1-rgbdiff-inputoff/epoch_75.pth'  # noqa: E501
_base_.merge(_base_.pop('stage2'))
