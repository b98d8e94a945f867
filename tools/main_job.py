"""The main job: TSN versus TSN + OFF on a generated motion dataset.

Generates ``data/offmotion`` if absent, trains stage 1 (MMAction2's TSN) and
stage 2 (+OFF, backbone frozen) with MMAction2's own ``tools/train.py``, tests
both with its ``tools/test.py``, and prints top-1 accuracy and clips per second
for each. Run from the repository root::

    python tools/main_job.py
"""
import argparse
import os.path as osp
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

STAGE1 = 'configs/off_tsn/tsn_r18_1xb16-1x1x4-8e_offmotion-rgb.py'
STAGE2 = 'configs/off_tsn/off-tsn_tsn-1x1x4-8e-pretrained-r18_1xb16-1x1x4-25e_offmotion-rgb.py'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/main_job')
    parser.add_argument('--data-root', default='data/offmotion')
    args = parser.parse_args()

    from off_plugins.jobs import (job_config, last_checkpoint,
                                  offmotion_data_settings, run, test_summary,
                                  toolbox_tool)
    from off_plugins.toydata import make_motion_dataset

    start = time.time()
    print('[main_job] 1/5 dataset', flush=True)
    make_motion_dataset(osp.join(REPO, args.data_root))

    train, test = toolbox_tool('train.py'), toolbox_tool('test.py')
    wd = osp.join(REPO, args.work_dir)
    tsn_dir, off_dir = osp.join(wd, 'tsn'), osp.join(wd, 'off')
    # Paths reach the tools in job configs: --cfg-options drops spaces.
    data = offmotion_data_settings(args.data_root)
    stage1 = job_config(STAGE1, osp.join(wd, 'stage1.py'), data)
    py = sys.executable
    print('[main_job] 2/5 stage 1: TSN', flush=True)
    run([py, train, stage1, '--work-dir', tsn_dir],
        osp.join(wd, 'stage1_train.log'), cwd=REPO)
    ckpt1 = last_checkpoint(tsn_dir)
    stage2 = job_config(STAGE2, osp.join(wd, 'stage2.py'),
                        dict(data, load_from=ckpt1))
    print('[main_job] 3/5 stage 2: TSN + OFF (backbone frozen)', flush=True)
    run([py, train, stage2, '--work-dir', off_dir],
        osp.join(wd, 'stage2_train.log'), cwd=REPO)
    ckpt2 = last_checkpoint(off_dir)

    rows = []
    for step, (name, cfg, ckpt, d) in enumerate(
        [('TSN (RGB)', stage1, ckpt1, tsn_dir),
         ('TSN + OFF(RGB)', stage2, ckpt2, off_dir)], start=4):
        print(f'[main_job] {step}/5 test {name}', flush=True)
        test_dir = osp.join(d, 'test')
        dump = osp.join(test_dir, 'predictions.pkl')
        run([py, test, cfg, ckpt, '--work-dir', test_dir, '--dump', dump],
            osp.join(test_dir + '.log'), cwd=REPO)
        rows.append((name, test_summary(test_dir, dump)))

    print(f'\nOFF main job on {args.data_root} ({rows[0][1]["clips"]} test '
          f'videos, {len(__import__("off_plugins.toydata").toydata.MOTION_CLASSES)} '
          'motion classes, chance 12.5%)')
    print(f'{"model":<18}{"top-1":>8}{"clips/s":>10}')
    for name, r in rows:
        print(f'{name:<18}{100 * r["top1"]:>7.1f}%{r["clips_per_s"]:>10.1f}')
    print(f'\nwall time {time.time() - start:.0f} s; logs and checkpoints in {wd}')


if __name__ == '__main__':
    main()
