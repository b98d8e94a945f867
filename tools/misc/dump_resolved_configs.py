"""Dump every shipped config fully resolved, and compare two dumps.

A one-off check that rewriting and renaming the configs changes no setting::

    python tools/misc/dump_resolved_configs.py dump /tmp/configs-before
    # ... rewrite, git mv ...
    python tools/misc/dump_resolved_configs.py dump /tmp/configs-after
    python tools/misc/dump_resolved_configs.py compare /tmp/configs-before \\
        /tmp/configs-after

``dump`` writes one JSON file per config of ``FOLDERS`` (recursive, ``_base_``
fragments aside): ``Config.fromfile(path).to_dict()`` with sorted keys, tuples
kept apart from lists. ``compare`` pairs the old and new names through
``RENAMES`` and prints every difference, one dotted key a line, in two groups:

* settings: the top-level keys MMEngine's ``Runner``, ``Config.fromfile`` and
  this project's tools read (``SETTINGS``); a difference here changes a run.
* variables: any other top-level key (``train_pipeline``, ``data_root``,
  ``sampling``, ...), read only by the config files themselves while they
  are parsed; what they feed into is compared under settings.

Run it from the repository root with the repository importable (the configs'
``custom_imports`` load ``off_plugins``).

A ``_scope_`` equal to the config's ``default_scope`` is dropped before
comparing: MMEngine adds it where a config reads a variable of an
``mmaction::`` base, and building in that scope is building in the default
one.
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys

FOLDERS = ('configs/off_tsn', 'configs/off_tsm', 'configs/rfcn_off',
           'configs/dncnn_off')
# old path -> new path, relative to the repository root
RENAMES = {
    'configs/off_tsn/hypercolumn-tsn_r50_4xb32-20k-3seg_ucf101-split1-rgb.py':
    'configs/off_tsn/hypercolumn-tsn_tsn-1x1x3-75e-pretrained-r50_4xb32-1x1x3-20k_ucf101-split1-rgb.py',  # noqa: E501
    'configs/off_tsn/off-t-tsn_r50_4xb32-20k-3seg_ucf101-split1-rgb.py':
    'configs/off_tsn/off-t-tsn_tsn-1x1x3-75e-pretrained-r50_4xb32-1x1x3-20k_ucf101-split1-rgb.py',
    'configs/off_tsn/off-tsn_r18_1xb16-25e_offmotion-flow.py':
    'configs/off_tsn/off-tsn_tsn-5x1x4-8e-pretrained-r18_1xb16-5x1x4-25e_offmotion-flow.py',
    'configs/off_tsn/off-tsn_r18_1xb16-25e_offmotion-rgb.py':
    'configs/off_tsn/off-tsn_tsn-1x1x4-8e-pretrained-r18_1xb16-1x1x4-25e_offmotion-rgb.py',
    'configs/off_tsn/off-tsn_r18_1xb16-25e_offmotion-rgbdiff.py':
    'configs/off_tsn/off-tsn_tsn-5x1x4-8e-pretrained-r18_1xb16-5x1x4-25e_offmotion-rgbdiff.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-3seg_ucf101-split1-flow.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x3-20k_ucf101-split1-flow.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-3seg_ucf101-split1-rgb.py':
    'configs/off_tsn/off-tsn_tsn-1x1x3-75e-pretrained-r50_4xb32-1x1x3-20k_ucf101-split1-rgb.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-3seg_ucf101-split1-rgbdiff-inputoff.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x3-20k_ucf101-split1-rgbdiff-inputoff.py',  # noqa: E501
    'configs/off_tsn/off-tsn_r50_4xb32-20k-3seg_ucf101-split1-rgbdiff.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x3-20k_ucf101-split1-rgbdiff.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_hmdb51-split1-flow.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_hmdb51-split1-flow.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_hmdb51-split1-rgb.py':
    'configs/off_tsn/off-tsn_tsn-1x1x3-75e-pretrained-r50_4xb32-1x1x7-20k_hmdb51-split1-rgb.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_hmdb51-split1-rgbdiff.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_hmdb51-split1-rgbdiff.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_hmdb51-split2-flow.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_hmdb51-split2-flow.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_hmdb51-split2-rgb.py':
    'configs/off_tsn/off-tsn_tsn-1x1x3-75e-pretrained-r50_4xb32-1x1x7-20k_hmdb51-split2-rgb.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_hmdb51-split2-rgbdiff.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_hmdb51-split2-rgbdiff.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_hmdb51-split3-flow.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_hmdb51-split3-flow.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_hmdb51-split3-rgb.py':
    'configs/off_tsn/off-tsn_tsn-1x1x3-75e-pretrained-r50_4xb32-1x1x7-20k_hmdb51-split3-rgb.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_hmdb51-split3-rgbdiff.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_hmdb51-split3-rgbdiff.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_ucf101-split1-flow.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_ucf101-split1-flow.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_ucf101-split1-rgb.py':
    'configs/off_tsn/off-tsn_tsn-1x1x3-75e-pretrained-r50_4xb32-1x1x7-20k_ucf101-split1-rgb.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_ucf101-split1-rgbdiff-inputoff.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_ucf101-split1-rgbdiff-inputoff.py',  # noqa: E501
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_ucf101-split1-rgbdiff.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_ucf101-split1-rgbdiff.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_ucf101-split2-flow.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_ucf101-split2-flow.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_ucf101-split2-rgb.py':
    'configs/off_tsn/off-tsn_tsn-1x1x3-75e-pretrained-r50_4xb32-1x1x7-20k_ucf101-split2-rgb.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_ucf101-split2-rgbdiff-inputoff.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_ucf101-split2-rgbdiff-inputoff.py',  # noqa: E501
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_ucf101-split2-rgbdiff.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_ucf101-split2-rgbdiff.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_ucf101-split3-flow.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_ucf101-split3-flow.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_ucf101-split3-rgb.py':
    'configs/off_tsn/off-tsn_tsn-1x1x3-75e-pretrained-r50_4xb32-1x1x7-20k_ucf101-split3-rgb.py',
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_ucf101-split3-rgbdiff-inputoff.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_ucf101-split3-rgbdiff-inputoff.py',  # noqa: E501
    'configs/off_tsn/off-tsn_r50_4xb32-20k-7seg_ucf101-split3-rgbdiff.py':
    'configs/off_tsn/off-tsn_tsn-5x1x3-75e-pretrained-r50_4xb32-5x1x7-20k_ucf101-split3-rgbdiff.py',
    'configs/off_tsm/off-tsm_imagenet-pretrained-r50_8xb16-1x1x8-110e_kinetics400-rgb.py':
    'configs/off_tsm/off-tsm_tsm-1x1x8-100e-pretrained-r50_8xb16-1x1x8-110e_kinetics400-rgb.py',
    'configs/off_tsm/off-tsm-released_imagenet-pretrained-r50_8xb16-1x1x8-110e_kinetics400-rgb.py':
    'configs/off_tsm/off-tsm-released_tsm-1x1x8-100e-pretrained-r50_8xb16-1x1x8-110e_kinetics400-rgb.py',  # noqa: E501
    'configs/off_tsm/off-tsm_imagenet-pretrained-mobilenetv2_8xb16-1x1x8-110e_kinetics400-rgb.py':
    'configs/off_tsm/off-tsm_tsm-1x1x8-100e-pretrained-mobilenetv2_8xb16-1x1x8-110e_kinetics400-rgb.py',  # noqa: E501
    'configs/off_tsm/off-tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_sthv2-rgb.py':
    'configs/off_tsm/off-tsm_tsm-1x1x8-50e-pretrained-r50_8xb16-1x1x8-50e_sthv2-rgb.py',
    'configs/rfcn_off/rfcn_r18-tiny-stage2_1xb4-400it_toyvid.py':
    'configs/rfcn_off/rfcn_rfcn-400it-pretrained-r18-tiny_1xb4-400it_toyvid.py',
    'configs/rfcn_off/rfcn-off-ss_r18-tiny-stage2_1xb4-400it_toyvid.py':
    'configs/rfcn_off/rfcn-off-ss_rfcn-400it-pretrained-r18-tiny_1xb4-400it_toyvid.py',
    'configs/rfcn_off/rfcn-off-ms_r18-tiny-stage2_1xb4-400it_toyvid.py':
    'configs/rfcn_off/rfcn-off-ms_rfcn-400it-pretrained-r18-tiny_1xb4-400it_toyvid.py',
}

# Top-level keys that change a run: MMEngine 0.10.7's Runner (from_cfg and
# the settings it reads from cfg), Config.fromfile (custom_imports) and
# off_plugins.dist (model_wrapper_cfg, find_unused_parameters).
SETTINGS = {
    'activation_checkpointing', 'auto_scale_lr', 'compile', 'custom_hooks',
    'custom_imports', 'data_preprocessor', 'default_hooks', 'default_scope',
    'efficient_conv_bn_eval', 'env_cfg', 'experiment_name',
    'find_unused_parameters', 'launcher', 'load_from', 'log_level',
    'log_processor', 'model', 'model_wrapper_cfg', 'optim_wrapper',
    'param_scheduler', 'randomness', 'resource_limit', 'resume', 'test_cfg',
    'test_dataloader', 'test_evaluator', 'train_cfg', 'train_dataloader',
    'val_cfg', 'val_dataloader', 'val_evaluator', 'visualizer', 'work_dir'
}


def config_paths(root):
    paths = []
    for folder in FOLDERS:
        for path in glob.glob(
                osp.join(root, folder, '**', '*.py'), recursive=True):
            rel = osp.relpath(path, root)
            if '_base_' not in rel.split(os.sep):
                paths.append(rel)
    return sorted(paths)


def jsonable(value):
    """Dicts, lists and scalars as they are; a tuple as
    ``{'tuple': [...]}``, anything else as ``{'repr': ...}``."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {'tuple': [jsonable(v) for v in value]}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return {'repr': repr(value)}


