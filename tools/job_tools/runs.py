"""Helpers for the end-to-end jobs under ``tools/``: run MMAction2's own tools.

The jobs train and test with the ``tools/train.py`` and ``tools/test.py`` that
ship inside the mmaction2 wheel, stream their progress lines, and read back
what they wrote (last checkpoint, dumped predictions, test-loop timing).

Settings that hold paths reach the tools as a small child config written by
:func:`job_config`, not as ``--cfg-options``: mmengine's ``DictAction``
removes every space from a value, so a path with spaces would be lost.
"""
import glob
import hashlib
import json
import os
import os.path as osp
import subprocess
from typing import Dict, Optional, Tuple

from off_plugins.safe_pickle import load_prediction_dump
from off_plugins.utils import atomic_write_text, shipped_file

PROGRESS_MARKS = ('Epoch(train)', 'Iter(test)', 'Error')


def toolbox_tool(name: str) -> str:
    """Path of a tool shipped inside the mmaction2 wheel (``.mim/tools/<name>``)."""
    try:
        path = shipped_file('mmaction', 'tools', name)
    except ModuleNotFoundError:
        raise SystemExit(
            'mmaction2 is not installed: run bash tools/install.sh') from None
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
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True)
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
        raise ValueError(
            f"modality must be 'video' or 'flow', got {modality!r}")
    lists, key = ('videos', 'video') if modality == 'video' else ('flow',
                                                                  'img')
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
    return [
        f'{key}={value}'
        for key, value in offmotion_data_settings(data_root, modality).items()
    ]


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
    correct = sum(
        int(r['pred_label'].item() == r['gt_label'].item()) for r in results)
    logs = sorted(
        glob.glob(osp.join(work_dir, '*', '*.json')), key=osp.getmtime)
    if not logs:
        raise SystemExit(f'no test log found under {work_dir}')
    with open(logs[-1]) as f:
        last = [json.loads(line) for line in f if line.strip()][-1]
    return dict(
        top1=correct / len(results),
        clips=len(results),
        clips_per_s=1.0 / last['time'],
        seconds_per_clip=last['time'],
        tool_top1=last.get('acc/top1'))


# The main job's configs: stage 1 (TSN-R18) and stage 2 (+ OFF, frozen backbone).
OFFMOTION_STAGE1 = 'configs/off_tsn/tsn_r18_1xb16-1x1x4-8e_offmotion-rgb.py'
OFFMOTION_STAGE2 = ('configs/off_tsn/off-tsn_tsn-1x1x4-8e-pretrained-r18_'
                    '1xb16-1x1x4-25e_offmotion-rgb.py')
# model key: (name, OFF components of stage 2; None = stage 1 itself)
MOTION_MODELS = {
    'tsn': ('TSN', None),
    'hypercolumn': ('TSN + hypercolumn', 'none'),
    'off-t': ('TSN + OFF_T', 'temporal'),
    'off': ('TSN + OFF', 'full'),
}
# Table 2's RGB-difference stream, with the modalities job's configs: TSN on
# TSN's RGB-diff input (stage 1) and OFF(RGB Diff) on its frozen checkpoint.
OFFMOTION_DIFF_STAGE1 = (
    'configs/off_tsn/tsn_r18_1xb16-5x1x4-8e_offmotion-rgbdiff.py')
OFFMOTION_DIFF_STAGE2 = ('configs/off_tsn/off-tsn_tsn-5x1x4-8e-pretrained-'
                         'r18_1xb16-5x1x4-25e_offmotion-rgbdiff.py')
DIFF_MODELS = {
    'tsn-diff': ('TSN (RGB Diff)', None),
    'off-diff': ('TSN (RGB Diff) + OFF', 'full'),
}
ALL_MOTION_MODELS = {**MOTION_MODELS, **DIFF_MODELS}
# stage-1 model of a stream: (its config, its stage-2 config)
STREAM_CONFIGS = {
    'tsn': (OFFMOTION_STAGE1, OFFMOTION_STAGE2),
    'tsn-diff': (OFFMOTION_DIFF_STAGE1, OFFMOTION_DIFF_STAGE2),
}


