"""Every paper-scale config, end to end at full size, on fake data in the real layout.

    python tools/smoke_fullsize.py [--work-dir work_dirs/smoke_fullsize]
        [--only PATTERN ...] [--jobs N] [--keep-checkpoints] [--list]

For each config matched by :data:`CONFIG_GLOBS` (UCF-101 / HMDB-51 TSN and
OFF, Kinetics-400 / Something-Something V2 TSM + OFF, ImageNet VID R-FCN, the
Vimeo-90K DnCNN rows; new configs in those folders are picked up):

1. **Data.** The datasets the config reads are recognised from its paths
   (``data/<dataset>/...``) and made, tiny, in their real on-disk layout by
   ``tools/data_tools/fake_datasets.py``: the download's folders and
   annotation files, then the documented preparation commands (MMAction2's
   ``build_file_list.py`` / ``build_rawframes.py``, ``tools/extract_flow.py``,
   ``tools/vid/ilsvrc_to_cocovid.py``, ``tools/restoration/compress_vimeo.py``).
   The forms made follow the config's dataset types (``VideoDataset``: videos;
   ``RawframeDataset``: rawframes, or flow for ``modality='Flow'``). Then
   every list entry the config would read is checked with the config's own
   ``ann_file`` / ``data_prefix`` / ``filename_tmpl`` / ``start_index``.
2. **Stage 1.** A config whose ``load_from`` names another config's work dir
   (``work_dirs/<config>/...``) gets that config's checkpoint from this run;
   one that names a released checkpoint (a URL) gets it from the toolbox
   config of that name (``mmaction::recognition/tsm/<name>.py``), trained
   here for 2 iterations on the same fake data (train only).
3. **Train, then test,** with the tools the configs' READMEs give users:
   MMAction2's and MMDetection's own ``tools/{train,test}.py`` (from their
   wheels) for their configs, this repository's ``tools/{train,test}.py`` for
   the restoration configs and for a toolbox's stock config (stage 1 above),
   which does not import ``off_plugins`` and so lacks the compatibility fix
   MMAction2 1.2.0's tools need (README). The config file is used as
   shipped; ``--cfg-options`` change only:

   * data paths: ``data_root``, or ``ann_file`` and ``data_prefix`` of each
     dataset (``ConcatDataset`` members included), and an evaluator's
     ``ann_file``, each ``<fake>/<the config's relative path>``;
   * ``load_from`` (the stage-1 checkpoint of step 2);
   * downloads off: a backbone's ``pretrained`` URL -> ``None`` (with
     ``pretrained2d=False`` beside it, which only means "load a 2-D
     checkpoint"), an ``init_cfg`` of type ``Pretrained`` -> ``None``;
   * ``batch_size=1``, ``num_workers=0``, ``persistent_workers=False`` in
     the three dataloaders;
   * the length of training: ``train_cfg.max_iters=2`` for an
     ``IterBasedTrainLoop``; ``train_cfg.max_epochs=1`` for an
     ``EpochBasedTrainLoop``, whose fake training split holds exactly two
     samples, so one epoch is two iterations. Both loops validate after
     their last iteration, so the val pipeline runs too; no other schedule
     setting changes.

   Input size, segments, crops, test views, model and losses stay as
   shipped. The test tool then runs on the fake test split (one video, two
   VID frames or one septuplet) with the checkpoint training wrote.
   Checkpoints are deleted after the test unless another run needs them
   (``--keep-checkpoints`` keeps all).

Configs whose resolved runner settings (model, pipelines, loops, hooks,
optimizer, ...) are identical once data paths, ``load_from`` (replaced by the
stage-1 config's own fingerprint) and ``work_dir`` are left out share one run,
e.g. the three splits of a dataset, or JPEG2000 q20 and q40; each such config
is still data-checked against its own paths, and the table names the run
that covered it.

The table gives per config: OK or the error (the last line the tool printed),
seconds of the second training iteration (mmengine's ``IterTimerHook``, data
included, read from the checkpoint's message hub; the first also holds
one-off setup), the test loop's mean seconds per sample, and, of the train
and the test process, the peak resident memory and the CPU time
(``ru_maxrss``, ``ru_utime + ru_stime`` from ``wait4``; start-up included).
Wall times depend on what else the machine runs; CPU time much less. With
``--jobs N`` runs overlap, each with ``OMP_NUM_THREADS`` = cores / N; time
iterations with ``--jobs 1``.

Resumable: each config's result is ``WORK_DIR/results/<config>.json``,
written atomically last; a rerun skips configs whose result holds the same
fingerprint and redoes any other from a clean run folder. Exit status 1 if
a row is not OK.
"""
import argparse
import fnmatch
import glob
import hashlib
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

