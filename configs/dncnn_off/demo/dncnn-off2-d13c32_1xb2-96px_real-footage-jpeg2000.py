# CPU demo (tools/restoration/run_real_footage.py): the Table 9 DnCNN_OFF(2)
# shrunk as the DnCNN_OFF(3) demo: 2 + 3 + 8 convs of width 32, an OFF unit
# reducing to 32 channels with 8-channel spatial gradients.
_base_ = '../dncnn-off2_4xb7-50e_vimeo90k-jpeg2000-q40.py'

model = dict(
    channels=32,
    head_convs=2,
    merge_convs=3,
    tail_convs=8,
    off_channels=32,
    spatial_channels=8)
