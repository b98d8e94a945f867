_base_ = './off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_ucf101-split1-rgbdiff.py'

load_from = 'work_dirs/tsn_imagenet-pretrained-r50_8xb32-5x1x3-75e_ucf101-split3-rgbdiff/epoch_75.pth'  # noqa: E501
ann_file_train = 'data/ucf101/ucf101_train_split_3_videos.txt'
ann_file_val = 'data/ucf101/ucf101_val_split_3_videos.txt'
train_dataloader = dict(dataset=dict(ann_file=ann_file_train))
val_dataloader = test_dataloader = dict(dataset=dict(ann_file=ann_file_val))
