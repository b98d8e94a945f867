"""The compatibility module: mmaction2's broken wheel and safe checkpoint loading."""
import importlib.util
import io
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from off_plugins import compat


def run_python(code):
    return subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_mmaction_models_imports_after_off_plugins():
    proc = run_python('import off_plugins, mmaction.models as m; '
                      'print(m.Recognizer2D.__name__)')
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == 'Recognizer2D'


def test_placeholder_only_when_drn_is_really_missing(tmp_path, monkeypatch):
    pkg = tmp_path / 'mmaction'
    drn = pkg / 'models' / 'localizers' / 'drn'
    drn.mkdir(parents=True)
    real_find_spec = importlib.util.find_spec

    def fake_find_spec(name, *args):
        if name == 'mmaction':
            return importlib.util.spec_from_file_location(
                'mmaction',
                pkg / '__init__.py',
                submodule_search_locations=[str(pkg)])
        return real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, 'find_spec', fake_find_spec)
    assert compat._mmaction_lacks_drn()  # folder present, sources absent
    (drn / 'drn.py').write_text('DRN = object\n')
    assert not compat._mmaction_lacks_drn()
    monkeypatch.delitem(sys.modules, compat.DRN_MODULE, raising=False)
    assert compat.patch_mmaction_drn() is False
    assert compat.DRN_MODULE not in sys.modules


def test_mmengine_checkpoint_objects_load_safely(tmp_path):
    from mmengine.logging import HistoryBuffer, MessageHub
    hub = MessageHub.get_instance('compat_test')
    hub.update_scalar('train/loss', 1.5)
    hub.update_scalar('train/loss', np.float64(0.5))
    path = tmp_path / 'ckpt.pth'
    torch.save(
        {
            'message_hub': hub.state_dict(),
            'seed': np.int64(3),
            'arr': np.arange(3.)
        }, path)
    loaded = torch.load(path, weights_only=True)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(1.0)
    assert loaded['seed'] == 3 and loaded['arr'].tolist() == [0., 1., 2.]


class _ReachesPastTheAllowList:
    """Pickles as ``getattr(HistoryBuffer, '__dict__')``."""

    def __reduce__(self):
        from mmengine.logging import HistoryBuffer
        return getattr, (HistoryBuffer, '__dict__')


def test_restricted_getattr_rejects_other_objects():
    from mmengine.logging import HistoryBuffer
    with pytest.raises(pickle.UnpicklingError, match='only HistoryBuffer'):
        compat.history_buffer_attribute(io, 'open')
    for name in ('__init__', 'update', 'register_statistics'):
        with pytest.raises(pickle.UnpicklingError, match='only HistoryBuffer'):
            compat.history_buffer_attribute(HistoryBuffer, name)
    assert compat.history_buffer_attribute(HistoryBuffer,
                                           'mean') is HistoryBuffer.mean
    buf = io.BytesIO()
    torch.save({'x': _ReachesPastTheAllowList()}, buf)
    buf.seek(0)
    with pytest.raises(
            pickle.UnpicklingError, match='HistoryBuffer.*__dict__'):
        torch.load(buf, weights_only=True)
