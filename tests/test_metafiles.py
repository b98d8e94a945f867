"""The model zoo index: model-index.yml imports one metafile.yml per config
folder, in OpenMMLab's schema, and every config file has exactly one entry.

Each Results entry says where its numbers come from: ``Source: measured``
(measured by this repository; ``Command`` and ``Data`` say how) or
``Source: paper`` (the paper's numbers; ``Paper Table`` says which table).
"""
import glob
import numbers
import os.path as osp

import pytest
import yaml

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FOLDERS = sorted(
    osp.basename(osp.dirname(p))
    for p in glob.glob(osp.join(ROOT, 'configs', '*', '')))


def load(rel):
    with open(osp.join(ROOT, rel)) as f:
        return yaml.safe_load(f)


def metafiles():
    return load('model-index.yml')['Import']


def all_models():
    return [(rel, m) for rel in metafiles() for m in load(rel)['Models']]


def test_model_index_imports_one_metafile_per_config_folder():
    assert sorted(metafiles()) == [
        f'configs/{folder}/metafile.yml' for folder in FOLDERS
    ]
    for rel in metafiles():
        assert osp.isfile(osp.join(ROOT, rel)), rel


@pytest.mark.parametrize('rel', [f'configs/{f}/metafile.yml' for f in FOLDERS])
def test_collections_have_readme_paper_and_metadata(rel):
    collections = load(rel)['Collections']
    assert collections
    for c in collections:
        assert {'Name', 'README', 'Paper', 'Metadata'} <= set(c), c.get('Name')
        assert osp.isfile(osp.join(ROOT, c['README']))
        assert c['Paper']['URL'].startswith('https://')
        assert 'Optical Flow Guided Feature' in c['Paper']['Title']


def check_result(name, result):
    assert {'Dataset', 'Task', 'Metrics', 'Source'} <= set(result), name
    assert result['Metrics'], name
    for metric, value in result['Metrics'].items():
        assert isinstance(value, numbers.Real) and not isinstance(
            value, bool), f'{name}: {metric} = {value!r} is not a number'
    if result['Source'] == 'measured':
        assert result.get('Command', '').startswith('python '), name
        assert result.get('Data'), name
        assert 'Paper Table' not in result, name
    elif result['Source'] == 'paper':
        assert isinstance(result.get('Paper Table'), int), name
        assert 'Command' not in result, name
    else:
        raise AssertionError(f'{name}: Source must be measured or paper, '
                             f'got {result["Source"]!r}')


def test_models_follow_the_schema():
    for rel, m in all_models():
        collections = {c['Name'] for c in load(rel)['Collections']}
        assert {'Name', 'Config', 'In Collection', 'Metadata'} <= set(m), m
        assert m['In Collection'] in collections, m['Name']
        assert osp.isfile(osp.join(ROOT, m['Config'])), m['Config']
        assert m['Config'].startswith(osp.dirname(rel) + '/'), m['Name']
        assert m['Name'] == osp.splitext(osp.basename(m['Config']))[0]
        assert {'Architecture', 'Training Data'} <= set(m['Metadata'])
        for result in m.get('Results', []):
            check_result(m['Name'], result)


def test_every_config_has_exactly_one_entry():
    names = [m['Name'] for _, m in all_models()]
    assert len(names) == len(set(names)), 'duplicate model names'
    listed = sorted(m['Config'] for _, m in all_models())
    shipped = sorted(
        osp.relpath(p, ROOT) for p in glob.glob(
            osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
        if '/_base_/' not in p)
    assert listed == shipped


def test_bad_results_are_rejected():
    good = dict(
        Dataset='d',
        Task='t',
        Metrics={'Top 1 Accuracy': 90.5},
        Source='paper',
        **{'Paper Table': 2})
    check_result('ok', good)
    for bad in (dict(good, Metrics={'Top 1 Accuracy': 'see README'}),
                dict(good, Source='somewhere'), dict(good, Source='measured')):
        with pytest.raises(AssertionError):
            check_result('bad', bad)


def test_mim_reads_the_index():
    load_model_index = pytest.importorskip('modelindex.load_model_index')
    index = load_model_index.load(osp.join(ROOT, 'model-index.yml'))
    assert len(index.models) == len(all_models())
