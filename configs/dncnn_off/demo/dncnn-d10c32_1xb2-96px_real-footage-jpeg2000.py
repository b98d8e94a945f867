# CPU demo (tools/restoration/run_real_footage.py): the Table 9 DnCNN with
# 10 convs of width 32 instead of 20 of width 64. The demo script sets the
# data (real footage, 96 px crops, batch 2) and the iteration budget.
_base_ = '../dncnn_4xb7-50e_vimeo90k-jpeg2000-q40.py'

model = dict(channels=32, depth=10)
