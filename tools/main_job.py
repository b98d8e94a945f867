"""The main job: TSN, TSN + hypercolumn, TSN + OFF_T and TSN + OFF on a
generated motion dataset.

The reduced form of ``tools/motion_benchmark.py``: one variant (``bars``,
``data/offmotion``) and one seed. Generates the dataset if absent, trains
stage 1 (MMAction2's TSN) and the three stage-2 models on its frozen
checkpoint (the OFF sub-network fed the hypercolumn of both segments, the
temporal difference only, and the full OFF) with MMAction2's own
``tools/train.py``, tests all four with its ``tools/test.py``, and prints
top-1 accuracy and clips per second for each. Run from the repository root::

    python tools/main_job.py

A killed run continues where it stopped (each model's ``result.json`` is
written last). The benchmark over every variant and several seeds is
``tools/motion_benchmark.py``.
"""
import argparse
import os.path as osp
import time

from job_tools.runs import (MOTION_MODELS, OFFMOTION_STAGE1, OFFMOTION_STAGE2,
                            motion_run)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

STAGE1, STAGE2 = OFFMOTION_STAGE1, OFFMOTION_STAGE2


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/main_job')
    parser.add_argument('--data-root', default='data/offmotion')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()

    start = time.time()
    rows = []
    for step, model in enumerate(MOTION_MODELS, start=1):
        print(
            f'[main_job] {step}/{len(MOTION_MODELS)} {MOTION_MODELS[model][0]}',
            flush=True)
        rows.append(
            motion_run(
                REPO,
                'bars',
                args.seed,
                model,
                data_root=args.data_root,
                run_root=osp.join(REPO, args.work_dir)))

    top1 = {r['model']: r['top1'] for r in rows}
    print(
        f'\nOFF main job on {args.data_root} ({rows[0]["clips"]} test videos, '
        f'{rows[0]["num_classes"]} motion classes, chance '
        f'{100 / rows[0]["num_classes"]:.1f}%), seed {args.seed}')
    print(f'{"model":<20}{"top-1":>8}{"clips/s":>10}')
    for r in rows:
        print(f'{MOTION_MODELS[r["model"]][0]:<20}{r["top1"]:>7.1f}%'
              f'{r["clips_per_s"]:>10.1f}')
    print(
        f'\nTSN + OFF - TSN: {top1["off"] - top1["tsn"]:+.1f} points; '
        f'TSN + OFF - TSN + hypercolumn: {top1["off"] - top1["hypercolumn"]:+.1f} '
        '(the same sub-network without OFF)')
    print(f'wall time {time.time() - start:.0f} s; logs and checkpoints in '
          f'{args.work_dir}')


if __name__ == '__main__':
    main()
