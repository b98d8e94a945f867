"""Demo: toy VID set, baseline R-FCN vs R-FCN + OFF(MS), mAP@50 and ms/frame.

Generates the toy set (tools/vid/make_toy_vid.py), then for each detector
runs MMDetection's own ``tools/train.py`` and ``tools/test.py`` from its wheel
on the tiny configs in configs/rfcn_off/, and prints mAP@50 (CocoVideoMetric)
and milliseconds per frame measured by the test loop (batch 1, one frame per
iteration), both detectors in the same run::

    python tools/vid/run_toy_vid.py
"""
import argparse
import glob
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import List, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'vid'))
from make_toy_vid import generate  # noqa: E402

DETECTORS = (
    ('R-FCN (single frame)', 'configs/rfcn_off/rfcn_r18-tiny_1xb4-600it_toyvid.py'),
    ('R-FCN + OFF(MS)', 'configs/rfcn_off/rfcn-off-ms_r18-tiny_1xb4-600it_toyvid.py'),
)


def mmdet_tool(name: str) -> str:
    """Path of ``tools/<name>`` shipped inside the mmdet wheel."""
    spec = importlib.util.find_spec('mmdet')
    if spec is None:
        raise RuntimeError('mmdet is not installed')
    return osp.join(spec.submodule_search_locations[0], '.mim', 'tools', name)


def run(cmd: List[str], log_file: str, show: tuple) -> None:
    """Run ``cmd`` from the repo root, log everything, echo lines containing ``show``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [REPO] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
    with open(log_file, 'w') as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            log.write(line)
            if any(s in line for s in show):
                print('   ', line.rstrip()[-150:], flush=True)
        if proc.wait():
            raise RuntimeError(f'{" ".join(cmd)} failed, see {log_file}')


def test_metrics(work_dir: str) -> dict:
    """The scalars mmengine logged at the end of tools/test.py."""
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    if not logs:
        raise RuntimeError(f'no test log json under {work_dir}')
    with open(logs[-1]) as f:
        return json.loads(f.read().strip().splitlines()[-1])


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default='data/toyvid')
    parser.add_argument('--work-dir', default='work_dirs/toyvid')
    parser.add_argument('--iters', type=int, help='override max_iters')
    args = parser.parse_args(argv)
    start = time.time()
    print('[1/3] generating the toy set', flush=True)
    generate(osp.join(REPO, args.data))
    rows = []
    for i, (name, config) in enumerate(DETECTORS):
        work_dir = osp.join(REPO, args.work_dir, osp.basename(config)[:-3])
        os.makedirs(work_dir, exist_ok=True)
        options = ['--cfg-options', f'train_dataloader.dataset.data_root={args.data}/',
                   f'test_dataloader.dataset.data_root={args.data}/',
                   f'test_evaluator.ann_file={args.data}/annotations/val.json']
        if args.iters:
            options += [f'train_cfg.max_iters={args.iters}',
                        f'default_hooks.checkpoint.interval={args.iters}']
        print(f'[{i + 2}/3] {name}: training ({config})', flush=True)
        run([sys.executable, mmdet_tool('train.py'), config, '--work-dir', work_dir]
            + options, osp.join(work_dir, 'train.log'), ('Iter(train)', ))
        ckpt = open(osp.join(work_dir, 'last_checkpoint')).read().strip()
        print(f'      {name}: testing {osp.relpath(ckpt, REPO)}', flush=True)
        test_dir = osp.join(work_dir, 'test')
        run([sys.executable, mmdet_tool('test.py'), config, ckpt, '--work-dir',
             test_dir] + options, osp.join(work_dir, 'test.log'), ('bbox_mAP_50', ))
        metrics = test_metrics(test_dir)
        rows.append((name, metrics['coco/bbox_mAP_50'], metrics['coco/bbox_mAP'],
                     1000 * metrics['time'], 1000 * (metrics['time'] - metrics['data_time'])))
    print(f'\nToy VID val ({args.data}), measured in one run, '
          f'{time.time() - start:.0f} s in total:')
    print(f'{"detector":<24}{"mAP@50":>8}{"mAP":>8}{"ms/frame":>10}{"model ms/frame":>16}')
    for name, ap50, ap, ms, model_ms in rows:
        print(f'{name:<24}{100 * ap50:>8.1f}{100 * ap:>8.1f}{ms:>10.1f}{model_ms:>16.1f}')


if __name__ == '__main__':
    main()
