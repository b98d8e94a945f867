# CPU demo (tools/restoration/run_real_footage.py): the Table 9 DnCNN_OFF(3)
# with 2 + 3 + 8 convs of width 32 instead of 3 + 5 + 18 of width 64, and an
# OFF unit reducing to 32 channels with 8-channel spatial gradients. Same data
# and iteration budget as the DnCNN demo config.
_base_ = '../dncnn-off3_4xb7-50e_vimeo90k-jpeg2000-q40.py'

model = dict(
    channels=32,
    head_convs=2,
    merge_convs=3,
    tail_convs=8,
    off_channels=32,
    spatial_channels=8)
