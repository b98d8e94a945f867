_base_ = './tsn_imagenet-pretrained-r50_8xb32-5x1x3-75e_ucf101-split1-flow.py'

ann_file_train = 'data/ucf101/ucf101_train_split_3_flow.txt'
ann_file_val = 'data/ucf101/ucf101_val_split_3_flow.txt'
train_dataloader = dict(dataset=dict(ann_file=ann_file_train))
val_dataloader = test_dataloader = dict(dataset=dict(ann_file=ann_file_val))
