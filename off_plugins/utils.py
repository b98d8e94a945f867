"""Small helpers shared across the package: installed toolbox files, atomic writes."""
import importlib.util
import os
import os.path as osp

from mmengine.utils import get_installed_path


def package_root(package: str) -> str:
    """Directory of an installed package (``mmengine``'s
    ``get_installed_path``, which finds it without importing it).

    Raises:
        ModuleNotFoundError: naming ``package`` when it is not installed.
    """
    if importlib.util.find_spec(package) is None:
        raise ModuleNotFoundError(f'{package} is not installed', name=package)
    return get_installed_path(package)


def shipped_file(package: str, *parts: str) -> str:
    """Path of a file an OpenMMLab wheel ships under ``<package>/.mim/``.

    For example ``shipped_file('mmaction', 'tools', 'train.py')``, the place
    where ``mim train`` finds it. The path is not checked: callers say what is
    missing in their own terms.
    """
    return osp.join(package_root(package), '.mim', *parts)


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and ``os.replace``.

    A reader never sees a half-written ``path``; an interrupted write leaves
    the previous file (or none) and a ``<path>.tmp-<pid>`` behind.
    """
    tmp = f'{path}.tmp-{os.getpid()}'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)
