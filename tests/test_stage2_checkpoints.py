"""Stage-2 configs find their stage-1 checkpoint: the README command line and
the shipped defaults."""
import argparse
import copy
import glob
import os
import os.path as osp
import re
import shlex

import mmaction
import pytest
from mmengine.config import Config, DictAction

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
FOLDERS = ('off_tsn', 'off_tsm', 'rfcn_off')
# `--cfg-options key=value ...` as written in a README (code block or inline)
CFG_OPTIONS = re.compile(r'--cfg-options((?:\s+[\w.]+=[^\s`\\]+)+)')


def cfg_options_of(text):
    """Each README ``--cfg-options`` group parsed as MMAction2's and
    MMDetection's ``tools/train.py`` parse it (``DictAction``)."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return [
        parser.parse_args(['--cfg-options', *shlex.split(group)]).cfg_options
        for group in CFG_OPTIONS.findall(text)
    ]


def is_stage2(cfg):
    """Frozen backbone that training refuses to start without."""
    hooks = {h.type: h for h in cfg.get('custom_hooks', [])}
    required = hooks.get('CheckpointCoverageHook', {}).get('required', ())
    return (cfg.model.backbone.get('frozen_stages', -1) >= 4
            and 'backbone.' in required)


def stage2_configs(folder):
    out = []
    for path in sorted(glob.glob(osp.join(REPO, 'configs', folder, '*.py'))):
        cfg = Config.fromfile(path)
        if is_stage2(cfg):
            out.append((path, cfg))
    return out


STAGE2 = {folder: stage2_configs(folder) for folder in FOLDERS}


def test_readme_option_parser_reads_the_tools_way():
    options = cfg_options_of(
        'x.py --cfg-options load_from=work_dirs/a/epoch_8.pth\n'
        '`--cfg-options load_from=https://h/x_1-2.pth` (prose)')
    assert options == [{
        'load_from': 'work_dirs/a/epoch_8.pth'
    }, {
        'load_from': 'https://h/x_1-2.pth'
    }]


@pytest.mark.parametrize('folder', FOLDERS)
def test_readme_load_from_line_reaches_every_stage2_config(folder):
    """The README's ``--cfg-options load_from=...`` line, applied as the
    training tool applies it, gives every stage-2 config of the folder that
    checkpoint, with nothing else loading or resuming instead."""
    with open(osp.join(REPO, 'configs', folder, 'README.md')) as f:
        options = cfg_options_of(f.read())
    placeholder = {'load_from': 'STAGE1_CHECKPOINT'}
    assert placeholder in options, (
        f'configs/{folder}/README.md must document stage 2 as '
        '"--cfg-options load_from=STAGE1_CHECKPOINT"')
    configs = STAGE2[folder]
    assert configs, f'no stage-2 config found in configs/{folder}'
    for option in options:
        if 'load_from' not in option:
            continue
        assert set(option) == {'load_from'}, option  # one form: load_from only
        for path, shipped in configs:
            cfg = copy.deepcopy(shipped)
            cfg.merge_from_dict(option)
            name = osp.basename(path)
            assert cfg.load_from == option['load_from'], name
            assert cfg.resume is False, name  # load_from would be a resume path
            backbone = cfg.model.backbone
            assert not backbone.get('pretrained'), name
            assert (backbone.get('init_cfg')
                    or {}).get('type') != 'Pretrained', name
            assert is_stage2(cfg), name


@pytest.mark.parametrize('folder', FOLDERS)
def test_default_stage1_checkpoint_is_the_last_one_stage1_writes(folder):
    """A default ``work_dirs/<config>/epoch_N.pth`` (or ``iter_N``) names a
    stage-1 config of the folder whose schedule ends at N, so stage 2 runs
    right after stage 1 without a path to edit."""
    pattern = re.compile(r'work_dirs/([^/]+)/(epoch|iter)_(\d+)\.pth$')
    for path, cfg in STAGE2[folder]:
        name = osp.basename(path)
        load_from = cfg.load_from
        assert load_from is None or isinstance(load_from, str), name
        match = pattern.match(load_from or '')
        if not match:
            # released checkpoints, the demo tools' work dirs, or None
            # (given on the command line)
            assert (load_from is None or load_from.startswith(
                ('https://', 'work_dirs/main_job/',
                 'work_dirs/modalities/'))), (name, load_from)
            continue
        stage1_path = osp.join(REPO, 'configs', folder, match.group(1) + '.py')
        assert osp.isfile(stage1_path), (name, load_from)
        stage1 = Config.fromfile(stage1_path)
        assert not is_stage2(stage1), name
        unit = 'max_epochs' if match.group(2) == 'epoch' else 'max_iters'
        assert stage1.train_cfg.get(unit) == int(match.group(3)), (name,
                                                                   load_from)


# `{algorithm}_{stage-1 algorithm}-{stage-1 sampling and schedule}-pretrained-
# {backbone}_{NxB}-{sampling}-{schedule}_{dataset}-{modality}.py`
STAGE2_NAME = re.compile(r'^[\w-]+_(?P<algorithm>[a-z0-9]+)-(?P<train>[\w-]+?)'
                         r'-pretrained-(?P<backbone>[\w-]+)_[\w-]+_'
                         r'(?P<data>[\w-]+)\.py$')
MMACTION_TSM = osp.join(
    osp.dirname(mmaction.__file__), '.mim', 'configs', 'recognition', 'tsm')


def stage1_configs_named(folder, name):
    """The stage-1 configs a stage-2 name points at: in the folder, or
    MMAction2's own for TSM."""
    match = STAGE2_NAME.match(name)
    assert match, f'{name} does not name its stage-1 config'
    pattern = re.compile(
        rf'^{match["algorithm"]}_(?:[a-z0-9]+-pretrained-)?'
        rf'{re.escape(match["backbone"])}'
        rf'_\d+xb\d+-{re.escape(match["train"])}_{re.escape(match["data"])}'
        r'\.py$')
    where = MMACTION_TSM if folder == 'off_tsm' else osp.join(
        REPO, 'configs', folder)
    return [
        osp.join(where, n) for n in sorted(os.listdir(where))
        if pattern.match(n)
    ]


@pytest.mark.parametrize('folder', FOLDERS)
def test_stage2_name_says_its_stage1_config(folder):
    """A stage-2 name points at exactly one stage-1 config, which trains on
    the same data and which its default ``load_from`` comes from."""
    for path, cfg in STAGE2[folder]:
        name = osp.basename(path)
        named = stage1_configs_named(folder, name)
        assert len(named) == 1, (name, named)
        stage1 = Config.fromfile(named[0])
        assert not is_stage2(stage1), name
        stem = osp.basename(named[0])[:-len('.py')]
        assert (cfg.load_from is None or stem in cfg.load_from
                or cfg.load_from.startswith(
                    ('work_dirs/main_job/', 'work_dirs/modalities/'))), name
        for loader in ('train_dataloader', 'test_dataloader'):
            dataset, stage1_dataset = cfg[loader].dataset, stage1[
                loader].dataset
            for key in ('type', 'ann_file', 'data_prefix', 'data_root'):
                assert dataset.get(key) == stage1_dataset.get(key), (name, key)
