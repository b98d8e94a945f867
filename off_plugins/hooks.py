"""Training hooks that keep a run's progress safe across a kill and a resume.

Registered in mmengine's root ``HOOKS`` registry, so every toolbox scope
(``mmaction``, ``mmdet``, ``off_plugins``) finds them by name::

    default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook', ...))
    custom_hooks = [dict(type='RandomStateHook'),
                    dict(type='CheckpointCoverageHook', required=('backbone.', ))]

``AtomicCheckpointHook`` is mmengine's ``CheckpointHook`` with an order of
operations that a SIGKILL at any moment cannot turn into lost work: the new
checkpoint is written to a temporary file and renamed into place, then
``last_checkpoint`` is updated (also by rename), and only then are checkpoints
beyond ``max_keep_ckpts`` (and a superseded best checkpoint) removed. At any
instant the work dir holds a complete checkpoint that ``last_checkpoint``
names.

``CheckpointCoverageHook`` refuses to train when the weights a config
needs from a checkpoint (the frozen stage-1 backbone of a stage-2 OFF run)
were not loaded, or were loaded from a checkpoint that lacks them or holds
them with other shapes (another architecture or modality); and refuses to test
a model that the checkpoint does not cover entirely.

``RandomStateHook`` stores the random generators' states (Python, numpy,
torch, CUDA) in each checkpoint and restores them on ``--resume``, so a
resumed run draws the same sampling offsets, augmentations and dropout masks
as the uninterrupted run and ends with the same weights.
"""
import glob
import os
import os.path as osp
import random
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook, Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS
from mmengine.runner import find_latest_checkpoint
from off_plugins.utils import atomic_write_text

TMP_TAG = '.tmp-'


