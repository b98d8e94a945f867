"""Compatibility fixes for the pinned toolbox stack, applied on import.

* mmaction2 1.2.0's wheel lacks ``mmaction.models.localizers.drn`` (upstream
  issue #2714), so ``import mmaction.models`` fails. When, and only when, that
  module really is missing, an empty placeholder module is registered so the
  rest of ``mmaction.models`` imports; DRN itself stays unavailable.
* mmengine 0.10.7 checkpoints hold a few mmengine/numpy objects that torch's
  safe loading (``weights_only=True``, the default since torch 2.6) rejects.
  They are allow-listed with ``torch.serialization.add_safe_globals``; safe
  loading itself stays on.
* mmaction2 1.2.0 imports its VindLU models whenever ``transformers>=4.28``
  is installed, and VindLU imports names that transformers 5 removed
  (``apply_chunking_to_forward``), so ``import mmaction.models`` fails beside
  transformers 5. There, and only there, mmaction's ``WITH_MULTIMODAL`` flag
  is cleared before ``mmaction.models`` is imported: VindLU registers as
  mmaction's own placeholders and every other model imports.

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


DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')


def history_buffer_attribute(owner, name: str):
    """A ``getattr`` restricted to what mmengine checkpoints reference.

    mmengine's ``HistoryBuffer`` pickles its statistics methods by reference,
    which the pickle stream spells ``getattr(HistoryBuffer, 'mean')``. Allowing
    the real builtin ``getattr`` would let a crafted checkpoint reach any
    attribute of any allowed object; this stand-in is registered under the
    builtin's name and only returns ``HistoryBuffer``'s statistics methods
    (the defaults and any registered with ``register_statistics``).
    """
    import pickle

    from mmengine.logging.history_buffer import HistoryBuffer
    allowed = set(DEFAULT_STATISTICS) | set(HistoryBuffer._statistics_methods)
    if owner is not HistoryBuffer or name not in allowed:
        raise pickle.UnpicklingError(
            f'checkpoint references {owner!r}.{name}; only HistoryBuffer '
            'statistics methods are allowed under safe loading')
    return getattr(owner, name)


def safe_checkpoint_globals() -> list:
    """The objects mmengine checkpoints need under torch's safe loading."""
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer
    multiarray = np._core.multiarray if hasattr(
        np, '_core') else np.core.multiarray
    dtypes = [
        getattr(np.dtypes, name) for name in dir(np.dtypes)
        if name.endswith('DType') and name not in ('StringDType',
                                                   'ObjectDType')
    ]
    return [
        HistoryBuffer,
        multiarray._reconstruct,
        multiarray.scalar,
        np.ndarray,
        np.dtype,
        *dtypes,
        (history_buffer_attribute, '__builtin__.getattr'),
        (history_buffer_attribute, 'builtins.getattr'),
    ]


def allow_mmengine_checkpoints() -> bool:
    """Allow-list mmengine's checkpoint objects for ``torch.load``.

    Returns True when the allow-list was registered (mmengine installed and a
    torch with ``add_safe_globals``).
    """
    import torch
    if not _module_exists('mmengine') or not hasattr(torch.serialization,
                                                     'add_safe_globals'):
        return False
    torch.serialization.add_safe_globals(safe_checkpoint_globals())
    return True


def _major_version(distribution: str):
    from importlib.metadata import PackageNotFoundError, version
    try:
        return int(version(distribution).split('.')[0])
    except (PackageNotFoundError, ValueError):
        return None


def patch_mmaction_multimodal() -> bool:
    """Keep ``mmaction.models`` importable beside transformers 5.

    Returns True when mmaction's ``WITH_MULTIMODAL`` flag was cleared
    (mmaction and transformers >= 5 installed, ``mmaction.models`` not yet
    imported).
    """
    if 'mmaction.models' in sys.modules or not _module_exists('mmaction'):
        return False
    major = _major_version('transformers')
    if major is None or major < 5:
        return False
    import mmaction.utils.dependency as dependency
    dependency.WITH_MULTIMODAL = False
    return True


patch_mmaction_drn()
patch_mmaction_multimodal()
allow_mmengine_checkpoints()
