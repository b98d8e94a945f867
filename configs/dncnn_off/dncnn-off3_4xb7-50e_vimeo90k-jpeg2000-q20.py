# DnCNN_OFF(3) of Table 9: frames (t-1, t, t+1), the paper's final setting.
_base_ = './dncnn-off2_4xb7-50e_vimeo90k-jpeg2000-q20.py'

num_frames = 3
model = dict(num_frames=num_frames)
frames = dict(num_frames=num_frames)
train_dataloader = dict(dataset=frames)
val_dataloader = dict(dataset=frames)
test_dataloader = dict(dataset=frames)
