# CPU demo (tools/restoration/run_real_footage.py): DnCNN_OFF(3) with the
# learned temporal blend (not in the paper) whose weights also see, per
# frame, the local difference of the compressed frame to the centre frame
# (`blend_diff`, 3 more input channels of the blend's first conv).
_base_ = './dncnn-off3-blend-d13c32_1xb2-96px_real-footage-jpeg2000.py'

model = dict(blend_diff=True)
