# DnCNN_OFF(2) of Table 9 (Fig. 6): 3 convs per frame, one OFF unit on
# (t-1, t), 5 convs summed with frame t's features, 18 convs, global residual.
_base_ = './dncnn_4xb7-50e_vimeo90k-jpeg2000-q20.py'

num_frames = 2
model = dict(
    _delete_=True,
    type='DnCNNOFF',
    num_frames=num_frames,
    channels=64,
    head_convs=3,
    merge_convs=5,
    tail_convs=18,
    off_channels=64,
    kernel='paper',
    init_cfg=dict(type='Xavier', layer='Conv2d', distribution='uniform'))
frames = dict(num_frames=num_frames)
train_dataloader = dict(dataset=frames)
val_dataloader = dict(dataset=frames)
test_dataloader = dict(dataset=frames)
