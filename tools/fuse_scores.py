"""Fuse the test scores of several streams and print one row per combination.

Each stream is a pickle from MMAction2's ``tools/test.py CFG CKPT --dump
work/rgb.pkl``. Every stream is reported alone, then every combination
(default: all streams together), with top-1, top-5 (top-C when there are
fewer than 5 classes) and mean class accuracy, like Table 2 of the OFF paper.
The numbers are those of MMAction2's ``report_accuracy.py`` for the same
files and coefficients. Run from the repository root::

    python tools/fuse_scores.py \\
        --streams rgb=work/rgb.pkl off=work/off.pkl flow=work/flow.pkl \\
        --combos rgb+off rgb+off+flow --weights rgb=1 off=1 flow=1.5 \\
        --apply-softmax --out work/fusion.json

``--weights`` takes ``name=value`` for every stream, or plain numbers in the
order of ``--streams`` (as ``report_accuracy.py --coefficients``).

The dumps are loaded without running code (a crafted pickle is refused) and
matched video by video by name (``filename`` / ``frame_dir``, which the
shipped configs record). ``--allow-unnamed`` matches dumps that lack names by
position, as ``report_accuracy.py`` does; that cannot notice two videos of one
class in a different order.
"""
import argparse
import json
import os
import os.path as osp
from typing import Dict, List, Sequence

from analysis_tools.fusion import fusion_table
from off_plugins.utils import atomic_write_text


def parse_streams(items: Sequence[str]) -> Dict[str, str]:
    """``['rgb=a.pkl', ...]`` -> ``{'rgb': 'a.pkl', ...}`` (order kept)."""
    streams: Dict[str, str] = {}
    for item in items:
        name, sep, path = item.partition('=')
        if not sep or not name or not path:
            raise ValueError(f'--streams takes name=path, got {item!r}')
        if '+' in name:
            raise ValueError(f"stream name {name!r} must not contain '+', "
                             'which joins streams in --combos')
        if name in streams:
            raise ValueError(f'stream {name!r} is given twice in --streams')
        streams[name] = path
    return streams


def parse_weights(items: Sequence[str],
                  names: Sequence[str]) -> Dict[str, float]:
    """``['rgb=1', 'flow=1.5']``, or ``['1', '1.5']`` in the order of
    ``names``, -> ``{'rgb': 1.0, 'flow': 1.5}``."""
    if all('=' not in item for item in items):
        if len(items) != len(names):
            raise ValueError(f'got {len(items)} weights for {len(names)} '
                             f'streams ({", ".join(names)})')
        pairs = list(zip(names, items))
    else:
        pairs = []
        for item in items:
            name, sep, value = item.partition('=')
            if not sep:
                raise ValueError('--weights takes name=value for every '
                                 f'stream or numbers only, got {item!r}')
            pairs.append((name, value))
    weights: Dict[str, float] = {}
    for name, value in pairs:
        try:
            weights[name] = float(value)
        except ValueError:
            raise ValueError(f'weight of stream {name!r} should be a number, '
                             f'got {value!r}') from None
    return weights


def format_table(rows: List[dict], apply_softmax: bool) -> str:
    """The rows as a fixed-width text table, accuracies in percent."""
    first = rows[0]
    k = first['top5_k']
    note = '' if k == 5 else f' (top-{k}: only {k} classes)'
    header = (f'{first["num_videos"]} videos, accuracy in %, softmax '
              'before fusing: '
              f'{"on" if apply_softmax else "off"}{note}')
    combo_width = max(len('combination'), *(len(r['combo']) for r in rows))
    weight_texts = [' '.join(f'{w:g}' for w in r['weights']) for r in rows]
    weight_width = max(len('weights'), *(len(t) for t in weight_texts))
    lines = [
        header,
        f'{"combination":<{combo_width}}  {"weights":<{weight_width}}  '
        f'{"top-1":>6}  {f"top-{k}":>6}  {"mean class":>10}  '
        f'{"videos":>6}'
    ]
    for row, weight_text in zip(rows, weight_texts):
        lines.append(f'{row["combo"]:<{combo_width}}  '
                     f'{weight_text:<{weight_width}}  '
                     f'{100 * row["top1"]:6.2f}  {100 * row["top5"]:6.2f}  '
                     f'{100 * row["mean_class_acc"]:10.2f}  '
                     f'{row["num_videos"]:6d}')
    return '\n'.join(lines)


def write_json(obj, path: str) -> None:
    """Write ``obj`` as JSON atomically: a temporary file, then rename."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    atomic_write_text(path, json.dumps(obj, indent=2))


def parse_args(argv=None) -> argparse.Namespace:
    """The command line (``argv``, default ``sys.argv[1:]``) as options."""
    parser = argparse.ArgumentParser(
        description='Fuse MMAction2 test dumps of several streams.')
    parser.add_argument(
        '--streams',
        nargs='+',
        required=True,
        metavar='NAME=PKL',
        help='named score dumps from tools/test.py --dump')
    parser.add_argument(
        '--combos',
        nargs='+',
        metavar='A+B',
        help='combinations to fuse, streams joined by +; '
        'default: all streams together. Each stream used '
        'is also reported alone.')
    parser.add_argument(
        '--weights',
        nargs='+',
        metavar='NAME=W',
        help='one coefficient per stream (default 1 each)')
    parser.add_argument(
        '--apply-softmax',
        action='store_true',
        help='softmax each stream\'s scores before fusing')
    parser.add_argument(
        '--allow-unnamed',
        action='store_true',
        help='match dumps without video names by position '
        '(cannot notice two videos of one class swapped)')
    parser.add_argument('--out', help='also write the rows to this JSON file')
    return parser.parse_args(argv)


def main(argv=None) -> List[dict]:
    """Run the CLI; returns the table rows."""
    args = parse_args(argv)
    try:
        streams = parse_streams(args.streams)
        weights = (None if args.weights is None else parse_weights(
            args.weights, list(streams)))
        combos = (None if args.combos is None else
                  [combo.split('+') for combo in args.combos])
        rows = fusion_table(streams, combos, weights, args.apply_softmax,
                            args.allow_unnamed)
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f'fuse_scores.py: error: {err}') from None
    print(format_table(rows, args.apply_softmax))
    if args.out:
        write_json(
            dict(streams=streams, apply_softmax=args.apply_softmax, rows=rows),
            args.out)
        print(f'wrote {args.out}')
    return rows


if __name__ == '__main__':
    main()
