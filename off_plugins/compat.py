"""Compatibility fixes for the pinned toolbox stack, applied on import.

* mmaction2 1.2.0's wheel lacks ``mmaction.models.localizers.drn`` (upstream
  issue #2714), so ``import mmaction.models`` fails. When, and only when, that
  module really is missing, an empty placeholder module is registered so the
  rest of ``mmaction.models`` imports; DRN itself stays unavailable.
* mmengine 0.10.7 checkpoints hold a few mmengine/numpy objects that torch's
  safe loading (``weights_only=True``, the default since torch 2.6) rejects.
  They are allow-listed with ``torch.serialization.add_safe_globals``; safe
  loading itself stays on.

Nothing here imports a toolbox that is not installed.
"""
import importlib.util
import os
import sys
import types

DRN_MODULE = 'mmaction.models.localizers.drn.drn'


def _module_exists(name: str) -> bool:
    """Whether a top-level module is installed, without importing it."""
    return importlib.util.find_spec(name) is not None


def _mmaction_lacks_drn() -> bool:
    """Whether mmaction is installed without its DRN localizer sources.

    Looks at the files only: importing ``mmaction.models`` to find out is
    exactly what fails on the broken wheel.
    """
    spec = importlib.util.find_spec('mmaction')
    if spec is None or not spec.submodule_search_locations:
        return False
    root = list(spec.submodule_search_locations)[0]
    drn = os.path.join(root, 'models', 'localizers', 'drn')
    return not (os.path.isfile(os.path.join(drn, 'drn.py'))
                or os.path.isfile(os.path.join(drn, '__init__.py')))


def patch_mmaction_drn() -> bool:
    """Register a placeholder DRN module if mmaction's wheel lacks it.

    Returns True when the placeholder was installed.
    """
    if DRN_MODULE in sys.modules or not _mmaction_lacks_drn():
        return False
    for name in ('mmaction.models.localizers.drn', DRN_MODULE):
        module = types.ModuleType(name)
        module.__path__ = []  # a package, so the submodule lookup works
        module.__doc__ = ('Placeholder registered by off_plugins.compat: '
                          'the mmaction2 1.2.0 wheel lacks DRN.')
        sys.modules[name] = module
    sys.modules[DRN_MODULE].DRN = None
    return True


def safe_checkpoint_globals() -> list:
    """The classes mmengine checkpoints need under torch's safe loading."""
    import numpy as np
    found = []
    if _module_exists('mmengine'):
        from mmengine.logging.history_buffer import HistoryBuffer
        found.append(HistoryBuffer)
    found += [
        np.core.multiarray._reconstruct if hasattr(np, 'core') else None,
        np.ndarray, np.dtype
    ]
    return [g for g in found if g is not None]


def allow_mmengine_checkpoints() -> None:
    """Allow-list mmengine's checkpoint globals for ``torch.load``."""
    import torch
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(safe_checkpoint_globals())


patch_mmaction_drn()
allow_mmengine_checkpoints()
