"""The motion benchmark: is OFF's gain OFF's, and does it survive new data?

Trains and tests, with MMAction2's own tools, four models on each member of
the generated motion-dataset family (``data_tools.motion.VARIANTS``) and
for several seeds, then prints one table (top-1 %, mean and spread over the
seeds):

* ``tsn``: stage 1, MMAction2's TSN-R18 (the main job's stage 1);
* ``hypercolumn``: stage 2 with the OFF sub-network fed the reduced features
  of both segments instead of OFF (``components='none'``, the paper's
  Table 4): the same sub-network, no motion representation;
* ``off-t``: stage 2 with the temporal difference only (``'temporal'``);
* ``off``: stage 2 with the full OFF (``'full'``), the main job's model.

``--models ... tsn-diff off-diff`` adds Table 2's RGB-difference stream with
the modalities job's configs (``tsn-diff``: TSN on TSN's RGB-diff input;
``off-diff``: OFF(RGB Diff) on its frozen checkpoint) and the fused rows:
the test scores of both OFF models summed (Table 2's RGB + OFF(RGB) + RGB
Diff + OFF(RGB Diff)) and, for comparison, of both TSNs (RGB + RGB Diff).

Every stage 2 sits on the same frozen stage-1 checkpoint of its variant and
seed, with the main job's recipe unchanged (its configs, only the class count
and data paths set). The seed sets mmengine's ``randomness.seed`` of both
stages; the data of a variant are the same for every seed. ``holdout`` and
``holdout-b`` are variants kept out of every choice of the recipe (the second
one was defined when the first had been used once, see the README of
configs/off_tsn); pass ``--holdout`` to add them.

    python tools/motion_benchmark.py                       # 3 variants x 3 seeds
    python tools/motion_benchmark.py --variants bars --seeds 0 --models tsn off
    python tools/motion_benchmark.py --holdout --table-only
    python tools/motion_benchmark.py --holdout --reversals  # no training
    python tools/motion_benchmark.py --holdout --confusions --models off
    python tools/motion_benchmark.py --input-size 112   # both stages at 112 px
    python tools/motion_benchmark.py --holdout --models tsn off tsn-diff off-diff

A killed run continues where it stopped: each model's ``result.json`` is
written last, training resumes from its last checkpoint (``--resume``, once
the run has saved one). A run made with another recipe (configs, settings,
data or stage 1 changed since) is renamed ``<model>.stale-<fingerprint>``
and redone, never read back.
"""
import argparse
import os.path as osp
import statistics
import time

from job_tools.runs import ALL_MOTION_MODELS, MIN_INPUT_SIZE, MOTION_MODELS

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

DEFAULT_VARIANTS = ('bars', 'photo-objects', 'bounce-small')
# Table 2's two-stream rows without flow: the summed test scores of the RGB
# and RGB-diff models, read from their dumps (no training); 'fused' is the
# row with OFF on both streams, 'fused-tsn' the same streams without OFF.
FUSED = {'fused-tsn': ('tsn', 'tsn-diff'), 'fused': ('off', 'off-diff')}
NAMES = dict({
    m: name
    for m, (name, _) in ALL_MOTION_MODELS.items()
}, **{
    'fused-tsn': 'TSN + TSN (RGB Diff), fused',
    'fused': 'OFF(RGB) + OFF(RGB Diff), fused'
})
# Targets on every variant (top-1 percentage points).
TARGETS = dict(off=90.0, off_minus_tsn=40.0, off_minus_hypercolumn=10.0)


def parse_args(argv=None):
    from data_tools.motion import VARIANTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--variants',
        nargs='+',
        default=list(DEFAULT_VARIANTS),
        choices=sorted(VARIANTS))
    parser.add_argument(
        '--holdout',
        action='store_true',
        help="add the held-out variants ('holdout', 'holdout-b')")
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument(
        '--models',
        nargs='+',
        default=list(MOTION_MODELS),
        choices=list(ALL_MOTION_MODELS),
        help='default: the four RGB models; tsn-diff and off-diff add '
        "Table 2's RGB-difference stream, and the fused rows of both streams")
    parser.add_argument(
        '--input-size',
        type=int,
        help='side of the frames both stages see (default: the configs\' '
        '64); its runs go to work_dirs/motion_benchmark-<N>px unless '
        '--work-dir says otherwise')
    parser.add_argument(
        '--work-dir', help='default: work_dirs/motion_benchmark')
    parser.add_argument('--data-root', default='data/motion_benchmark')
    parser.add_argument(
        '--table-only',
        action='store_true',
        help='print the table of the finished runs, train nothing')
    parser.add_argument(
        '--markdown',
        action='store_true',
        help='also print the tables as Markdown (means and per seed)')
    parser.add_argument(
        '--reversals',
        action='store_true',
        help='count the test videos whose object reverses its direction '
        '(a limit of models that average their segments), train nothing')
    parser.add_argument(
        '--confusions',
        action='store_true',
        help="count the finished runs' test errors per pair of classes, "
        'over the seeds, train nothing')
    args = parser.parse_args(argv)
    if args.input_size is not None and args.input_size < MIN_INPUT_SIZE:
        parser.error(f'--input-size must be at least {MIN_INPUT_SIZE}')
    if args.work_dir is None:
        args.work_dir = 'work_dirs/motion_benchmark' + (
            '' if args.input_size is None else f'-{args.input_size}px')
    if args.holdout:
        from data_tools.motion import HOLDOUT_VARIANTS
        args.variants += [
            v for v in HOLDOUT_VARIANTS if v not in args.variants
        ]
    return args


