# CPU demo control (tools/restoration/run_real_footage.py): the multi-frame(3)
# control (no OFF: the reduced features of both frames of each pair) with the
# same learned temporal blend as the DnCNN_OFF(3) + blend demo.
_base_ = './dncnn-mf3-d13c32_1xb2-96px_real-footage-jpeg2000.py'

model = dict(output='blend', blend_convs=2)
