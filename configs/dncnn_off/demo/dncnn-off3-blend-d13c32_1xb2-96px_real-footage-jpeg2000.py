# CPU demo (tools/restoration/run_real_footage.py): the DnCNN_OFF(3) demo with
# a learned temporal blend (not in the paper): 2 convs on the fused features
# give per-pixel softmax weights over the 3 frames, and the residual is taken
# from the frames' weighted sum instead of the centre frame alone.
_base_ = './dncnn-off3-d13c32_1xb2-96px_real-footage-jpeg2000.py'

model = dict(output='blend', blend_convs=2)
