"""Load prediction dumps (``tools/test.py --dump x.pkl``) without running code.

A pickle names the functions that rebuild its objects, and ``pickle.load``
calls them: a crafted ``.pkl`` runs whatever it names. The dumps that
mmengine's ``DumpResults`` metric writes hold only containers, strings,
numbers, tensors and numpy arrays, so :func:`load_prediction_dump` admits
exactly the globals those need and refuses every other one before it is
called.

Tensors need care: under pickle protocol 2 (mmengine's default) a tensor's
storage is a nested ``torch.save`` blob rebuilt by
``torch.storage._load_from_bytes``, which loads it with full unpickling. That
name is served here by a stand-in that loads the blob with torch's safe loader
(``weights_only=True``), so nested blobs are held to an allow-list as well.
"""
import codecs
import io
import os.path as osp
import pickle
from collections import OrderedDict
from typing import Any, Callable, Dict, Tuple


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle references a global that a prediction dump never holds."""


def _storage_from_bytes(blob: bytes):
    """``torch.storage._load_from_bytes`` with torch's safe loading."""
    import torch
    try:
        return torch.load(io.BytesIO(blob), weights_only=True)
    except pickle.UnpicklingError as err:
        lines = str(err).splitlines()
        reason = next((line.strip()
                       for line in lines if 'WeightsUnpickler error' in line),
                      lines[0])
        raise UnsafePickleError(
            'a tensor storage in it holds more than plain data; refusing to '
            f'load it ({reason})') from None


def _latin1_bytes(text: str, encoding: str = 'latin1') -> bytes:
    """``_codecs.encode`` as pickle protocol 2 uses it for ``bytes`` objects:
    latin-1 only, so no other codec can be reached through it."""
    if encoding not in ('latin1', 'latin-1') or not isinstance(text, str):
        raise UnsafePickleError(
            f'_codecs.encode is allowed for latin1 bytes only, got {encoding!r}'
        )
    return codecs.encode(text, 'latin1')


def _allowed_globals() -> Dict[Tuple[str, str], Callable]:
    """(module, name) -> object for every global a prediction dump needs."""
    import numpy as np
    import torch
    allowed: Dict[Tuple[str, str], Any] = {
        ('collections', 'OrderedDict'): OrderedDict,
        ('torch._utils', '_rebuild_tensor_v2'):
        torch._utils._rebuild_tensor_v2,
        ('torch._utils', '_rebuild_tensor'): torch._utils._rebuild_tensor,
        ('torch.storage', '_load_from_bytes'): _storage_from_bytes,
        ('_codecs', 'encode'): _latin1_bytes,
        ('torch', 'Size'): torch.Size,
        ('numpy', 'ndarray'): np.ndarray,
        ('numpy', 'dtype'): np.dtype,
    }
    multiarray = (
        np._core.multiarray if hasattr(np, '_core') else np.core.multiarray)
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        allowed[(module, '_reconstruct')] = multiarray._reconstruct
        allowed[(module, 'scalar')] = multiarray.scalar
    for name in dir(np.dtypes):
        if name.endswith('DType') and name not in ('ObjectDType',
                                                   'StringDType'):
            allowed[('numpy.dtypes', name)] = getattr(np.dtypes, name)
    return allowed


class _DumpUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :func:`_allowed_globals`."""

    def __init__(self, file, source: str) -> None:
        super().__init__(file)
        self._source = source
        self._allowed = _allowed_globals()

    def find_class(self, module: str, name: str):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f'{self._source} references {module}.{name}, which a '
                'prediction dump never holds; refusing to load it (only '
                'containers, numbers, strings, tensors and numpy arrays are '
                'allowed)') from None

    def persistent_load(self, pid):
        raise UnsafePickleError(
            f'{self._source} uses persistent ids, which a prediction dump '
            'never holds; refusing to load it')


def load_prediction_dump(path: str) -> Any:
    """Load a ``tools/test.py --dump`` pickle, refusing any other code.

    Args:
        path: the ``.pkl`` file.

    Returns:
        What the dump holds (for MMAction2, a list of per-video dicts).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        UnsafePickleError: the file references a function or class outside
            the allow-list (nothing it names is called); the message names
            the file and the reference.
        pickle.UnpicklingError, EOFError, ...: the file is not a pickle.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'prediction dump {path} does not exist')
    with open(path, 'rb') as f:
        return _DumpUnpickler(f, path).load()
