"""Scripts and helpers under tools/, as the tests reach them.

``pytest.ini`` puts ``tools/`` (and the task folders ``tools/restoration``,
``tools/vid``) on ``sys.path``, as running a tool does for its own folder, so
the helper packages import by name (``from data_tools.flow import ...``).
"""
import importlib.util
import os
import os.path as osp

TOOLS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools')


def load_tool(relpath: str):
    """Load the script ``tools/<relpath>`` (e.g. ``'vid/make_toy_vid.py'``).

    Scripts are not a package (``tools/test.py`` would meet the standard
    library's ``test``), so each is loaded under a name of its own.
    """
    name = 'tool_' + relpath.replace('/', '_')[:-3]
    spec = importlib.util.spec_from_file_location(name,
                                                  osp.join(TOOLS, relpath))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def helpers_env() -> dict:
    """The environment for a child ``python -c`` that imports a tools helper."""
    paths = [TOOLS, os.environ.get('PYTHONPATH', '')]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
