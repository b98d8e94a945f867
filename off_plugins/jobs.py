"""Helpers for the end-to-end jobs under ``tools/``: run MMAction2's own tools.

The jobs train and test with the ``tools/train.py`` and ``tools/test.py`` that
ship inside the mmaction2 wheel, stream their progress lines, and read back
what they wrote (last checkpoint, dumped predictions, test-loop timing).

Settings that hold paths reach the tools as a small child config written by
:func:`job_config`, not as ``--cfg-options``: mmengine's ``DictAction``
removes every space from a value, so a path with spaces would be lost.
"""
import glob
import json
import os
import os.path as osp
import subprocess
from typing import Dict

from off_plugins.safe_pickle import load_prediction_dump
from off_plugins.utils import atomic_write_text, shipped_file

PROGRESS_MARKS = ('Epoch(train)', 'Iter(test)', 'Error')


def toolbox_tool(name: str) -> str:
    """Path of a tool shipped inside the mmaction2 wheel (``.mim/tools/<name>``)."""
    try:
        path = shipped_file('mmaction', 'tools', name)
    except ModuleNotFoundError:
        raise SystemExit('mmaction2 is not installed: run bash tools/install.sh') from None
    if not osp.isfile(path):
        raise SystemExit(f'{path} is missing from the mmaction2 installation')
    return path


def run(cmd, log: str, cwd: str):
    """Run ``cmd`` in ``cwd``, log all output to ``log``, echo progress lines.

    Raises ``SystemExit`` naming the log when the command fails.
    """
    print('$ ' + ' '.join(cmd), flush=True)
    os.makedirs(osp.dirname(log), exist_ok=True)
    with open(log, 'w') as f:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            f.write(line)
            if any(mark in line for mark in PROGRESS_MARKS):
                print('  ' + line.rstrip()[-150:], flush=True)
        proc.wait()
    if proc.returncode:
        raise SystemExit(f'command failed ({proc.returncode}); see {log}')


def offmotion_data_settings(data_root: str,
                            modality: str = 'video') -> Dict[str, str]:
    """Dotted config keys pointing an offmotion config's dataloaders at
    ``data_root``, for :func:`job_config`.

    Args:
        data_root: the generated dataset (``make_motion_dataset``'s root);
            flow rawframes are under ``<data_root>/flow``.
        modality: ``'video'`` (RGB and RGB-diff configs, ``VideoDataset``) or
            ``'flow'`` (``RawframeDataset`` of the flow lists).
    """
    if modality not in ('video', 'flow'):
        raise ValueError(f"modality must be 'video' or 'flow', got {modality!r}")
    lists, key = ('videos', 'video') if modality == 'video' else ('flow', 'img')
    prefix = f'{data_root}/{lists}'
    settings = {}
    for loader, split in (('train', 'train'), ('val', 'val'), ('test', 'val')):
        settings[f'{loader}_dataloader.dataset.ann_file'] = (
            f'{data_root}/offmotion_{split}_list_{lists}.txt')
        settings[f'{loader}_dataloader.dataset.data_prefix.{key}'] = prefix
    return settings


def offmotion_data_options(data_root: str, modality: str = 'video') -> list:
    """:func:`offmotion_data_settings` as ``--cfg-options`` ``key=value``
    items (for paths without spaces; see :func:`job_config`)."""
    return [f'{key}={value}' for key, value in
            offmotion_data_settings(data_root, modality).items()]


def job_config(base: str, path: str, settings: Dict[str, object]) -> str:
    """Write a config at ``path`` that inherits ``base`` and sets ``settings``.

    Unlike ``--cfg-options``, values keep their spaces. The file is written
    atomically; its folder is created.

    Args:
        base: the config to inherit (made absolute).
        path: the ``.py`` file to write.
        settings: dotted keys (``'train_dataloader.dataset.ann_file'``,
            ``'load_from'``) -> Python literals (str, int, float, None, ...).

    Returns:
        ``path``.
    """
    if not path.endswith('.py'):
        raise ValueError(f'job config path must end with .py, got {path}')
    nested: Dict[str, object] = {}
    for dotted, value in settings.items():
        *parents, leaf = dotted.split('.')
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f'setting {dotted} conflicts with a value '
                                 f'set for {part}')
        node[leaf] = value
    lines = [f'_base_ = {osp.abspath(base)!r}']
    lines += [f'{key} = {value!r}' for key, value in nested.items()]
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    atomic_write_text(path, '\n'.join(lines) + '\n')
    return path


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint mmengine recorded last in ``work_dir``."""
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        raise SystemExit(f'{path} is missing: training in {work_dir} did not '
                         'save a checkpoint')
    with open(path) as f:
        return f.read().strip()


def test_summary(work_dir: str, dump: str) -> dict:
    """Top-1 from dumped predictions; seconds per clip from the test log.

    Returns ``dict(top1, clips, clips_per_s, seconds_per_clip, tool_top1)``;
    the timing is the test loop's mean iteration time (data and model, batch
    1) that mmengine logs in ``work_dir/<timestamp>/*.json``.
    """
    results = load_prediction_dump(dump)
    correct = sum(int(r['pred_label'].item() == r['gt_label'].item())
                  for r in results)
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.json')),
                  key=osp.getmtime)
    if not logs:
        raise SystemExit(f'no test log found under {work_dir}')
    with open(logs[-1]) as f:
        last = [json.loads(line) for line in f if line.strip()][-1]
    return dict(top1=correct / len(results), clips=len(results),
                clips_per_s=1.0 / last['time'], seconds_per_clip=last['time'],
                tool_top1=last.get('acc/top1'))