def json_name(rel):
    """``configs/a/b.py`` -> ``configs__a__b.json``."""
    return rel.replace(os.sep, '__')[:-len('.py')] + '.json'


def config_of(name):
    """``configs__a__b.json`` -> ``configs/a/b.py``."""
    return name[:-len('.json')].replace('__', '/') + '.py'


def dump(root, out):
    from mmengine.config import Config
    os.makedirs(out, exist_ok=True)
    paths = config_paths(root)
    for rel in paths:
        cfg = Config.fromfile(osp.join(root, rel)).to_dict()
        with open(osp.join(out, json_name(rel)), 'w') as f:
            json.dump(jsonable(cfg), f, indent=1, sort_keys=True)
    print(f'{len(paths)} configs -> {out}')


def differences(old, new, prefix=''):
    """Dotted keys whose values differ, with both values."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            path = f'{prefix}.{key}' if prefix else key
            if key not in new:
                out.append((path, old[key], '<absent>'))
            elif key not in old:
                out.append((path, '<absent>', new[key]))
            else:
                out += differences(old[key], new[key], path)
        return out
    if (isinstance(old, list) and isinstance(new, list)
            and len(old) == len(new)):
        out = []
        for i, (a, b) in enumerate(zip(old, new)):
            out += differences(a, b, f'{prefix}[{i}]')
        return out
    return [] if old == new else [(prefix, old, new)]


def drop_default_scope(value, scope):
    """``value`` without the ``_scope_`` keys equal to ``scope``."""
    if isinstance(value, dict):
        return {
            k: drop_default_scope(v, scope)
            for k, v in value.items() if not (k == '_scope_' and v == scope)
        }
    if isinstance(value, list):
        return [drop_default_scope(v, scope) for v in value]
    return value


def load(folder, rel):
    with open(osp.join(folder, json_name(rel))) as f:
        cfg = json.load(f)
    return drop_default_scope(cfg, cfg.get('default_scope'))


def top_key(path):
    """``model.neck.x`` or ``train_pipeline[1].y`` -> the top-level key."""
    return path.split('.')[0].split('[')[0]


def compare(old_dir, new_dir):
    """Print the differences of two dumps; true if a setting differs or a
    config is missing or new."""
    old_names = sorted(f for f in os.listdir(old_dir) if f.endswith('.json'))
    new_names = set(f for f in os.listdir(new_dir) if f.endswith('.json'))
    equal, differing, missing, variables = 0, 0, 0, []
    for old_json in old_names:
        old_rel = config_of(old_json)
        new_rel = RENAMES.get(old_rel, old_rel)
        new_json = json_name(new_rel)
        if new_json not in new_names:
            print(f'MISSING {old_rel} -> {new_rel}')
            missing += 1
            continue
        new_names.discard(new_json)
        diffs = differences(load(old_dir, old_rel), load(new_dir, new_rel))
        settings = [d for d in diffs if top_key(d[0]) in SETTINGS]
        if settings:
            differing += 1
            print(f'DIFFERS {old_rel} -> {new_rel}')
            for path, a, b in settings:
                print(f'    {path}: {json.dumps(a)} -> {json.dumps(b)}')
        else:
            equal += 1
        variables += [(old_rel, d) for d in diffs
                      if top_key(d[0]) not in SETTINGS]
    if variables:
        print('variables (not settings) that differ:')
        by_key = {}
        for rel, (path, a, b) in variables:
            change = ('added' if a == '<absent>' else
                      'dropped' if b == '<absent>' else 'changed')
            by_key.setdefault((top_key(path), change), set()).add(rel)
        for (key, change), rels in sorted(by_key.items()):
            print(f'    {key} {change} in {len(rels)} configs')
    for new_json in sorted(new_names):
        print(f'NEW     {config_of(new_json)}')
    print(f'settings: {equal} configs equal, {differing} differing, '
          f'{missing} missing, {len(new_names)} new')
    return differing or missing or new_names


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser('dump')
    p.add_argument('out')
    p = sub.add_parser('compare')
    p.add_argument('old')
    p.add_argument('new')
    args = parser.parse_args()
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    if args.command == 'dump':
        dump(root, args.out)
    else:
        sys.exit(1 if compare(args.old, args.new) else 0)


if __name__ == '__main__':
    main()