CONFIG_GLOBS = (
    'configs/off_tsn/*ucf101*.py',
    'configs/off_tsn/*hmdb51*.py',
    'configs/off_tsm/*.py',
    'configs/rfcn_off/*_imagenetvid.py',
    'configs/dncnn_off/*.py',
)
# the settings mmengine's Runner (and the tools' wrappers) read
RUNNER_KEYS = ('model', 'model_wrapper_cfg', 'custom_imports', 'default_scope',
               'train_dataloader', 'val_dataloader', 'test_dataloader',
               'train_cfg', 'val_cfg', 'test_cfg', 'val_evaluator',
               'test_evaluator', 'optim_wrapper', 'param_scheduler',
               'default_hooks', 'custom_hooks', 'env_cfg', 'randomness',
               'auto_scale_lr', 'log_processor', 'log_level', 'visualizer',
               'resume', 'runner_type', 'launcher', 'data_preprocessor')
# left out of the fingerprint at any depth (where the data is, not what runs)
PATH_KEYS = ('ann_file', 'data_root', 'data_prefix', 'load_from', 'work_dir')
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
EVALUATORS = ('val_evaluator', 'test_evaluator')
TRAIN_ITERS = 2
WORK_DIR_LOAD = re.compile(r'^(?:\./)?work_dirs/([^/]+)/')
TIMEOUT_S = 3600


@dataclass
class DatasetRef:
    """One dataset of a config: its key and what it reads."""
    key: str  # e.g. 'train_dataloader.dataset.datasets.0'
    type: str
    dataset: str  # the data/<dataset> it lives in
    ann_file: str
    data_root: str
    data_prefix: Dict[str, str]
    modality: str = 'RGB'
    filename_tmpl: str = 'img_{:05}.jpg'
    start_index: int = 1

    @property
    def form(self) -> Optional[str]:
        """The recognition form it needs (videos, rawframes, flow)."""
        if self.type == 'VideoDataset':
            return 'videos'
        if self.type == 'RawframeDataset':
            return 'flow' if self.modality == 'Flow' else 'rawframes'
        return None


@dataclass
class Plan:
    """What the smoke does with one config."""
    name: str
    path: str
    toolbox: str  # default scope: 'mmaction', 'mmdet' or 'project'
    tools: str = 'project'  # whose tools/{train,test}.py run it
    fingerprint: str = ''
    datasets: List[DatasetRef] = field(default_factory=list)
    evaluator_files: Dict[str, str] = field(default_factory=dict)
    options: Dict[str, object] = field(default_factory=dict)
    stage1: Optional[str] = None  # plan name giving load_from
    error: Optional[str] = None

    @property
    def display(self) -> str:
        """The config as users name it: a path in this repository, or
        ``mmaction::<path>`` for a toolbox's own config."""
        if '/.mim/configs/' in self.path:
            return f'{self.toolbox}::{self.path.split("/.mim/configs/", 1)[1]}'
        if self.path.startswith(REPO + os.sep):
            return osp.relpath(self.path, REPO)
        return self.path


# ---------------------------------------------------------------- planning
def find_configs() -> List[str]:
    found = set()
    for pattern in CONFIG_GLOBS:
        found.update(glob.glob(osp.join(REPO, pattern)))
    return sorted(found)


def data_dataset_name(path: str) -> Optional[str]:
    """``data/<name>/...`` -> name."""
    parts = osp.normpath(path).split(os.sep)
    for i, part in enumerate(parts[:-1]):
        if part == 'data':
            return parts[i + 1]
    return None


def dataset_refs(cfg) -> List[DatasetRef]:
    refs = []

    def visit(key: str, ds) -> None:
        if ds is None:
            return
        if ds.get('type') == 'ConcatDataset':
            for i, sub in enumerate(ds['datasets']):
                visit(f'{key}.datasets.{i}', sub)
            return
        root = ds.get('data_root') or ''
        ann = ds.get('ann_file') or ''
        name = data_dataset_name(root or ann)
        if name is None:
            raise ValueError(f'{key}: cannot tell the dataset from data_root '
                             f'{root!r} / ann_file {ann!r} (expected '
                             'data/<dataset>/...)')
        refs.append(
            DatasetRef(
                key=key,
                type=ds.get('type', ''),
                dataset=name,
                ann_file=ann,
                data_root=root,
                data_prefix=dict(ds.get('data_prefix') or {}),
                modality=ds.get('modality', 'RGB'),
                filename_tmpl=ds.get('filename_tmpl', 'img_{:05}.jpg'),
                start_index=ds.get('start_index', 1)))

    for loader in DATALOADERS:
        if cfg.get(loader):
            visit(f'{loader}.dataset', cfg[loader].get('dataset'))
    return refs