def motion_stage1(model: str) -> str:
    """The stage-1 model (``'tsn'`` or ``'tsn-diff'``) that ``model``'s
    stream starts from; a stage-1 model is its own."""
    if model not in ALL_MOTION_MODELS:
        raise ValueError(f'unknown motion model {model!r}; known: '
                         f'{", ".join(ALL_MOTION_MODELS)}')
    return 'tsn-diff' if model in DIFF_MODELS else 'tsn'


def _loaded(config):
    """A config path, or an mmengine ``Config`` already read from one."""
    from mmengine.config import Config
    return config if isinstance(config, Config) else Config.fromfile(config)


def flipped_train_pipeline(config, classes) -> list:
    """``config``'s training pipeline with its ``Flip`` steps relabelled for
    a motion dataset of ``classes`` (``data_tools.motion.flip_label_map``);
    a flip that would make a motion outside ``classes`` is dropped.
    ``config``: a path or a loaded mmengine ``Config``."""
    from data_tools.motion import flip_label_map
    pipeline = _loaded(
        config).to_dict()['train_dataloader']['dataset']['pipeline']
    out = []
    for step in pipeline:
        if step['type'] == 'Flip':
            mapping = flip_label_map(classes, step['direction'])
            if mapping is None:
                continue
            step = dict(step, flip_label_map=mapping)
        out.append(step)
    return out


# the backbone strides by 32: a smaller frame leaves no last feature map
MIN_INPUT_SIZE = 32


def resized_pipelines(config, settings: Dict[str, object],
                      size: int) -> Dict[str, object]:
    """Settings that make every ``Resize`` of ``config``'s train, val and
    test pipelines (or of the pipelines ``settings`` already replaces) give
    ``size`` x ``size`` frames."""
    if not isinstance(size, int) or size < MIN_INPUT_SIZE:
        raise ValueError(f'input size must be an int >= {MIN_INPUT_SIZE} '
                         f'(the backbone strides by 32), got {size!r}')
    cfg = _loaded(config).to_dict()
    out = {}
    for split in ('train', 'val', 'test'):
        key = f'{split}_dataloader.dataset.pipeline'
        pipeline = settings.get(
            key) or cfg[f'{split}_dataloader']['dataset']['pipeline']
        if not any(step['type'] == 'Resize' for step in pipeline):
            raise ValueError(f'{split} pipeline has no Resize to set')
        out[key] = [
            dict(step, scale=(size, size), keep_ratio=False)
            if step['type'] == 'Resize' else step for step in pipeline
        ]
    return out


def recipe_fingerprint(base,
                       settings: Dict[str, object],
                       manifest: dict,
                       stage1_recipe=None) -> str:
    """SHA-256 of what decides a motion run's result: the resolved base
    config (a path or a loaded mmengine ``Config``), the run's settings, the
    dataset's manifest and, for stage 2, the fingerprint of the stage 1 it
    starts from."""
    material = json.dumps(
        dict(
            base=_loaded(base).pretty_text,
            settings=settings,
            manifest=manifest,
            stage1=stage1_recipe),
        sort_keys=True,
        default=repr)
    return hashlib.sha256(material.encode()).hexdigest()