def run_root(args, variant, seed):
    return osp.join(REPO, args.work_dir, variant, f'seed{seed}')


def result_path(args, variant, seed, model):
    return osp.join(run_root(args, variant, seed), model, 'result.json')


def dump_path(args, variant, seed, model):
    """The test scores ``tools/test.py --dump`` wrote for a run."""
    return osp.join(
        run_root(args, variant, seed), model, 'test', 'predictions.pkl')


def location(args, variant, seed):
    """The ``data_root`` and ``run_root`` of ``job_tools.runs``' runs."""
    return dict(
        data_root=f'{args.data_root}/{variant}',
        run_root=run_root(args, variant, seed),
        input_size=args.input_size)


def train_and_test(args, variant, seed, model):
    from job_tools.runs import motion_run
    return motion_run(REPO, variant, seed, model,
                      **location(args, variant, seed))


def collect(args):
    """``{(variant, model): [(seed, top1)]}`` of the finished runs made
    with today's recipe; older runs are counted and left out."""
    from job_tools.runs import current_result
    table, stale, cache = {}, [], {}
    for variant in args.variants:
        for model in args.models:
            values = []
            for seed in args.seeds:
                result = current_result(
                    REPO,
                    variant,
                    seed,
                    model,
                    cache=cache,
                    **location(args, variant, seed))
                if result is not None:
                    values.append((seed, result['top1']))
                elif osp.isfile(result_path(args, variant, seed, model)):
                    stale.append(f'{variant}/seed{seed}/{model}')
            table[variant, model] = values
    if stale:
        print(f'left out, made with another recipe (rerun without '
              f'--table-only to redo): {", ".join(stale)}')
    for row in fused_rows(args):
        for variant in args.variants:
            table[variant, row] = fused_runs(args, table, variant, FUSED[row])
    return table


def fused_runs(args, table, variant, models):
    """``[(seed, top1)]`` of a fused row: the dumped test scores of
    ``models`` summed, video by video, for every seed where all of them
    finished with today's recipe."""
    from analysis_tools.fusion import fusion_table
    seeds = set.intersection(*(set(dict(table[variant, m])) for m in models))
    out = []
    for seed in sorted(seeds):
        dumps = {m: dump_path(args, variant, seed, m) for m in models}
        row = fusion_table(dumps, [list(models)])[-1]
        out.append((seed, 100 * row['top1']))
    return out


def fused_rows(args):
    """The fused rows whose models are all among those asked for."""
    return [
        row for row, models in FUSED.items() if set(models) <= set(args.models)
    ]


def shown(args):
    """The table's rows: the models asked for, then their fused rows."""
    return list(args.models) + fused_rows(args)


def fmt(values, count=True):
    """Mean ± std of ``[(seed, top1)]``, with ``(n=...)`` if ``count``."""
    if not values:
        return '-'
    tops = [v for _, v in values]
    n = f' (n={len(tops)})' if count else ''
    if len(tops) == 1:
        return f'{tops[0]:.1f} (n=1)'
    return f'{statistics.mean(tops):.1f} ± {statistics.stdev(tops):.1f}{n}'


def paired_gaps(table, variant, a, b):
    """Per-seed differences a - b where both ran."""
    left, right = dict(table[variant, a]), dict(table[variant, b])
    return [left[s] - right[s] for s in sorted(set(left) & set(right))]


def print_markdown(args, table):
    models = shown(args)
    names = [NAMES[m] for m in models]
    print('\n| model | ' + ' | '.join(f'`{v}`' for v in args.variants) + ' |')
    print('| --- |' + ' --- |' * len(args.variants))
    for model, name in zip(models, names):
        cells = [fmt(table[v, model], count=False) for v in args.variants]
        print(f'| {name} | ' + ' | '.join(cells) + ' |')
    print('\n| variant | ' + ' | '.join(names) + ' |')
    print('| --- |' + ' --- |' * len(names))
    for variant in args.variants:
        cells = [
            ', '.join(f'{v:.1f}'
                      for _, v in sorted(table[variant, model])) or '-'
            for model in models
        ]
        print(f'| `{variant}` | ' + ' | '.join(cells) + ' |')