def strip_paths(node):
    if isinstance(node, dict):
        return {
            k: strip_paths(v)
            for k, v in node.items() if k not in PATH_KEYS
        }
    if isinstance(node, (list, tuple)):
        return [strip_paths(v) for v in node]
    return node


def fingerprint(cfg, stage1_fingerprint: str = '') -> str:
    """sha1 of the runner settings minus paths, plus the stage-1 fingerprint."""
    settings = {
        k: strip_paths(cfg.to_dict()[k])
        for k in RUNNER_KEYS if k in cfg
    }
    text = json.dumps([settings, stage1_fingerprint],
                      sort_keys=True,
                      default=repr)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def argument_default(scope: str, type_name: str, argument: str):
    """The default of ``argument`` of the registered class ``type_name``
    (None if the class or the argument is unknown)."""
    import inspect
    from mmengine.registry import MODELS
    try:
        cls = MODELS.get(f'{scope}.{type_name}' if scope else type_name)
        parameter = inspect.signature(cls).parameters.get(argument)
    except (KeyError, TypeError, ValueError):
        return None
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return None
    return parameter.default


def download_options(node, prefix: str, scope: str = '') -> Dict[str, object]:
    """Options switching off pretrained-weight downloads under ``node``.

    A ``pretrained`` string becomes None; ``pretrained2d`` (MMAction2's "the
    checkpoint is a 2-D one", True by default in ``ResNetTSM``) becomes False
    beside it, set or defaulted; an ``init_cfg`` of type ``Pretrained``
    becomes None.
    """
    options = {}
    if isinstance(node, dict):
        if isinstance(node.get('pretrained'), str):
            options[f'{prefix}.pretrained'] = None
            if node.get(
                    'pretrained2d',
                    argument_default(scope, node.get('type', ''),
                                     'pretrained2d')):
                options[f'{prefix}.pretrained2d'] = False
        init = node.get('init_cfg')
        inits = init if isinstance(init, (list, tuple)) else [init]
        if any(
                isinstance(i, dict) and i.get('type') == 'Pretrained'
                for i in inits):
            options[f'{prefix}.init_cfg'] = None
        for k, v in node.items():
            if k != 'init_cfg':
                options.update(download_options(v, f'{prefix}.{k}', scope))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            options.update(download_options(v, f'{prefix}.{i}', scope))
    return options


def loop_options(cfg) -> Dict[str, object]:
    """Training cut to :data:`TRAIN_ITERS` iterations (an epoch-based loop
    runs one epoch of the 2-sample fake training split)."""
    train_cfg = cfg.get('train_cfg') or {}
    kind = train_cfg.get('type', '')
    if kind == 'IterBasedTrainLoop' or (not kind and 'max_iters' in train_cfg):
        return {'train_cfg.max_iters': TRAIN_ITERS}
    if kind == 'EpochBasedTrainLoop' or (not kind
                                         and 'max_epochs' in train_cfg):
        return {'train_cfg.max_epochs': 1}
    raise ValueError(f'train_cfg type {kind!r}: cannot cut it to '
                     f'{TRAIN_ITERS} iterations')


def fake_path(fake_root: str, rel: str) -> str:
    return rel if osp.isabs(rel) else osp.join(fake_root, rel)


def data_options(plan: Plan, fake_root: str) -> Dict[str, object]:
    options = {}
    for ref in plan.datasets:
        if ref.data_root:
            options[f'{ref.key}.data_root'] = fake_path(
                fake_root, ref.data_root)
            continue
        options[f'{ref.key}.ann_file'] = fake_path(fake_root, ref.ann_file)
        for k, v in ref.data_prefix.items():
            if v:
                options[f'{ref.key}.data_prefix.{k}'] = fake_path(fake_root, v)
    for key, rel in plan.evaluator_files.items():
        options[key] = fake_path(fake_root, rel)
    return options


def evaluator_files(cfg) -> Dict[str, str]:
    files = {}
    for key in EVALUATORS:
        ev = cfg.get(key)
        items = ev if isinstance(ev, (list, tuple)) else [ev]
        for i, item in enumerate(items):
            if isinstance(item, dict) and item.get('ann_file'):
                sub = key if not isinstance(ev,
                                            (list, tuple)) else f'{key}.{i}'
                files[f'{sub}.ann_file'] = item['ann_file']
    return files