def set_aside_other_recipe(work_dir: str, recipe: str, log=print) -> None:
    """Rename ``work_dir`` to ``<work_dir>.stale-<its fingerprint>`` when
    it was made with another recipe (another config, settings, dataset or
    stage 1), so that the run is redone instead of resumed or read back."""
    if not osp.isdir(work_dir) or not os.listdir(work_dir):
        return
    path = osp.join(work_dir, 'RECIPE')
    made = 'unknown'
    if osp.isfile(path):
        with open(path) as f:
            made = f.read().strip()
    if made == recipe:
        return
    stale = f'{work_dir}.stale-{made[:12]}'
    n = 1
    while osp.exists(stale):
        stale = f'{work_dir}.stale-{made[:12]}-{n}'
        n += 1
    log(f'{work_dir} was made with another recipe ({made[:12]}, now '
        f'{recipe[:12]}): moved to {stale}, redoing the run')
    os.replace(work_dir, stale)


def motion_job(repo: str,
               variant: str,
               seed: int,
               model: str,
               *,
               data_root: str,
               stage1: Optional[dict] = None,
               input_size: Optional[int] = None,
               log=print) -> Tuple[str, Dict[str, object], str]:
    """The config, settings and recipe fingerprint of one motion run.

    Args:
        stage1: the finished stage-1 result of the same variant and seed
            (its ``checkpoint`` and ``recipe``); needed by stage-2 models.
        input_size: the side of the frames the model sees; None keeps the
            configs' (64). Part of the fingerprint only when given.

    Returns:
        ``(base config path, settings for job_config, fingerprint)``.
    """
    from data_tools.motion import make_motion_dataset
    manifest = make_motion_dataset(
        osp.join(repo, data_root), variant=variant, log=log)
    num_classes = len(manifest['classes'])
    settings: Dict[str, object] = dict(offmotion_data_settings(data_root))
    settings['randomness.seed'] = seed
    settings['model.cls_head.num_classes'] = num_classes
    stage1_config, stage2_config = STREAM_CONFIGS[motion_stage1(model)]
    components = ALL_MOTION_MODELS[model][1]
    if components is None:
        base = osp.join(repo, stage1_config)
    else:
        if stage1 is None:
            raise ValueError(f'{model} is a stage-2 model: pass the stage-1 '
                             'result it starts from')
        base = osp.join(repo, stage2_config)
    cfg = _loaded(base)  # read once: the flips' maps and the fingerprint
    if components is not None:
        settings.update({
            'load_from':
            stage1['checkpoint'],
            'model.neck.num_classes':
            num_classes,
            'model.neck.components':
            components,
            'train_dataloader.dataset.pipeline':
            flipped_train_pipeline(cfg, manifest['classes'])
        })
    if input_size is not None:
        settings.update(resized_pipelines(cfg, settings, input_size))
    recipe = recipe_fingerprint(cfg, settings, manifest,
                                None if stage1 is None else stage1['recipe'])
    return base, settings, recipe


def current_result(repo: str,
                   variant: str,
                   seed: int,
                   model: str,
                   *,
                   data_root: str,
                   run_root: str,
                   input_size: Optional[int] = None,
                   cache: Optional[dict] = None) -> Optional[dict]:
    """The finished result of a motion run if it was made with today's
    recipe (and, for stage 2, on today's stage 1); None otherwise.

    ``cache``: a dict shared by the calls of one table, so that each run's
    answer (stage 1's, which every stage-2 model checks, above all) is
    worked out once; the caller drops it once the table is printed.
    """

    def check() -> Optional[dict]:
        path = osp.join(run_root, model, 'result.json')
        if not osp.isfile(path):
            return None
        with open(path) as f:
            result = json.load(f)
        stage1 = None
        if ALL_MOTION_MODELS[model][1] is not None:
            stage1 = current_result(
                repo,
                variant,
                seed,
                motion_stage1(model),
                data_root=data_root,
                run_root=run_root,
                input_size=input_size,
                cache=cache)
            if stage1 is None:
                return None
        recipe = motion_job(
            repo,
            variant,
            seed,
            model,
            data_root=data_root,
            stage1=stage1,
            input_size=input_size,
            log=lambda message: None)[2]
        return result if result.get('recipe') == recipe else None

    if cache is None:
        return check()
    key = (repo, variant, seed, model, data_root, run_root, input_size)
    if key not in cache:
        cache[key] = check()
    return cache[key]


