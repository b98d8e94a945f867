# Stage 2 of the RGB-diff stream (OFF(RGB Diff)) on the generated motion
# dataset: the OFF sub-network on the frozen stage-1 TSN-R18 of that stream;
# sampling and data are the stage-1 config's.
_base_ = ['./tsn_r18_1xb16-5x1x4-8e_offmotion-rgbdiff.py',
          './_base_/off-tsn-stage2_r18_1xb16-25e.py']

load_from = 'work_dirs/modalities/tsn-rgbdiff/epoch_8.pth'
_base_.merge(_base_.pop('stage2'))