def tools_for(cfg, toolbox: str) -> str:
    """The toolbox's own tools for a config that imports ``off_plugins``
    (whose compatibility fixes the pinned toolboxes need, README); this
    repository's launchers, which import it first, for any other config (a
    toolbox's stock config: MMAction2 1.2.0's tools cannot import
    ``mmaction.models`` without the fix)."""
    imports = (cfg.get('custom_imports') or {}).get('imports', [])
    if toolbox != 'project' and any(
            m.split('.')[0] == 'off_plugins' for m in imports):
        return toolbox
    return 'project'


def toolbox_config(toolbox: str, name: str) -> Optional[str]:
    """The toolbox's own config ``<name>.py`` (from its wheel)."""
    from off_plugins.utils import shipped_file
    hits = glob.glob(
        osp.join(shipped_file(toolbox, 'configs'), '**', f'{name}.py'),
        recursive=True)
    return hits[0] if hits else None


def make_plan(path: str, shipped: Dict[str, str], plans: Dict[str,
                                                              Plan]) -> Plan:
    """Plan ``path`` (and, first, the stage-1 config its ``load_from`` names)."""
    from mmengine.config import Config
    name = osp.splitext(osp.basename(path))[0]
    if name in plans:
        return plans[name]
    plan = Plan(name=name, path=path, toolbox='project')
    plans[name] = plan
    try:
        cfg = Config.fromfile(path)
        scope = cfg.get('default_scope')
        plan.toolbox = scope if scope in ('mmaction', 'mmdet') else 'project'
        plan.tools = tools_for(cfg, plan.toolbox)
        plan.datasets = dataset_refs(cfg)
        plan.evaluator_files = evaluator_files(cfg)
        options = download_options(
            cfg.get('model'), 'model',
            scope if plan.toolbox != 'project' else '')
        for loader in DATALOADERS:
            if cfg.get(loader):
                options.update({
                    f'{loader}.batch_size': 1,
                    f'{loader}.num_workers': 0,
                    f'{loader}.persistent_workers': False
                })
        options.update(loop_options(cfg))
        plan.options = options
        stage1_fp = ''
        load_from = cfg.get('load_from')
        if load_from:
            plan.stage1, stage1_fp = plan_stage1(plan, load_from, shipped,
                                                 plans)
        plan.fingerprint = fingerprint(cfg, stage1_fp)
    except Exception as err:  # reported in the row
        plan.error = f'{type(err).__name__}: {err}'.splitlines()[0]
    return plan


def plan_stage1(plan: Plan, load_from: str, shipped: Dict[str, str],
                plans: Dict[str, Plan]) -> Tuple[str, str]:
    """(stage-1 plan name, its fingerprint) for ``load_from``."""
    match = WORK_DIR_LOAD.match(load_from)
    if match and match.group(1) in shipped:
        stage1 = make_plan(shipped[match.group(1)], shipped, plans)
    elif '://' in load_from:
        name = osp.basename(osp.dirname(load_from))
        found = toolbox_config(plan.toolbox, name)
        if found is None:
            raise ValueError(f'load_from {load_from}: no {plan.toolbox} '
                             f'config {name}.py to make the checkpoint with')
        stage1 = make_plan(found, shipped, plans)
    else:
        raise ValueError(f'load_from {load_from}: names neither a config of '
                         'this repository (work_dirs/<config>/...) nor a '
                         'released checkpoint')
    if stage1.error:
        raise ValueError(f'stage 1 {stage1.name}: {stage1.error}')
    return stage1.name, stage1.fingerprint


# ---------------------------------------------------------------- data
def data_needs(plans: Sequence[Plan]) -> Dict[str, Set[str]]:
    needs: Dict[str, Set[str]] = {}
    for plan in plans:
        for ref in plan.datasets:
            forms = needs.setdefault(ref.dataset, set())
            if ref.form:
                forms.add(ref.form)
    return needs


