"""Demo: toy VID set, baseline R-FCN vs R-FCN + OFF(MS), mAP@50 and ms/frame.

Generates the toy set (tools/vid/make_toy_vid.py), then for each detector
runs MMDetection's own ``tools/train.py`` and ``tools/test.py`` from its wheel
on the tiny configs in configs/rfcn_off/, and prints mAP@50 (CocoVideoMetric)
and milliseconds per frame, both detectors in the same run: the test loop's
mean iteration time (batch 1, one frame per iteration) and the median
``test_step`` time with the two detectors interleaved frame by frame::

    python tools/vid/run_toy_vid.py
"""
import argparse
import glob
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from typing import List, Optional

import torch

import off_plugins  # noqa: F401  (safe loading of mmengine checkpoints)
from off_plugins.utils import shipped_file

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'vid'))
from make_toy_vid import generate  # noqa: E402

DETECTORS = (
    ('R-FCN (single frame)', 'configs/rfcn_off/rfcn_r18-tiny_1xb4-400it_toyvid.py'),
    ('R-FCN + OFF(MS)', 'configs/rfcn_off/rfcn-off-ms_r18-tiny_1xb4-400it_toyvid.py'),
)


def mmdet_tool(name: str) -> str:
    """Path of ``tools/<name>`` shipped inside the mmdet wheel."""
    try:
        return shipped_file('mmdet', 'tools', name)
    except ModuleNotFoundError:
        raise RuntimeError('mmdet is not installed') from None


def run(cmd: List[str], log_file: str, show: tuple) -> None:
    """Run ``cmd`` from the repo root, log everything, echo lines containing ``show``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [REPO] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
    with open(log_file, 'w', buffering=1) as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            log.write(line)
            for s in show:
                if s in line:
                    print('     ', line[line.index(s):].rstrip()[:140], flush=True)
                    break
        if proc.wait():
            raise RuntimeError(f'{" ".join(cmd)} failed, see {log_file}')


def publish(checkpoint: str) -> str:
    """Keep only the weights and class names of a training checkpoint.

    As OpenMMLab's ``publish_model.py``: the optimizer state and message hub
    are not needed to test.
    """
    ckpt = torch.load(checkpoint, map_location='cpu')
    out = checkpoint[:-len('.pth')] + '_weights.pth'
    meta = dict(dataset_meta=dict(classes=tuple(ckpt['meta']['dataset_meta']['classes'])))
    torch.save(dict(state_dict=ckpt['state_dict'], meta=meta), out)
    return out


def test_metrics(work_dir: str) -> dict:
    """The scalars mmengine logged at the end of tools/test.py."""
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    if not logs:
        raise RuntimeError(f'no test log json under {work_dir}')
    with open(logs[-1]) as f:
        return json.loads(f.read().strip().splitlines()[-1])


def time_interleaved(detectors: List[tuple], data_root: str) -> List[float]:
    """Median milliseconds of ``test_step`` per frame for each detector.

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
        cfg.test_dataloader.dataset.data_root = osp.join(REPO, data_root) + '/'
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
    return [1000 * statistics.median(t) for t in times]


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default='data/toyvid')
    parser.add_argument('--work-dir', default='work_dirs/toyvid')
    parser.add_argument('--iters', type=int, help='override max_iters')
    args = parser.parse_args(argv)
    start = time.time()
    print('[1/4] generating the toy set', flush=True)
    generate(osp.join(REPO, args.data))
    rows, published = [], []
    for i, (name, config) in enumerate(DETECTORS):
        work_dir = osp.join(REPO, args.work_dir, osp.basename(config)[:-3])
        os.makedirs(work_dir, exist_ok=True)
        options = ['--cfg-options', f'train_dataloader.dataset.data_root={args.data}/',
                   f'test_dataloader.dataset.data_root={args.data}/',
                   f'test_evaluator.ann_file={args.data}/annotations/val.json']
        if args.iters:
            options += [f'train_cfg.max_iters={args.iters}',
                        f'default_hooks.checkpoint.interval={args.iters}']
        print(f'[{i + 2}/4] {name}: training ({config})', flush=True)
        run([sys.executable, mmdet_tool('train.py'), config, '--work-dir', work_dir]
            + options, osp.join(work_dir, 'train.log'), ('Iter(train)', ))
        ckpt = publish(open(osp.join(work_dir, 'last_checkpoint')).read().strip())
        published.append((config, ckpt))
        print(f'      {name}: testing {osp.relpath(ckpt, REPO)}', flush=True)
        test_dir = osp.join(work_dir, 'test')
        run([sys.executable, mmdet_tool('test.py'), config, ckpt, '--work-dir',
             test_dir] + options, osp.join(work_dir, 'test.log'), ('bbox_mAP_50', ))
        metrics = test_metrics(test_dir)
        rows.append([name, metrics['coco/bbox_mAP_50'], metrics['coco/bbox_mAP'],
                     1000 * metrics['time']])
    print('[4/4] timing both detectors frame by frame, interleaved', flush=True)
    for row, ms in zip(rows, time_interleaved(published, args.data)):
        row.append(ms)
    print(f'\nToy VID val ({args.data}), measured in one run, '
          f'{time.time() - start:.0f} s in total:')
    print(f'{"detector":<22}{"mAP@50":>8}{"mAP":>7}{"test loop ms/frame":>20}'
          f'{"model ms/frame":>16}')
    for name, ap50, ap, loop_ms, model_ms in rows:
        print(f'{name:<22}{100 * ap50:>8.1f}{100 * ap:>7.1f}{loop_ms:>20.1f}'
              f'{model_ms:>16.1f}')
    print('test loop ms/frame: mean iteration time of tools/test.py (batch 1, '
          'data loading included); model ms/frame: median test_step time, '
          'detectors interleaved frame by frame.')


if __name__ == '__main__':
    main()
