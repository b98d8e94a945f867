"""Demo: R-FCN vs R-FCN + OFF(SS) vs R-FCN + OFF(MS) on the toy VID set, 3 seeds.

Generates the toy set (tools/vid/make_toy_vid.py), then for each seed trains
the three detectors with MMDetection's own ``tools/train.py`` (from its
wheel) at one budget, each run ending with ``CocoVideoMetric``
(``classwise=True``: per-class AP in the log) on the evaluation split:

* ``--recipe end-to-end`` (the default, the paper's recipe): every detector
  from scratch for 400 iterations;
* ``--recipe two-stage``: the single-frame R-FCN first (stage 1, the
  end-to-end R-FCN run, reused), then from its checkpoint (``load_from``, no
  key surgery) each of the three detectors for 400 more iterations with the
  backbone frozen: the R-FCN itself (so that every row had the same budget),
  R-FCN + OFF(SS) and R-FCN + OFF(MS), whose OFF branch starts as a no-op.

Then it times the three seed-0 detectors frame by frame, interleaved, draws a
few evaluation frames with MMDetection's ``tools/test.py --show-dir`` and
prints the table (mean and spread over the seeds), the training curves side by
side and the OFF / R-FCN time ratios. The evaluation split is ``test``, held
out while the recipe was chosen on ``val``::

    python tools/vid/run_toy_vid.py                       # seeds 0 1 2, test split
    python tools/vid/run_toy_vid.py --seeds 0             # one seed, about a third
    python tools/vid/run_toy_vid.py --recipe two-stage    # stage 2 on top
    python tools/vid/run_toy_vid.py --split val           # the split the recipe saw

A rerun skips the runs that finished (their ``result.json``) and redoes the
others from their start.
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

import off_plugins  # noqa: F401  (safe loading of mmengine checkpoints)
import cv2
import numpy as np
import torch
from make_toy_vid import CLASSES, generate
from off_plugins.utils import atomic_write_text, shipped_file

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CONFIGS = 'configs/rfcn_off/'
NAMES = ('R-FCN', 'R-FCN + OFF(SS)', 'R-FCN + OFF(MS)')
# each recipe: the stage-1 config (None: rows start from scratch) and a
# config per row
RECIPES = {
    'end-to-end':
    (None, (CONFIGS + 'rfcn_r18-tiny_1xb4-400it_toyvid.py',
            CONFIGS + 'rfcn-off-ss_r18-tiny_1xb4-400it_toyvid.py',
            CONFIGS + 'rfcn-off-ms_r18-tiny_1xb4-400it_toyvid.py')),
    'two-stage':
    (CONFIGS + 'rfcn_r18-tiny_1xb4-400it_toyvid.py',
     (CONFIGS + 'rfcn_rfcn-400it-pretrained-r18-tiny_1xb4-400it_toyvid.py',
      CONFIGS +
      'rfcn-off-ss_rfcn-400it-pretrained-r18-tiny_1xb4-400it_toyvid.py',
      CONFIGS +
      'rfcn-off-ms_rfcn-400it-pretrained-r18-tiny_1xb4-400it_toyvid.py')),
}
SHOW_FRAMES = 3  # evaluation frames drawn in the figure


def mmdet_tool(name: str) -> str:
    """Path of ``tools/<name>`` shipped inside the mmdet wheel."""
    try:
        return shipped_file('mmdet', 'tools', name)
    except ModuleNotFoundError:
        raise SystemExit(
            'mmdet is not installed: run bash tools/install.sh') from None


def run(cmd: List[str], log_file: str,
        show: Sequence[str] = ('Iter(train)', )) -> None:
    """Run ``cmd`` from the repo root, log everything, echo lines containing ``show``."""
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [REPO] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
    with open(log_file, 'w', buffering=1) as log:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True)
        for line in proc.stdout:
            log.write(line)
            for s in show:
                if s in line:
                    print(
                        '        ',
                        line[line.index(s):].rstrip()[:110],
                        flush=True)
                    break
        if proc.wait():
            raise SystemExit(f'{" ".join(cmd)} failed, see {log_file}')


def data_options(data: str, split: str, loader: str = 'val') -> List[str]:
    """``--cfg-options`` pointing a toy config at the generated set ``data``,
    evaluating (``loader``: ``'val'`` or ``'test'``) on ``split``."""
    return [
        f'train_dataloader.dataset.data_root={data}/',
        f'{loader}_dataloader.dataset.data_root={data}/',
        f'{loader}_dataloader.dataset.ann_file=annotations/{split}.json',
        f'{loader}_evaluator.ann_file={data}/annotations/{split}.json'
    ]


def classwise_ap50(log_text: str, classes: Sequence[str]) -> Dict[str, float]:
    """Per-class AP@50 from the last table ``CocoVideoMetric(classwise=True)`` logged.

    The table's rows read ``| name | mAP | mAP_50 | mAP_75 | ... |`` (values
    rounded to 3 decimals by mmdet).
    """
    found = {}
    for line in log_text.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) >= 3 and cells[0] in classes:
            found[cells[0]] = float(cells[2])
    missing = set(classes) - set(found)
    if missing:
        raise ValueError(f'no classwise AP for {sorted(missing)} in the log')
    return found


def scalars(work_dir: str) -> List[dict]:
    """The scalars mmengine logged in ``work_dir`` (``vis_data/scalars.json``)."""
    files = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    if len(files) != 1:
        raise SystemExit(
            f'expected one scalars.json under {work_dir}, found {files}')
    with open(files[0]) as f:
        return [json.loads(line) for line in f if line.strip()]


def train(config: str,
          work_dir: str,
          seed: int,
          data: str,
          split: str,
          load_from: Optional[str] = None) -> dict:
    """Train ``config`` (validating at its end) unless ``work_dir`` holds its result.

    Returns ``dict(checkpoint, mAP50, mAP, ap50={class: AP@50}, curve=[(iter, loss)])``,
    also saved as ``work_dir/result.json`` (written last: a run killed before
    that is redone from its start).
    """
    result_file = osp.join(work_dir, 'result.json')
    if osp.isfile(result_file):
        with open(result_file) as f:
            return json.load(f)
    shutil.rmtree(work_dir, ignore_errors=True)
    os.makedirs(work_dir)
    options = data_options(data, split) + [f'randomness.seed={seed}']
    if load_from:
        options.append(f'load_from={load_from}')
    log_file = osp.join(work_dir, 'train.log')
    run([
        sys.executable,
        mmdet_tool('train.py'), config, '--work-dir', work_dir, '--cfg-options'
    ] + options, log_file)
    logged = scalars(work_dir)
    metrics = [s for s in logged if 'coco/bbox_mAP_50' in s][-1]
    with open(log_file) as f:
        ap50 = classwise_ap50(f.read(), CLASSES)
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    result = dict(
        checkpoint=checkpoint,
        mAP50=metrics['coco/bbox_mAP_50'],
        mAP=metrics['coco/bbox_mAP'],
        ap50=ap50,
        curve=[(s['iter'], s['loss']) for s in logged if 'loss' in s])
    atomic_write_text(result_file, json.dumps(result))
    return result


def time_interleaved(detectors: Sequence[tuple], data_root: str,
                     split: str) -> List[List[float]]:
    """Seconds of ``test_step`` per frame of ``split`` for each detector.

    The val frames are loaded first (data loading is not timed), then every
    frame goes through each detector in turn, so that load from other
    processes on the machine affects all detectors alike.

    Args:
        detectors: ``(config, checkpoint)`` pairs.
    """
    import off_plugins.mmdet  # noqa: F401  (registers the modules)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner, load_checkpoint
    from mmdet.registry import MODELS

    init_default_scope('mmdet')
    models, batches = [], []
    for config, ckpt in detectors:
        cfg = Config.fromfile(osp.join(REPO, config))
        cfg.test_dataloader.dataset.data_root = data_root + '/'
        cfg.test_dataloader.dataset.ann_file = f'annotations/{split}.json'
        cfg.test_dataloader.num_workers = 0
        cfg.test_dataloader.persistent_workers = False
        model = MODELS.build(cfg.model).eval()
        load_checkpoint(model, ckpt, map_location='cpu', logger='silent')
        models.append(model)
        batches.append(list(Runner.build_dataloader(cfg.test_dataloader)))
    times = [[] for _ in models]
    with torch.no_grad():
        for i in range(len(batches[0])):
            for model, frames, spent in zip(models, batches, times):
                start = time.perf_counter()
                model.test_step(frames[i])
                spent.append(time.perf_counter() - start)
    return times


def draw_figure(shown: Sequence[tuple], data: str, split: str, work_dir: str,
                out: str) -> None:
    """Boxes of each detector on the same frames of ``split``, one PNG.

    Runs MMDetection's ``tools/test.py --show-dir`` for each ``(name, config,
    checkpoint)``; its ``DetLocalVisualizer`` draws ground truth (left half)
    and predictions (right half, score >= 0.3). The figure shows, for the
    ``SHOW_FRAMES`` frames with the most ``patch`` boxes, the ground truth
    once and then each detector's predictions.
    """
    drawn = []
    for name, config, ckpt in shown:
        test_dir = osp.join(work_dir, 'show', osp.basename(config)[:-3])
        shutil.rmtree(test_dir, ignore_errors=True)
        os.makedirs(test_dir)
        run([
            sys.executable,
            mmdet_tool('test.py'), config, ckpt, '--work-dir', test_dir,
            '--show-dir', 'frames', '--cfg-options'
        ] + data_options(data, split, 'test'),
            osp.join(test_dir, 'test.log'),
            show=('bbox_mAP_50', ))
        (frames_dir, ) = glob.glob(osp.join(test_dir, '*', 'frames'))
        drawn.append((name, frames_dir))
    with open(osp.join(data, 'annotations', f'{split}.json')) as f:
        coco = json.load(f)
    patch = CLASSES.index('patch') + 1
    counts = {img['id']: 0 for img in coco['images']}
    for ann in coco['annotations']:
        counts[ann['image_id']] += ann['category_id'] == patch
    files = {img['id']: img['file_name'] for img in coco['images']}
    picked = sorted(counts, key=lambda i: (-counts[i], i))[:SHOW_FRAMES]
    rows = []
    for image_id in picked:
        video, frame = osp.split(files[image_id])
        png = osp.splitext(frame)[0] + '.png'
        panels = []
        for k, (name, frames_dir) in enumerate(drawn):
            img = cv2.imread(osp.join(frames_dir, osp.basename(video), png))
            half = img.shape[1] // 2
            if k == 0:
                panels.append(label(img[:, :half], 'ground truth'))
            panels.append(label(img[:, half:], name))
        rows.append(np.concatenate(panels, axis=1))
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    tmp = out + '.tmp.png'
    cv2.imwrite(tmp, np.concatenate(rows, axis=0))
    os.replace(tmp, out)


def label(img: np.ndarray, text: str) -> np.ndarray:
    """``img`` (scaled x2) under a white strip holding ``text``."""
    img = cv2.resize(img, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
    strip = np.full((22, img.shape[1], 3), 255, np.uint8)
    cv2.putText(strip, text, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0),
                1, cv2.LINE_AA)
    return np.concatenate([strip, img], axis=0)


def mean_spread(values: Sequence[float], scale: float = 100.0) -> str:
    """``mean +- sample std`` (or the value alone for one seed), times ``scale``."""
    values = [scale * v for v in values]
    if len(values) == 1:
        return f'{values[0]:.1f}'
    return f'{statistics.mean(values):.1f} +- {statistics.stdev(values):.1f}'


def print_report(results: Dict[str, List[dict]], times: List[List[float]],
                 seeds: Sequence[int], split: str, recipe: str,
                 total_s: float) -> None:
    names = NAMES
    print(f'\nToy VID {split} split, {recipe} recipe, seeds {list(seeds)} '
          f'(mean +- std over seeds), {total_s:.0f} s in total:')
    head = f'{"detector":<17}{"mAP@50":>14}' + ''.join(
        f'{c + " AP@50":>15}'
        for c in CLASSES) + f'{"ms/frame":>10}{"ratio":>7}'
    print(head)
    base_ms = 1000 * statistics.median(times[0])
    for name, spent in zip(names, times):
        runs = results[name]
        ms = 1000 * statistics.median(spent)
        print(f'{name:<17}{mean_spread([r["mAP50"] for r in runs]):>14}' +
              ''.join(f'{mean_spread([r["ap50"][c] for r in runs]):>15}'
                      for c in CLASSES) + f'{ms:>10.1f}{ms / base_ms:>7.2f}')
    print('\nPer seed, mAP@50 / patch AP@50 (OFF(MS) - R-FCN):')
    for i, seed in enumerate(seeds):
        rows = [results[name][i] for name in names]
        print(f'  seed {seed}: ' + ', '.join(
            f'{name} {100 * r["mAP50"]:.1f} / {100 * r["ap50"]["patch"]:.1f}'
            for name, r in zip(names, rows)) +
              f'  ({100 * (rows[-1]["mAP50"] - rows[0]["mAP50"]):+.1f} / '
              f'{100 * (rows[-1]["ap50"]["patch"] - rows[0]["ap50"]["patch"]):+.1f})'
              )
    print(
        '\nTraining loss of each row (mean over seeds), every 25 iterations:')
    print(f'{"iter":>6}' + ''.join(f'{n:>18}' for n in names))
    curves = [[dict(r['curve']) for r in results[n]] for n in names]
    for it in sorted(curves[0][0]):
        print(f'{it:>6}' +
              ''.join(f'{statistics.mean(c[it] for c in runs):>18.3f}'
                      for runs in curves))
    print(
        f'\nmAP@50 / AP@50: CocoVideoMetric on the {split} frames at the end '
        f'of training; ms/frame: median test_step time on the {split} frames, '
        'the three seed-0 detectors interleaved frame by frame (the OFF '
        "detectors reuse the previous frame's backbone output); ratio: "
        'to R-FCN.')


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default='data/toyvid')
    parser.add_argument('--work-dir', default='work_dirs/toyvid')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--split',
        default='test',
        choices=['val', 'test'],
        help='evaluation split: test (held out, the default) '
        'or val (the one the recipe was chosen on)')
    parser.add_argument(
        '--recipe',
        default='end-to-end',
        choices=sorted(RECIPES),
        help='end-to-end: every row from scratch for the same '
        'number of iterations (the paper\'s recipe); two-stage: '
        'R-FCN first, then every row from it with the backbone '
        'frozen')
    parser.add_argument(
        '--figure',
        default='work_dirs/toyvid/detections.png',
        help='PNG of a few evaluation frames with the boxes of '
        'R-FCN and R-FCN + OFF(MS)')
    args = parser.parse_args(argv)
    start = time.time()
    data = osp.join(REPO, args.data)
    work = osp.join(REPO, args.work_dir, args.split)
    steps = 2 + len(args.seeds)
    print(f'[1/{steps}] toy set in {args.data}', flush=True)
    if not osp.isfile(osp.join(data, 'annotations', f'{args.split}.json')):
        generate(data)
    stage1_config, configs = RECIPES[args.recipe]
    results = {name: [] for name in NAMES}
    for i, seed in enumerate(args.seeds):
        # one folder a config and seed: the two-stage recipe's stage 1 is the
        # end-to-end recipe's R-FCN row and is trained once for both
        seed_dir = osp.join(work, f'seed{seed}')
        load_from = None
        if stage1_config:
            print(
                f'[{i + 2}/{steps}] seed {seed}, stage 1: R-FCN from scratch '
                f'({stage1_config})',
                flush=True)
            stage1 = train(
                stage1_config,
                osp.join(seed_dir,
                         osp.basename(stage1_config)[:-3]), seed, data,
                args.split)
            print(
                f'        stage 1 mAP@50 {100 * stage1["mAP50"]:.1f}',
                flush=True)
            load_from = stage1['checkpoint']
        for name, config in zip(NAMES, configs):
            print(
                f'[{i + 2}/{steps}] seed {seed}, {name} ({config})',
                flush=True)
            result = train(
                config,
                osp.join(seed_dir,
                         osp.basename(config)[:-3]),
                seed,
                data,
                args.split,
                load_from=load_from)
            print(
                f'        mAP@50 {100 * result["mAP50"]:.1f}, AP@50 ' +
                ', '.join(f'{c} {100 * result["ap50"][c]:.1f}'
                          for c in CLASSES),
                flush=True)
            results[name].append(result)
    print(
        f'[{steps}/{steps}] timing the seed-{args.seeds[0]} detectors frame by '
        'frame, interleaved; drawing frames',
        flush=True)
    first = [(config, results[name][0]['checkpoint'])
             for name, config in zip(NAMES, configs)]
    times = time_interleaved(first, data, args.split)
    shown = [(name, config, results[name][0]['checkpoint'])
             for name, config in ((NAMES[0], configs[0]), (NAMES[-1],
                                                           configs[-1]))]
    draw_figure(shown, data, args.split, work, osp.join(REPO, args.figure))
    print_report(results, times, args.seeds, args.split, args.recipe,
                 time.time() - start)
    print(f'figure: {args.figure}')


if __name__ == '__main__':
    main()
