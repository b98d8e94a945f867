# CPU demo control (tools/restoration/run_real_footage.py): a single-frame
# DnCNN with the depth of the DnCNN_OFF(3) demo (2 + 3 + 8 = 13 convs 3x3)
# and, at width 36, about its parameter count (130.7k vs 132.5k), so that a
# gain of DnCNN_OFF(3) over it is not capacity.
_base_ = '../dncnn_4xb7-50e_vimeo90k-jpeg2000-q40.py'

model = dict(channels=36, depth=13)
