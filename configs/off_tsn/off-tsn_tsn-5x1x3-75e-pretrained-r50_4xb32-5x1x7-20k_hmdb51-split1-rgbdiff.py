# Final setting (Table 6) on HMDB-51.
_base_ = './off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_ucf101-split1-rgbdiff.py'

load_from = 'work_dirs/tsn_imagenet-pretrained-r50_8xb32-5x1x3-75e_hmdb51-split1-rgbdiff/epoch_75.pth'  # noqa: E501
data_root = 'data/hmdb51/videos'
ann_file_train = 'data/hmdb51/hmdb51_train_split_1_videos.txt'
ann_file_val = 'data/hmdb51/hmdb51_val_split_1_videos.txt'

model = dict(neck=dict(num_classes=51), cls_head=dict(num_classes=51))
train_dataloader = dict(
    dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root)))
val_dataloader = test_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root)))