def check_data(plan: Plan, fake_root: str) -> List[str]:
    """Problems with the fake data as this config reads it (empty: none)."""
    problems = []

    def need(path: str, what: str, kind=osp.exists) -> bool:
        if not kind(path):
            problems.append(f'{plan.name}: {what} {path} is missing')
            return False
        return True

    for ref in plan.datasets:
        root = fake_path(fake_root, ref.data_root) if ref.data_root else ''
        ann = (
            osp.join(root, ref.ann_file) if root else fake_path(
                fake_root, ref.ann_file))
        prefixes = {
            k: (osp.join(root, v) if root else fake_path(fake_root, v))
            for k, v in ref.data_prefix.items()
        }
        if not need(ann, f'{ref.key}.ann_file', osp.isfile):
            continue
        for k, prefix in prefixes.items():
            need(prefix, f'{ref.key}.data_prefix.{k}', osp.isdir)
        if ref.type in ('VideoDataset', 'RawframeDataset'):
            with open(ann) as f:
                lines = [line.split() for line in f if line.strip()]
            if not lines:
                problems.append(f'{plan.name}: {ann} lists nothing')
            prefix = prefixes.get(
                'video' if ref.type == 'VideoDataset' else 'img', '')
            for items in lines:
                entry = osp.join(prefix, items[0])
                if ref.type == 'VideoDataset':
                    need(entry, 'video', osp.isfile)
                    continue
                total = int(items[1])
                for idx in (ref.start_index, ref.start_index + total - 1):
                    names = ([ref.filename_tmpl.format(d, idx)
                              for d in 'xy'] if ref.modality == 'Flow' else
                             [ref.filename_tmpl.format(idx)])
                    for n in names:
                        need(osp.join(entry, n), 'frame', osp.isfile)
        elif ref.type == 'ImagenetVIDDataset':
            with open(ann) as f:
                images = json.load(f)['images']
            for image in images:
                need(
                    osp.join(
                        prefixes.get('img_path', root), image['file_name']),
                    'frame', osp.isfile)
        elif ref.type == 'Vimeo90KSeptupletDataset':
            with open(ann) as f:
                clips = [line.strip() for line in f if line.strip()]
            for clip in clips:
                for k, prefix in prefixes.items():
                    need(
                        osp.join(prefix, clip, 'im4.png'), f'{k} frame',
                        osp.isfile)
    for key, rel in plan.evaluator_files.items():
        need(fake_path(fake_root, rel), key, osp.isfile)
    return problems


# ---------------------------------------------------------------- running
def tool_path(toolbox: str, name: str) -> str:
    from off_plugins.utils import shipped_file
    if toolbox == 'project':
        return osp.join(REPO, 'tools', name)
    return shipped_file(toolbox, 'tools', name)


def cfg_option_args(options: Dict[str, object]) -> List[str]:
    args = []
    for key, value in options.items():
        text = 'None' if value is None else str(value)
        if any(c.isspace() for c in text):
            raise ValueError(f'--cfg-options drop spaces: {key}={text!r} '
                             '(choose a --work-dir without spaces)')
        args.append(f'{key}={text}')
    return args


ERROR_LINE = re.compile(r'^[\w.]*(Error|Exception|Interrupt)\b|^SystemExit')


def last_error_line(log: str) -> str:
    with open(log, errors='replace') as f:
        lines = [line.rstrip() for line in f if line.strip()]
    for line in reversed(lines[-200:]):
        if ERROR_LINE.match(line):
            return line
    return lines[-1] if lines else '(no output)'


