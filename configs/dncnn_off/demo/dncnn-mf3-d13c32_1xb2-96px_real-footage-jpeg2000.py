# CPU demo control (tools/restoration/run_real_footage.py): the DnCNN_OFF(3)
# demo with the OFF layer replaced by the reduced features of both frames of
# each pair, concatenated (no spatial gradients, no temporal difference):
# same frames, same sub-network shape, about the same parameter count.
_base_ = './dncnn-off3-d13c32_1xb2-96px_real-footage-jpeg2000.py'

model = dict(components='none')
