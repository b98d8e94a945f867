"""MMAction2 adapter: registers the OFF neck, head and sampling transform.

Import through ``custom_imports = dict(imports=['off_plugins.mmaction'])``.
"""
import off_plugins  # noqa: F401  (compat fixes before mmaction.models)

from .head import OFFHead
from .loading import CheckedDecordInit
from .neck import OFFNeck
from .sampling import FixedIntervalSampleFrames

__all__ = ['CheckedDecordInit', 'OFFHead', 'OFFNeck', 'FixedIntervalSampleFrames']