def die_with_parent() -> None:
    """``preexec_fn``: on Linux the child gets SIGKILL when the smoke tool
    dies, so a killed smoke leaves no run writing into its folders."""
    import ctypes
    import signal
    try:
        ctypes.CDLL(
            None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_command(cmd: List[str],
                log: str,
                timeout: float = TIMEOUT_S,
                threads: Optional[int] = None) -> dict:
    """Run ``cmd`` from the repository root; its output goes to ``log``.

    ``threads`` sets ``OMP_NUM_THREADS`` unless the environment has it.
    Returns ``dict(ok, seconds, cpu_seconds, max_rss_gib, error)``; CPU time
    and peak RSS are the child's own (``wait4``: ``ru_utime + ru_stime``,
    ``ru_maxrss``).
    """
    env = dict(os.environ)
    if threads is not None:
        env.setdefault('OMP_NUM_THREADS', str(threads))
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
    start = time.time()
    with open(log, 'w') as f:
        f.write('$ ' + ' '.join(cmd) + '\n')
        f.flush()
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=f,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.time() - start
    result = dict(
        ok=proc.returncode == 0,
        seconds=round(seconds, 1),
        cpu_seconds=round(usage.ru_utime + usage.ru_stime, 1),
        max_rss_gib=round(usage.ru_maxrss / 2**20, 2),
        error=None)
    if proc.returncode:
        result['error'] = (f'timed out after {timeout:.0f} s'
                           if seconds >= timeout else last_error_line(log))
    return result


def train_iteration_times(checkpoint: str) -> Tuple[int, List[float]]:
    """(iterations run, seconds of each) from the checkpoint's message hub."""
    import torch
    import off_plugins  # noqa: F401  (safe loading of mmengine checkpoints)
    ckpt = torch.load(checkpoint, map_location='cpu', weights_only=True)
    buffer = ckpt['message_hub']['log_scalars']['train/time']
    times = [round(float(t), 3) for t in buffer._log_history]
    return int(ckpt['meta']['iter']), times


def test_seconds_per_sample(work_dir: str) -> Optional[float]:
    logs = sorted(
        glob.glob(osp.join(work_dir, '*', '*.json')), key=osp.getmtime)
    if not logs:
        return None
    with open(logs[-1]) as f:
        last = [json.loads(line) for line in f if line.strip()][-1]
    return round(last['time'], 3) if 'time' in last else None


def atomic_json(path: str, content: dict) -> None:
    from off_plugins.utils import atomic_write_text
    os.makedirs(osp.dirname(path), exist_ok=True)
    atomic_write_text(path, json.dumps(content, indent=1))


class Smoke:
    """Runs the plans; each run's result is a json file under ``results/``."""

    def __init__(self, work_dir: str, jobs: int = 1):
        self.work_dir = work_dir
        # runs side by side share the cores
        self.threads = (None if jobs == 1 else max(1, (os.cpu_count() or 1) //
                                                   jobs))
        self.fake_root = osp.join(work_dir, 'fake')
        self.lock = threading.Lock()

    def result_path(self, name: str) -> str:
        return osp.join(self.work_dir, 'results', f'{name}.json')

    def cached(self, plan: Plan, keep: bool,
               train_only: bool) -> Optional[dict]:
        """The earlier passing result of the same run, if it still serves."""
        path = self.result_path(plan.name)
        if not osp.isfile(path):
            return None
        with open(path) as f:
            result = json.load(f)
        if result.get('fingerprint') != plan.fingerprint or not result['ok']:
            return None
        if not train_only and not result.get('test'):
            return None
        if keep and not (result.get('checkpoint')
                         and osp.isfile(result['checkpoint'])):
            return None  # a later run needs the checkpoint
        return result

    def log(self, msg: str) -> None:
        with self.lock:
            print(msg, flush=True)

    def run(self, plan: Plan, stage1: Optional[dict], keep: bool,
            train_only: bool) -> dict:
        """Train (and test) ``plan``; its result dict, also written."""
        cached = self.cached(plan, keep, train_only)
        if cached is not None:
            self.log(f'[{plan.name}] OK earlier, not rerun')
            return cached
        result = dict(
            config=plan.display,
            name=plan.name,
            fingerprint=plan.fingerprint,
            ok=False,
            error=None,
            train=None,
            test=None,
            checkpoint=None,
            iteration_seconds=None,
            test_seconds_per_sample=None)
        run_dir = osp.join(self.work_dir, 'runs', plan.name)
        if osp.isdir(run_dir):
            shutil.rmtree(run_dir)
        os.makedirs(run_dir)
        start = time.time()
        try:
            self._run(plan, stage1, run_dir, keep, train_only, result)
        except Exception as err:  # the row says what went wrong
            result['error'] = f'{type(err).__name__}: {err}'.splitlines()[0]
        result['wall_seconds'] = round(time.time() - start, 1)
        atomic_json(self.result_path(plan.name), result)
        status = 'OK' if result['ok'] else f'FAILED: {result["error"]}'
        self.log(f'[{plan.name}] {status} ({result["wall_seconds"]} s)')
        return result

    def _run(self, plan: Plan, stage1: Optional[dict], run_dir: str,
             keep: bool, train_only: bool, result: dict) -> None:
        if plan.error:
            raise RuntimeError(plan.error)
        problems = check_data(plan, self.fake_root)
        if problems:
            raise RuntimeError(f'{problems[0]} ({len(problems)} problems)')
        options = dict(data_options(plan, self.fake_root), **plan.options)
        if plan.stage1:
            if not stage1 or not stage1['ok']:
                raise RuntimeError(f'stage 1 {plan.stage1} did not pass')
            options['load_from'] = stage1['checkpoint']
        args = cfg_option_args(options)
        self.log(f'[{plan.name}] training {TRAIN_ITERS} iterations')
        train = run_command([
            sys.executable,
            tool_path(plan.tools, 'train.py'), plan.path, '--work-dir',
            run_dir, '--cfg-options', *args
        ],
                            osp.join(run_dir, 'train.log'),
                            threads=self.threads)
        result['train'] = train
        if not train['ok']:
            raise RuntimeError(f'train: {train["error"]}')
        with open(osp.join(run_dir, 'last_checkpoint')) as f:
            checkpoint = f.read().strip()
        iters, times = train_iteration_times(checkpoint)
        result['iteration_seconds'] = times
        if iters != TRAIN_ITERS:
            raise RuntimeError(f'training ran {iters} iterations, not '
                               f'{TRAIN_ITERS}')
        if not train_only:
            self.log(f'[{plan.name}] testing')
            test_dir = osp.join(run_dir, 'test')
            test_args = cfg_option_args({
                k: v
                for k, v in options.items() if k != 'load_from'
            })
            test = run_command([
                sys.executable,
                tool_path(plan.tools, 'test.py'), plan.path, checkpoint,
                '--work-dir', test_dir, '--cfg-options', *test_args
            ],
                               osp.join(run_dir, 'test.log'),
                               threads=self.threads)
            result['test'] = test
            if not test['ok']:
                raise RuntimeError(f'test: {test["error"]}')
            result['test_seconds_per_sample'] = test_seconds_per_sample(
                test_dir)
        if keep:
            result['checkpoint'] = checkpoint
        else:
            for ckpt in glob.glob(osp.join(run_dir, '*.pth')):
                os.remove(ckpt)
        result['ok'] = True


# ---------------------------------------------------------------- table
def fmt(value, spec: str = '.2f') -> str:
    return '-' if value is None else format(value, spec)


def table_row(config: str, run: str, result: dict, note: str = '') -> str:
    if result['ok']:
        status = 'OK' + (f' ({note})' if note else '')
    else:
        status = 'FAILED: ' + str(result['error']).replace('|', '\\|')
    times = result.get('iteration_seconds') or []

    def both(key: str, spec: str) -> str:
        values = [
            result[k].get(key) for k in ('train', 'test') if result.get(k)
        ]
        return ' / '.join(fmt(v, spec) for v in values) if values else '-'

    return (f'| {config} | {run} | {status} | '
            f'{fmt(times[-1] if times else None)} | '
            f'{fmt(result.get("test_seconds_per_sample"))} | '
            f'{both("max_rss_gib", ".2f")} | {both("cpu_seconds", ".0f")} | '
            f'{fmt(result.get("wall_seconds"), ".0f")} |')


TABLE_HEAD = ('| config | run | result | train s/iter | test s/sample | '
              'peak RSS GiB (train / test) | CPU s (train / test) | wall s |\n'
              '| --- | --- | --- | --- | --- | --- | --- | --- |')


# ---------------------------------------------------------------- main
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'configs',
        nargs='*',
        metavar='CONFIG',
        help='config files to check instead of the shipped '
        'paper-scale ones (CONFIG_GLOBS)')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/smoke_fullsize',
        help='runs, fake data, results and the table')
    parser.add_argument(
        '--only',
        nargs='+',
        metavar='PATTERN',
        help='configs whose name matches a pattern (fnmatch, '
        'or a substring); their stage-1 configs run too')
    parser.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='runs at a time (default 1; time with 1)')
    parser.add_argument('--keep-checkpoints', action='store_true')
    parser.add_argument(
        '--flow-method',
        default='farneback',
        choices=('farneback', 'tvl1'),
        help='tools/extract_flow.py --method for flow data')
    parser.add_argument(
        '--list',
        action='store_true',
        help='print the plan (runs and what they cover), '
        'run nothing')
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f'--jobs must be >= 1, got {args.jobs}')
    return args


