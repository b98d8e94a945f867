_base_ = './off-tsn_r50_4xb32-20k-7seg_ucf101-split1-rgb.py'

stage1 = 'tsn_imagenet-pretrained-r50_8xb32-1x1x3-75e_ucf101-split3-rgb'
load_from = f'work_dirs/{stage1}/epoch_75.pth'

ann_file_train = 'data/ucf101/ucf101_train_split_3_videos.txt'
ann_file_val = 'data/ucf101/ucf101_val_split_3_videos.txt'
data_root = 'data/ucf101/videos'

model = dict(
    neck=dict(num_classes=101), cls_head=dict(num_classes=101))
train_dataloader = dict(
    dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root)))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root)))
test_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root)))
