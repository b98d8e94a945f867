# CPU demo control (tools/restoration/run_real_footage.py): the multi-frame(3)
# control (no OFF) with the same learned temporal blend and frame-difference
# cue as the DnCNN_OFF(3) + blend + diff demo.
_base_ = './dncnn-mf3-blend-d13c32_1xb2-96px_real-footage-jpeg2000.py'

model = dict(blend_diff=True)