def plan_runs(
    rows: Sequence[Plan],
    plans: Dict[str,
                Plan]) -> Tuple[Dict[str, Plan], Dict[str, Plan], Set[str]]:
    """Which run covers which config.

    Returns:
        representative: config name -> the plan whose run covers it (the
            first config of its fingerprint; split 1 sorts first).
        runs: run name -> plan: the representatives, and each stage 1 they
            need (a stage-1 config not among the rows, e.g. a toolbox's
            config, runs training only).
        train_only: names of those stage-1-only runs.
    """
    groups: Dict[str, List[Plan]] = {}
    for plan in rows:
        key = plan.fingerprint if not plan.error else f'error:{plan.name}'
        groups.setdefault(key, []).append(plan)
    representative = {
        p.name: group[0]
        for group in groups.values()
        for p in group
    }
    runs = {rep.name: rep for rep in representative.values()}
    train_only = set()
    pending = list(runs.values())
    while pending:
        plan = pending.pop()
        if plan.stage1:
            parent = representative.get(plan.stage1, plans[plan.stage1])
            if parent.name not in runs:
                runs[parent.name] = parent
                train_only.add(parent.name)
                pending.append(parent)
    return representative, runs, train_only


def selected(path: str, patterns: Optional[Sequence[str]]) -> bool:
    """Whether the config file name matches a pattern (with or without .py)."""
    names = (osp.basename(path), osp.splitext(osp.basename(path))[0])
    return not patterns or any(
        fnmatch.fnmatch(n, p) or p in n for p in patterns for n in names)


