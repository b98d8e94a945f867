"""off_plugins: the Optical Flow guided Feature (OFF) for OpenMMLab toolboxes.

``off_plugins.core`` is plain PyTorch. Importing ``off_plugins`` first applies
:mod:`off_plugins.compat`, which must run before anything imports
``mmaction.models``.
"""
from . import compat  # noqa: F401  (side effects: toolbox compatibility)

__version__ = '0.1.0'
