# Stage 2 of OFF on the input-level-OFF stream of Table 1, in the ablation
# setting (3 training segments, 25 test segments): the OFF sub-network on the
# frozen stage-1 TSN of that stream; data and sampling are the stage-1 config's.
_base_ = [
    './tsn_imagenet-pretrained-r50_8xb32-5x1x3-75e_ucf101-split1-rgbdiff-inputoff.py',
    './_base_/off-tsn-stage2_r50_4xb32-20k.py'
]

load_from = 'work_dirs/tsn_imagenet-pretrained-r50_8xb32-5x1x3-75e_ucf101-split1-rgbdiff-inputoff/epoch_75.pth'
custom_imports = _base_.stage2_custom_imports
model = _base_.stage2_model
train_cfg = _base_.stage2_train_cfg
param_scheduler = _base_.stage2_param_scheduler
optim_wrapper = _base_.stage2_optim_wrapper
default_hooks = _base_.stage2_default_hooks
custom_hooks = _base_.stage2_custom_hooks
log_processor = _base_.stage2_log_processor
auto_scale_lr = _base_.stage2_auto_scale_lr
val_dataloader = _base_.stage2_val_dataloader