def main(argv=None) -> int:
    args = parse_args(argv)
    warnings.filterwarnings('ignore', 'pkg_resources is deprecated')
    import off_plugins  # noqa: F401  (toolbox compatibility first)
    from data_tools.fake_datasets import make_dataset

    started, load_before = time.time(), os.getloadavg()[0]
    work_dir = osp.abspath(args.work_dir)
    paths = ([osp.abspath(c)
              for c in args.configs] if args.configs else find_configs())
    shipped = {
        osp.splitext(osp.basename(p))[0]: p
        for p in glob.glob(
            osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    }
    plans: Dict[str, Plan] = {}
    rows = [
        make_plan(p, shipped, plans) for p in paths if selected(p, args.only)
    ]
    if not rows:
        print(f'no config matches {args.only}', file=sys.stderr)
        return 2
    representative, runs, train_only = plan_runs(rows, plans)

    def stage1_run(plan: Plan) -> Optional[str]:
        """The run whose checkpoint ``plan`` loads."""
        return (representative.get(plan.stage1, plans[plan.stage1]).name
                if plan.stage1 else None)

    keep = set(runs) if args.keep_checkpoints else {
        stage1_run(plan)
        for plan in runs.values()
    } - {None}

    if args.list:
        for name, plan in runs.items():
            covers = [p.name for p in rows if representative[p.name] is plan]
            what = ('train only, for its checkpoint' if name in train_only else
                    f'covers {len(covers)}: ' + ', '.join(covers))
            print(f'{plan.display}: {what}' +
                  (f'; stage 1: {plan.stage1}' if plan.stage1 else ''))
        return 0

    fake_root = osp.join(work_dir, 'fake')
    needs = data_needs(list(runs.values()) + rows)
    data_errors = {}
    for dataset, forms in sorted(needs.items()):
        try:
            make_dataset(
                fake_root,
                dataset,
                sorted(forms),
                args.flow_method,
                log=lambda msg: print(msg, flush=True))
        except Exception as err:
            data_errors[dataset] = f'{type(err).__name__}: {err}'.splitlines(
            )[0]
    for plan in list(runs.values()) + rows:
        bad = [
            data_errors[r.dataset] for r in plan.datasets
            if r.dataset in data_errors
        ]
        if bad and not plan.error:
            plan.error = f'fake data: {bad[0]}'

    smoke = Smoke(work_dir, args.jobs)
    order: List[str] = []  # stage 1 before stage 2

    def visit(name: str) -> None:
        if name not in order:
            parent = stage1_run(runs[name])
            if parent:
                visit(parent)
            order.append(name)

    for name in runs:
        visit(name)
    futures = {}

    def execute(plan: Plan) -> dict:
        parent = stage1_run(plan)
        return smoke.run(plan, futures[parent].result() if parent else None,
                         plan.name in keep, plan.name in train_only)

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        # submitted in order, so a run waits only on runs already started
        for name in order:
            futures[name] = pool.submit(execute, runs[name])
        results = {name: future.result() for name, future in futures.items()}

    lines = [TABLE_HEAD]
    for name in [n for n in order if n in train_only]:
        lines.append(
            table_row(runs[name].display, 'stage 1 only', results[name],
                      'train only'))
    all_ok = all(results[n]['ok'] for n in train_only)
    for plan in rows:
        rep = representative[plan.name]
        result = dict(results[rep.name])
        note = ''
        if rep is not plan:
            problems = check_data(plan, fake_root)
            if problems:
                result = dict(result, ok=False, error=problems[0])
            note = 'run shared, data checked'
            result['wall_seconds'] = None
        all_ok &= result['ok']
        run_name = 'itself' if rep is plan else rep.name
        lines.append(table_row(plan.display, run_name, result, note))
        atomic_json(
            osp.join(work_dir, 'results', 'rows', f'{plan.name}.json'),
            dict(result, config=plan.display, run=run_name))
    minutes = (time.time() - started) / 60
    cpu = sum(result[k].get('cpu_seconds') or 0 for result in results.values()
              for k in ('train', 'test') if result.get(k))
    lines.append('')
    lines.append(f'{len(rows)} configs, {len(runs)} runs, '
                 f'{"all OK" if all_ok else "NOT all OK"}; '
                 f'{minutes:.1f} min wall (--jobs {args.jobs}), '
                 f'{cpu / 60:.1f} CPU-min in the runs\' train/test '
                 f'processes; load average {load_before:.2f} at the start, '
                 f'{os.getloadavg()[0]:.2f} at the end.')
    table = '\n'.join(lines)
    from off_plugins.utils import atomic_write_text
    atomic_write_text(osp.join(work_dir, 'table.md'), table + '\n')
    print(table)
    return 0 if all_ok else 1


if __name__ == '__main__':
    sys.exit(main())
