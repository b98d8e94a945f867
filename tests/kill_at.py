"""Run a tool in a child process that SIGKILLs itself at an exact file operation.

The child installs a Python audit hook (``sys.addaudithook``) that sends
SIGKILL to its own process right before the named file operation: ``open``
for writing, ``os.rename`` (``os.replace`` raises it) or ``os.remove``, on a
file whose name starts with a prefix, optionally only once another file
exists. It is a real kill of a real process, at a moment chosen exactly
rather than raced for.
"""
import os
import os.path as osp
import sys
from typing import List, Optional, Tuple

BOOTSTRAP = r'''
import os, runpy, signal, sys
event, prefix = os.environ['KILL_EVENT'], os.environ['KILL_PREFIX']
after = os.environ.get('KILL_AFTER')

def hook(name, args):
    if name != event or not args or not isinstance(args[0], (str, bytes)):
        return
    if name == 'open' and not any(c in str(args[1] or '') for c in 'wax+'):
        return
    if os.path.basename(os.fsdecode(args[0])).startswith(prefix) and (
            after is None or os.path.exists(after)):
        os.kill(os.getpid(), signal.SIGKILL)

sys.addaudithook(hook)
sys.argv = sys.argv[1:]
# as `python TOOL` does: the tool's folder first on the path (its helpers)
sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[0]))
runpy.run_path(sys.argv[0], run_name='__main__')
'''

# (event, file name prefix, file that must exist first or None)
Kill = Tuple[str, str, Optional[str]]


def killed_command(tool: str, args: List[str], work_dir: str,
                   kill: Kill) -> Tuple[List[str], dict]:
    """The command line and environment that run ``tool args`` until ``kill``.

    ``kill[2]``, when set, is relative to ``work_dir``.
    """
    event, prefix, after = kill
    env = dict(os.environ, KILL_EVENT=event, KILL_PREFIX=prefix)
    if after:
        env['KILL_AFTER'] = osp.join(work_dir, after)
    return [sys.executable, '-c', BOOTSTRAP, tool, *args], env
