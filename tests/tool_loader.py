"""Import a script under tools/ as a module (tools/ is not a package)."""
import importlib.util
import os.path as osp

TOOLS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools')


def load_tool(relpath: str):
    """Load ``tools/<relpath>`` (e.g. ``'vid/make_toy_vid.py'``)."""
    name = 'tool_' + relpath.replace('/', '_')[:-3]
    spec = importlib.util.spec_from_file_location(name, osp.join(TOOLS, relpath))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
