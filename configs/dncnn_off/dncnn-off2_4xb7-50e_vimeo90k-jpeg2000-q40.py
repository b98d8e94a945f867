_base_ = './dncnn-off2_4xb7-50e_vimeo90k-jpeg2000-q20.py'

q40 = dict(data_prefix=dict(lq='sequences_jpeg2000_q40'))
train_dataloader = dict(dataset=q40)
val_dataloader = dict(dataset=q40)
test_dataloader = dict(dataset=q40)