def print_table(args, table):
    width = 24
    print('\nmotion benchmark: top-1 % on each variant\'s test videos, '
          'mean ± std over seeds')
    models = shown(args)
    left = max(len(NAMES[m]) for m in models) + 2
    print(f'{"model":<{left}}' + ''.join(f'{v:>{width}}'
                                         for v in args.variants))
    for model in models:
        print(f'{NAMES[model]:<{left}}' +
              ''.join(f'{fmt(table[v, model]):>{width}}'
                      for v in args.variants))
    if {'off', 'tsn', 'hypercolumn'} <= set(args.models):
        print(
            '\nper-seed gaps (percentage points) and targets on every variant:'
        )
        for variant in args.variants:
            off = [v for _, v in table[variant, 'off']]
            gap_tsn = paired_gaps(table, variant, 'off', 'tsn')
            gap_hc = paired_gaps(table, variant, 'off', 'hypercolumn')
            if not off:
                print(f'  {variant}: no finished OFF run')
                continue
            checks = [
                ('TSN + OFF >= 90', min(off) >= TARGETS['off']),
                ('OFF - TSN >= 40', bool(gap_tsn)
                 and min(gap_tsn) >= TARGETS['off_minus_tsn']),
                ('OFF - hypercolumn >= 10', bool(gap_hc)
                 and min(gap_hc) >= TARGETS['off_minus_hypercolumn']),
            ]
            print(f'  {variant}: OFF - TSN {[round(g, 1) for g in gap_tsn]}, '
                  f'OFF - hypercolumn {[round(g, 1) for g in gap_hc]}; ' +
                  ', '.join(f'{name}: {"met" if ok else "MISSED"}'
                            for name, ok in checks) + ' (every seed)')
    if 'fused' in models:
        print(f'\n{NAMES["fused"]} >= {TARGETS["off"]:.0f} on every seed:')
        for variant in args.variants:
            fused = [round(v, 1) for _, v in table[variant, 'fused']]
            verdict = ('no finished pair' if not fused else
                       'met' if min(fused) >= TARGETS['off'] else 'MISSED')
            print(f'  {variant}: {fused}: {verdict}')


def print_reversals(args):
    from analysis_tools.motion_reversals import split_reversals
    from data_tools.motion import make_motion_dataset
    print('test videos whose object reverses its direction (translations; '
          'reversals per video)')
    for variant in args.variants:
        root = osp.join(REPO, args.data_root, variant)
        make_motion_dataset(root, variant=variant, log=lambda m: None)
        table = split_reversals(root)
        moving = sum(len(v) for v in table.values())
        reversing = sum(c > 0 for v in table.values() for c in v)
        print(f'  {variant}: {reversing} of {moving}')
        for name, counts in table.items():
            if any(counts):
                print(f'    {name}: {counts}')


def print_confusions(args):
    """Per variant and model: the test errors of the finished runs made
    with today's recipe (those :func:`collect` keeps), over the seeds, by
    pair of classes."""
    import json
    from analysis_tools.motion_confusions import confusions, direction_swaps
    from data_tools.motion import ALL_MOTIONS
    table = collect(args)
    print('test errors by pair of classes, over the seeds (runs of '
          "today's recipe)")
    for variant in args.variants:
        manifest = osp.join(REPO, args.data_root, variant, 'manifest.json')
        if not osp.isfile(manifest):
            print(f'  {variant}: no dataset under {args.data_root}')
            continue
        with open(manifest) as f:
            classes = json.load(f)['classes']
        for model in args.models:
            seeds = [seed for seed, _ in table[variant, model]]
            if not seeds:
                print(f'  {variant} {model}: no finished run')
                continue
            dumps = [dump_path(args, variant, seed, model) for seed in seeds]
            videos, errors, pairs = confusions(dumps, classes)
            swaps = direction_swaps(pairs, ALL_MOTIONS)
            top = ', '.join(f'{pair} {count}'
                            for pair, count in pairs.most_common(3))
            print(f'  {variant} {model} (seeds {seeds}): {errors} errors '
                  f'in {videos} test videos; {swaps} between opposite '
                  f'motions; most: {top or "none"}')


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    if args.reversals:
        print_reversals(args)
        return
    if args.confusions:
        print_confusions(args)
        return
    if not args.table_only:
        # seed-major: a partial run still covers every variant
        for seed in args.seeds:
            for variant in args.variants:
                for model in args.models:
                    train_and_test(args, variant, seed, model)
    table = collect(args)
    print_table(args, table)
    if args.markdown:
        print_markdown(args, table)
    print(
        f'\nwall time {time.time() - start:.0f} s; runs under {args.work_dir}')


if __name__ == '__main__':
    main()
