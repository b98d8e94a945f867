"""Table 2 on the generated motion dataset: RGB, RGB-diff and flow, with OFF on each.

Generates ``data/offmotion`` if absent, extracts TV-L1 optical flow for it
(``tools/extract_flow.py``'s library, resumable), trains the three streams
(TSN, stage 1) and their OFF variants (stage 2, backbone frozen) with
MMAction2's own ``tools/train.py``, tests each with its ``tools/test.py``
(dumping scores), fuses the dumps per Table 2 row (``tools/fuse_scores.py``'s
library) and prints each combination's top-1 and end-to-end speed.

Speed of a combination: the seconds per test video of each of its models (the
test loop's mean iteration time, decoding included, batch 1) summed, plus, for
rows with flow, the seconds per video of TV-L1 extraction, timed in this run
on ``--flow-timing-videos`` test videos extracted one at a time into a fresh
folder. Run from the repository root::

    python tools/modalities_job.py
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

CONFIGS = 'configs/off_tsn/'
# name: (config, stage-1 stream it starts from, modality)
STREAMS = {
    'rgb': ('tsn_r18_1xb16-1x1x4-8e_offmotion-rgb.py', None, 'video'),
    'off_rgb':
    ('off-tsn_tsn-1x1x4-8e-pretrained-r18_1xb16-1x1x4-25e_offmotion-rgb.py',
     'rgb', 'video'),
    'rgbdiff': ('tsn_r18_1xb16-5x1x4-8e_offmotion-rgbdiff.py', None, 'video'),
    'off_rgbdiff':
    ('off-tsn_tsn-5x1x4-8e-pretrained-r18_1xb16-5x1x4-25e_offmotion-rgbdiff.py',
     'rgbdiff', 'video'),
    'flow': ('tsn_r18_1xb16-5x1x4-8e_offmotion-flow.py', None, 'flow'),
    'off_flow':
    ('off-tsn_tsn-5x1x4-8e-pretrained-r18_1xb16-5x1x4-25e_offmotion-flow.py',
     'flow', 'flow'),
}
# Table 2's rows: a stage-2 model's score is already its stream + OFF(stream).
TABLE2 = [
    ('RGB', ['rgb']),
    ('RGB + OFF(RGB)', ['off_rgb']),
    ('RGB + RGB Diff', ['rgb', 'rgbdiff']),
    ('RGB + OFF(RGB) + RGB Diff', ['off_rgb', 'rgbdiff']),
    ('RGB + OFF(RGB) + RGB Diff + OFF(RGB Diff)', ['off_rgb', 'off_rgbdiff']),
    ('RGB + Flow', ['rgb', 'flow']),
    ('RGB + OFF(RGB) + Flow', ['off_rgb', 'flow']),
    ('RGB + OFF(RGB) + Flow + OFF(Flow)', ['off_rgb', 'off_flow']),
]
# Each stream alone, to show which one carries the signal on this data.
SINGLE = [
    ('RGB Diff', ['rgbdiff']),
    ('RGB Diff + OFF(RGB Diff)', ['off_rgbdiff']),
    ('Flow', ['flow']),
    ('Flow + OFF(Flow)', ['off_flow']),
]


def time_flow_extraction(data_root: str, count: int) -> float:
    """Seconds per video of TV-L1 extraction, one process, fresh output."""
    from data_tools.flow import extract_flow_list
    with open(osp.join(data_root, 'offmotion_val_list_videos.txt')) as f:
        lines = [line for line in f if line.strip()][:count]
    tmp = tempfile.mkdtemp(prefix='flow_timing_')
    try:
        video_list = osp.join(tmp, 'videos.txt')
        with open(video_list, 'w') as f:
            f.writelines(lines)
        start = time.perf_counter()
        extract_flow_list(
            video_list,
            osp.join(data_root, 'videos'),
            osp.join(tmp, 'flow'),
            workers=1,
            progress=False)
        return (time.perf_counter() - start) / len(lines)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/modalities')
    parser.add_argument('--data-root', default='data/offmotion')
    parser.add_argument(
        '--flow-workers',
        type=int,
        default=2,
        help='processes for the dataset-wide flow extraction')
    parser.add_argument(
        '--flow-timing-videos',
        type=int,
        default=16,
        help='test videos timed for the flow rows (>= 1)')
    args = parser.parse_args()
    if args.flow_timing_videos < 1:
        parser.error('--flow-timing-videos must be >= 1')

    from analysis_tools.fusion import fusion_table
    from job_tools.runs import (job_config, last_checkpoint,
                                offmotion_data_settings, run, test_summary,
                                toolbox_tool)
    from data_tools.flow import extract_flow_list
    from data_tools.motion import make_motion_dataset
    from off_plugins.utils import atomic_write_text

    start = time.time()
    os.chdir(REPO)
    data_root, wd = args.data_root, args.work_dir
    flow_root = f'{data_root}/flow'
    print('[modalities_job] 1/4 dataset', flush=True)
    make_motion_dataset(data_root)

    print('[modalities_job] 2/4 TV-L1 flow (resumable)', flush=True)
    for split in ('train', 'val'):
        extract_flow_list(
            f'{data_root}/offmotion_{split}_list_videos.txt',
            f'{data_root}/videos',
            flow_root,
            out_list=f'{data_root}/offmotion_{split}_list_flow.txt',
            workers=args.flow_workers)
    flow_s = time_flow_extraction(data_root, args.flow_timing_videos)
    print(
        f'[modalities_job] TV-L1: {flow_s:.3f} s per video '
        f'({args.flow_timing_videos} test videos, one process)',
        flush=True)

    print('[modalities_job] 3/4 train and test 6 models', flush=True)
    train, test = toolbox_tool('train.py'), toolbox_tool('test.py')
    py = sys.executable
    ckpts, results, dumps = {}, {}, {}
    for name, (cfg, init, modality) in STREAMS.items():
        # Paths reach the tools in job configs: --cfg-options drops spaces.
        settings = offmotion_data_settings(data_root, modality)
        if init is not None:
            settings['load_from'] = ckpts[init]
        cfg = job_config(CONFIGS + cfg, osp.join(wd, f'{name}.py'), settings)
        model_dir = osp.join(wd, name)
        run([py, train, cfg, '--work-dir', model_dir],
            osp.join(wd, f'{name}_train.log'),
            cwd=REPO)
        ckpts[name] = last_checkpoint(model_dir)
        test_dir = osp.join(model_dir, 'test')
        dumps[name] = osp.join(test_dir, 'predictions.pkl')
        run([
            py, test, cfg, ckpts[name], '--work-dir', test_dir, '--dump',
            dumps[name]
        ],
            osp.join(wd, f'{name}_test.log'),
            cwd=REPO)
        results[name] = test_summary(test_dir, dumps[name])

    print('[modalities_job] 4/4 score fusion', flush=True)
    combos = TABLE2 + SINGLE
    rows = {
        frozenset(row['streams']): row
        for row in fusion_table(dumps, [streams for _, streams in combos])
    }
    table = []
    for label, streams in combos:
        row = rows[frozenset(streams)]
        seconds = sum(results[s]['seconds_per_clip'] for s in streams)
        if any(STREAMS[s][2] == 'flow' for s in streams):
            seconds += flow_s
        table.append(
            dict(
                row=label,
                streams=streams,
                top1=row['top1'],
                seconds_per_video=seconds,
                videos_per_s=1.0 / seconds))

    clips = results['rgb']['clips']
    print(f'\nTable 2 on {data_root} ({clips} test videos, 8 motion classes, '
          'chance 12.5%); fused scores are sums of the dumped probabilities')
    print(f'{"streams":<44}{"top-1":>8}{"videos/s":>10}{"s/video":>9}')
    for i, r in enumerate(table):
        if i == len(TABLE2):
            print('each motion stream alone:')
        print(f'{r["row"]:<44}{100 * r["top1"]:>7.1f}%'
              f'{r["videos_per_s"]:>10.2f}{r["seconds_per_video"]:>9.3f}')
    print(f'flow rows include TV-L1 extraction, {flow_s:.3f} s per video')
    out = osp.join(wd, 'table2.json')
    atomic_write_text(
        out,
        json.dumps(
            dict(rows=table, flow_seconds_per_video=flow_s, models=results),
            indent=2))
    print(f'\nwall time {time.time() - start:.0f} s; table in {out}, logs and '
          f'checkpoints in {wd}')


if __name__ == '__main__':
    main()
