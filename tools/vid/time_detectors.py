"""Time video detectors frame by frame, interleaved, at a given input size.

Builds each config's model (random weights: only the time is measured, no
pretrained weights are fetched), feeds the same synthetic video frame by
frame with the previous frame as reference (batch 1, the test-time path
including the reuse of the previous frame's backbone output and reduced map)
and prints the median seconds per frame of each and its ratio to the first::

    python tools/vid/time_detectors.py \\
        configs/rfcn_off/rfcn_r101_4xb1-220k_imagenetvid.py \\
        configs/rfcn_off/rfcn-off-ms_r101_4xb1-220k_imagenetvid.py --size 600 1000
"""
import argparse
import os.path as osp
import statistics
import time
from typing import List, Optional

import off_plugins.mmdet  # noqa: F401  (registers the modules)
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData


def frame_pair(video: torch.Tensor, t: int) -> dict:
    """Test batch of frame ``t`` of ``video`` (T, 3, H, W) with frame t-1 as reference."""
    h, w = video.shape[-2:]
    ref = max(t - 1, 0)
    frames = []
    for i in (ref, t):
        frame = DetDataSample(
            metainfo=dict(
                img_shape=(h, w),
                ori_shape=(h, w),
                scale_factor=(1.0, 1.0),
                img_path=f'video/{i:06d}.jpg'))
        frame.gt_instances = InstanceData(
            bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
        frames.append(frame)
    sample = TrackDataSample(
        metainfo=dict(key_frames_inds=[1], ref_frames_inds=[0]))
    sample.video_data_samples = frames
    return dict(inputs=[video[[ref, t]]], data_samples=[sample])


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'configs', nargs='+', help='the first is the reference')
    parser.add_argument(
        '--size', type=int, nargs=2, default=(600, 1000), metavar=('H', 'W'))
    parser.add_argument(
        '--frames',
        type=int,
        default=6,
        help='frames per detector; the first is not counted')
    args = parser.parse_args(argv)
    if args.frames < 2:
        parser.error(f'--frames must be >= 2, got {args.frames}')
    for config in args.configs:
        if not osp.isfile(config):
            parser.error(f'no config file {config}')
    init_default_scope('mmdet')
    models = []
    for config in args.configs:
        cfg = Config.fromfile(config)
        cfg.model.backbone.init_cfg = None  # time only: no pretrained weights
        models.append(MODELS.build(cfg.model).eval())
    gen = torch.Generator().manual_seed(0)
    video = torch.randint(
        0, 256, (args.frames, 3, *args.size), generator=gen, dtype=torch.uint8)
    spent = [[] for _ in models]
    with torch.no_grad():
        for t in range(args.frames):
            for model, times in zip(models, spent):
                start = time.perf_counter()
                model.test_step(frame_pair(video, t))
                times.append(time.perf_counter() - start)
    medians = [statistics.median(times[1:]) for times in spent]
    print(
        f'{args.size[0]}x{args.size[1]}, frames 2-{args.frames}, interleaved, '
        f'{torch.get_num_threads()} threads:')
    for config, median in zip(args.configs, medians):
        print(f'  {osp.basename(config)}: {median:.3f} s/frame, '
              f'ratio {median / medians[0]:.2f}')


if __name__ == '__main__':
    main()