def _fsync_dir(path: str) -> None:
    """Flush a directory entry (the rename) to disk; a no-op where a
    directory cannot be opened (Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` whose saves survive a kill at any moment.

    Takes ``CheckpointHook``'s arguments. Only local checkpoint folders are
    supported (a rename is atomic there); ``out_dir`` on another backend is
    refused at the start of training.

    Order of one save: write ``<name>.tmp-<pid>`` and fsync it, rename it to
    ``<name>``, write ``last_checkpoint`` the same way, then delete what is
    out of ``max_keep_ckpts`` (or the superseded best checkpoint). Leftover
    temporary files of a killed save are deleted at the next start.
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if not isinstance(self.file_backend, LocalBackend):
            raise ValueError(
                f'AtomicCheckpointHook writes checkpoints by rename, which '
                f'needs a local folder; out_dir {self.out_dir!r} is on '
                f'{type(self.file_backend).__name__}')
        if is_main_process():
            for leftover in glob.glob(
                    osp.join(glob.escape(self.out_dir), f'*{TMP_TAG}*')):
                runner.logger.info(
                    f'Removing {leftover}, an incomplete checkpoint of an '
                    'interrupted save')
                os.remove(leftover)

    def _write(self, runner, filename: str, **kwargs) -> None:
        """``runner.save_checkpoint(out_dir, filename, ...)`` as a temporary
        file renamed into place."""
        # The class's method: during a best-checkpoint save the instance's
        # ``save_checkpoint`` is this method's own redirect.
        save = type(runner).save_checkpoint
        if not is_main_process():
            save(runner, self.out_dir, filename, **kwargs)
            return
        tmp_name = f'{filename}{TMP_TAG}{os.getpid()}'
        save(runner, self.out_dir, tmp_name, **kwargs)
        tmp_path = osp.join(self.out_dir, tmp_name)
        with open(tmp_path, 'rb+') as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, osp.join(self.out_dir, filename))
        _fsync_dir(self.out_dir)

    def _remove(self, path: str) -> None:
        """Delete an outdated checkpoint (file or folder), if it exists."""
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            self.file_backend.rmtree(path)

    def _save_checkpoint_with_step(self, runner, step, meta):
        stale: List[str] = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                stale.append(
                    osp.join(
                        self.out_dir,
                        self.filename_tmpl.format(
                            self.keep_ckpt_ids.popleft())))
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        self._write(
            runner,
            ckpt_filename,
            file_client_args=self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        atomic_write_text(
            osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        for path in stale:
            self._remove(path)

    @contextmanager
    def _best_saves_atomic(self, runner) -> Iterator[List[str]]:
        """While ``CheckpointHook._save_best_checkpoint`` runs: its writes go
        through :meth:`_write` and its removals are collected, to be done
        once the new best checkpoint is complete."""
        removed: List[str] = []
        backend = self.file_backend

        def save(out_dir, filename, **kwargs):
            assert out_dir == self.out_dir, (out_dir, self.out_dir)
            self._write(runner, filename, **kwargs)

        runner.save_checkpoint = save
        backend.remove = removed.append
        backend.rmtree = removed.append
        try:
            yield removed
        finally:
            del runner.save_checkpoint  # the class's method again
            del backend.remove, backend.rmtree

    def _save_best_checkpoint(self, runner, metrics) -> None:
        with self._best_saves_atomic(runner) as removed:
            super()._save_best_checkpoint(runner, metrics)
        for path in removed:
            self._remove(path)


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Carry the random generators' states across a resume.

    ``before_save_checkpoint`` stores Python's, numpy's, torch's and (when
    available) CUDA's generator states under ``checkpoint['random_state']``;
    ``after_load_checkpoint`` restores them when the run resumes (not when a
    checkpoint is only loaded as weights, ``load_from`` without ``resume``).
    Only the main process saves checkpoints, so its states are the ones
    saved; every process restores them. Single-process runs resume exactly.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['random_state'] = dict(
            python=random.getstate(),
            numpy=np.random.get_state(),
            torch=torch.get_rng_state(),
            cuda=(torch.stack(torch.cuda.get_rng_state_all())
                  if torch.cuda.is_available() else None))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('random_state')
        if not runner._resume or state is None:
            return
        random.setstate(state['python'])
        np.random.set_state(state['numpy'])
        torch.set_rng_state(state['torch'].cpu())
        if state['cuda'] is not None and torch.cuda.is_available():
            saved = list(state['cuda'].cpu())
            if len(saved) == torch.cuda.device_count():
                torch.cuda.set_rng_state_all(saved)
        runner.logger.info("Restored the checkpoint's random generator states")


MAX_LISTED = 5


def _listed(keys: Sequence[str]) -> str:
    """The first ``MAX_LISTED`` keys, and how many more."""
    shown = ', '.join(keys[:MAX_LISTED])
    more = len(keys) - MAX_LISTED
    return shown + (f' and {more} more' if more > 0 else '')


@HOOKS.register_module()
class CheckpointCoverageHook(Hook):
    """Refuse to train or test with weights the checkpoint did not provide.

    mmengine loads checkpoints non-strictly: missing keys and shape
    mismatches are logged and the parameters keep their random init. That is
    right for the stage-1 -> stage-2 load (the OFF sub-network is new) and
    silently wrong for everything else. This hook compares the loaded
    checkpoint's ``state_dict`` with the model:

    * before training, every parameter and buffer whose name starts with one
      of ``required`` must have been loaded with its shape, and, when
      ``required`` is not empty, a checkpoint must have been loaded at all
      (``load_from``, or ``--resume`` that found one);
    * before testing, the checkpoint must cover the whole model.

    Args:
        required: name prefixes of the weights training must load, e.g.
            ``('backbone.', 'cls_head.fc_cls.')`` for a frozen stage-1 TSN.
            Empty: training needs no checkpoint (stage 1 from scratch).
    """

    priority = 'VERY_HIGH'

    def __init__(self, required: Sequence[str] = ()) -> None:
        if isinstance(required, str):
            raise TypeError(f'required must be a sequence of key prefixes, '
                            f'got the string {required!r}')
        self.required = tuple(required)
        self._loaded: Optional[Dict[str, Tuple[int, ...]]] = None
        self._source = ''

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(
            runner.model) else runner.model

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('state_dict', checkpoint)
        self._loaded = {
            (key[len('module.'):] if key.startswith('module.') else key):
            tuple(value.shape)
            for key, value in state.items() if hasattr(value, 'shape')
        }
        self._source = (
            runner._load_from if runner._load_from else
            find_latest_checkpoint(runner.work_dir) or '?')

    def _check(self, runner, prefixes: Tuple[str, ...], purpose: str) -> None:
        """Raise unless the checkpoint held every model entry under
        ``prefixes`` with the model's shape."""
        wanted = ('all of them' if prefixes == ('', ) else ', '.join(
            f'{p}*' for p in prefixes))
        if self._loaded is None:
            raise RuntimeError(
                f'{purpose} needs weights from a checkpoint ({wanted}), but '
                'no checkpoint was loaded: set load_from (e.g. --cfg-options '
                'load_from=work_dirs/<stage 1>/epoch_N.pth). MMAction2\'s '
                'train.py clears load_from under --resume, and --resume '
                f'found no checkpoint in {runner.work_dir}')
        missing, mismatched = [], []
        for key, value in self._model(runner).state_dict().items():
            if not key.startswith(prefixes):
                continue
            if key not in self._loaded:
                missing.append(key)
            elif self._loaded[key] != tuple(value.shape):
                mismatched.append(f'{key} (checkpoint '
                                  f'{list(self._loaded[key])}, model '
                                  f'{list(value.shape)})')
        if missing or mismatched:
            raise RuntimeError(
                f'{purpose}: checkpoint {self._source} does not hold the '
                f'weights this model needs ({wanted}); '
                f'{len(missing)} missing: {_listed(missing) or "none"}; '
                f'{len(mismatched)} with another shape: '
                f'{_listed(mismatched) or "none"}. Is it the right '
                'checkpoint (architecture, modality, stage)?')

    def before_train(self, runner) -> None:
        if self.required:
            self._check(runner, self.required,
                        'training with frozen pretrained weights')

    def before_test(self, runner) -> None:
        self._check(runner, ('', ), 'testing')