def motion_run(repo: str,
               variant: str,
               seed: int,
               model: str,
               *,
               data_root: str,
               run_root: str,
               input_size: Optional[int] = None,
               log=print) -> dict:
    """Train (or resume) and test one model of the motion benchmark.

    ``run_root/<model>/`` is the training work dir; ``result.json`` there is
    written last, so a finished run is read back, not redone. A stage-2 model
    first runs (or reads) stage 1 of the same ``run_root``. A work dir made
    with another recipe (:func:`recipe_fingerprint`, kept in its ``RECIPE``
    file) is renamed aside and the run redone, so a changed config never
    reads back or resumes an old run.

    Args:
        repo: the repository root (the tools run there).
        variant: a name of ``data_tools.motion.VARIANTS``.
        seed: mmengine's ``randomness.seed`` for training.
        model: a key of :data:`ALL_MOTION_MODELS`.
        data_root: the variant's dataset, relative to ``repo`` (generated if
            absent).
        run_root: the folder of this variant and seed's runs.
        input_size: frame side of both stages (:func:`motion_job`).

    Returns:
        ``dict(variant, seed, model, top1 (%), clips, clips_per_s,
        num_classes, checkpoint, recipe, seconds)``.
    """
    import sys
    import time

    work_dir = osp.join(run_root, model)
    out = osp.join(work_dir, 'result.json')
    name, components = ALL_MOTION_MODELS[model]
    stage1 = None
    if components is not None:
        stage1 = motion_run(
            repo,
            variant,
            seed,
            motion_stage1(model),
            data_root=data_root,
            run_root=run_root,
            input_size=input_size,
            log=log)
    base, settings, recipe = motion_job(
        repo,
        variant,
        seed,
        model,
        data_root=data_root,
        stage1=stage1,
        input_size=input_size,
        log=log)
    set_aside_other_recipe(work_dir, recipe, log)
    if osp.isfile(out):
        with open(out) as f:
            return json.load(f)
    os.makedirs(work_dir, exist_ok=True)
    atomic_write_text(osp.join(work_dir, 'RECIPE'), recipe + '\n')
    config = job_config(base, osp.join(work_dir, 'job_config.py'), settings)
    py = sys.executable
    done = osp.join(work_dir, 'TRAINED')
    start = time.time()
    if not osp.isfile(done):
        log(f'[{variant} seed {seed}] train {name}')
        # MMAction2's train.py drops load_from under --resume: resume only
        # where this run already saved a checkpoint.
        resume = (['--resume'] if osp.isfile(
            osp.join(work_dir, 'last_checkpoint')) else [])
        run([
            py,
            toolbox_tool('train.py'), config, '--work-dir', work_dir, *resume
        ],
            osp.join(run_root, f'{model}_train.log'),
            cwd=repo)
        atomic_write_text(done, last_checkpoint(work_dir) + '\n')
    with open(done) as f:
        checkpoint = f.read().strip()
    log(f'[{variant} seed {seed}] test {name}')
    test_dir = osp.join(work_dir, 'test')
    dump = osp.join(test_dir, 'predictions.pkl')
    run([
        py,
        toolbox_tool('test.py'), config, checkpoint, '--work-dir', test_dir,
        '--dump', dump
    ],
        osp.join(run_root, f'{model}_test.log'),
        cwd=repo)
    summary = test_summary(test_dir, dump)
    result = dict(
        variant=variant,
        seed=seed,
        model=model,
        top1=100 * summary['top1'],
        clips=summary['clips'],
        clips_per_s=summary['clips_per_s'],
        num_classes=settings['model.cls_head.num_classes'],
        checkpoint=checkpoint,
        recipe=recipe,
        seconds=round(time.time() - start, 1))
    atomic_write_text(out, json.dumps(result, indent=1))
    return result
