"""JPEG2000 preparation (resumable, atomic), train/test launchers, demo parts."""
import glob
import os
import os.path as osp
import pickle
import re
import subprocess
import sys

import off_plugins  # noqa: F401
import numpy as np
import pytest
import vimeo_compression as compress
from off_plugins.restoration import ClipError, psnr
from PIL import Image
from test_restoration_helpers import make_vimeo
from tool_loader import TOOLS, load_tool

compress_vimeo = load_tool('restoration/compress_vimeo.py')
run_real_footage = load_tool('restoration/run_real_footage.py')
train_tool = load_tool('train.py')
test_tool = load_tool('test.py')

HAS_FFMPEG = compress.find_ffmpeg() is not None
DEMO_DNCNN = run_real_footage.DEMO_CONFIGS['DnCNN']


def read(path):
    return np.asarray(Image.open(path).convert('RGB'))


def mean_psnr(root, q):
    vals = [
        psnr(
            read(p), read(p.replace(f'sequences_jpeg2000_q{q}', 'sequences')))
        for p in glob.glob(f'{root}/sequences_jpeg2000_q{q}/*/*/im*.png')
    ]
    assert len(vals) == 14
    return float(np.mean(vals))


def test_pillow_backend_is_resumable(tmp_path):
    root = str(tmp_path)
    make_vimeo(root, h=48, w=64, lq_prefix='unused')
    lines = []
    assert compress.compress_dataset(
        root, [20], backend='pillow', log=lines.append) == {
            20: 2
        }
    assert any('2/2 clips' in line for line in lines)
    assert 20 < mean_psnr(root, 20) < 60
    assert compress.compress_dataset(
        root, [20], backend='pillow', log=lines.append) == {
            20: 0
        }
    os.remove(osp.join(root, 'sequences_jpeg2000_q20/00001/0002/im6.png'))
    os.makedirs(osp.join(root, 'sequences_jpeg2000_q20/00001/.tmp-stale'))
    assert compress.compress_dataset(
        root, [20], backend='pillow', log=lines.append) == {
            20: 1
        }
    assert 'removed 1 stale' in ''.join(lines)
    assert not glob.glob(f'{root}/sequences_jpeg2000_q20/*/.tmp-*')


def test_interrupted_clip_leaves_no_frame_behind(tmp_path, monkeypatch):
    root = str(tmp_path)
    make_vimeo(root, clips=('00001/0001', ), lq_prefix='unused')
    calls = []
    real = compress.pillow_round_trip

    def dies_on_third_frame(img, db):
        calls.append(db)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(img, db)

    monkeypatch.setattr(compress, 'pillow_round_trip', dies_on_third_frame)
    dst = osp.join(root, 'out', '00001', '0001')
    with pytest.raises(KeyboardInterrupt):
        compress.compress_clip(
            osp.join(root, 'sequences', '00001', '0001'), dst, 40, 'pillow',
            '00001/0001')
    assert os.listdir(dst) == []
    assert os.listdir(osp.dirname(dst)) == ['0001']  # no temporary folder


def test_missing_source_frame_names_the_clip(tmp_path):
    root = str(tmp_path)
    make_vimeo(root, lq_prefix='unused')
    os.remove(osp.join(root, 'sequences', '00001', '0002', 'im7.png'))
    with pytest.raises(ClipError, match='00001/0002.*im7.png'):
        compress.compress_dataset(
            root, [40], backend='pillow', log=lambda _: None)


@pytest.mark.parametrize('q', ['0', '-5', '1000'])
def test_compress_rejects_q_outside_its_range(tmp_path, q, capsys):
    make_vimeo(str(tmp_path))
    with pytest.raises(SystemExit) as err:
        compress_vimeo.main([str(tmp_path), '--q', '20', q])
    assert err.value.code == 2
    assert (f'--q takes FFmpeg -q:v values in [1, 100] (the paper: 20 and '
            f'40), got [{q}]') in capsys.readouterr().err


def test_compress_names_a_missing_folder_list_or_frame(tmp_path, capsys):
    with pytest.raises(SystemExit):
        compress_vimeo.main([str(tmp_path / 'nope')])
    assert f'data_root {tmp_path / "nope"} is not a folder' in \
        capsys.readouterr().err
    root = str(tmp_path / 'vimeo')
    make_vimeo(root, lq_prefix='unused')
    with pytest.raises(SystemExit):
        compress_vimeo.main([root, '--lists', 'other.txt'])
    assert 'clip list' in capsys.readouterr().err
    os.remove(osp.join(root, 'sequences', '00001', '0002', 'im7.png'))
    assert compress_vimeo.main(
        [root, '--backend', 'pillow', '--q', '40', '--workers', '1']) == 1
    err = capsys.readouterr().err
    assert err.startswith('compress_vimeo.py: error: clip 00001/0002: '
                          "missing source frames ['im7.png']")
    assert 'Traceback' not in err


def test_missing_ffmpeg_gives_a_clear_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(compress.shutil, 'which', lambda _: None)
    assert compress.resolve_backend('auto') == 'pillow'
    with pytest.raises(RuntimeError, match='apt-get install -y ffmpeg'):
        compress.resolve_backend('ffmpeg')
    make_vimeo(str(tmp_path))
    assert compress_vimeo.main([str(tmp_path), '--backend', 'ffmpeg']) == 1
    assert '--backend pillow' in capsys.readouterr().err


@pytest.mark.skipif(not HAS_FFMPEG, reason='ffmpeg is not installed')
def test_ffmpeg_q40_degrades_more_than_q20(tmp_path):
    root = str(tmp_path)
    make_vimeo(root, h=48, w=64, lq_prefix='unused')
    assert compress_vimeo.main(
        [root, '--q', '20', '40', '--backend', 'ffmpeg', '--workers',
         '1']) == 0
    q20, q40 = mean_psnr(root, 20), mean_psnr(root, 40)
    assert 25 < q40 < q20 < 60


@pytest.mark.skipif(not HAS_FFMPEG, reason='ffmpeg is not installed')
def test_pillow_calibration_matches_ffmpeg_mean_psnr():
    from test_restoration_helpers import smooth_image
    rng = np.random.default_rng(0)
    images = [smooth_image(rng, 48, 64) for _ in range(2)]
    res = compress.calibrate_pillow(images, 40)
    assert abs(res['pillow_psnr'] - res['ffmpeg_psnr']) < 0.5
    assert 25 < res['target_db'] < 60


def test_demo_split_holds_out_the_end_after_a_gap():
    train, test = run_real_footage.split_clips(16, 0.25)
    assert list(test) == [12, 13, 14, 15]
    assert max(train) == 10


def test_demo_validation_split_lies_inside_the_training_clips():
    splits = run_real_footage.video_splits(40, 0.25)
    assert list(splits['test']) == list(range(30, 40))
    assert list(splits['train']) == list(range(29))
    # tune and val are cut from the training clips the same way, with a gap
    assert list(splits['val']) == list(range(22, 29))
    assert list(splits['tune']) == list(range(21))
    assert set(splits['tune']) | set(splits['val']) <= set(splits['train'])


def fake_run(model, seed, psnrs, params=10):
    return dict(
        model=model,
        seed=seed,
        params=params,
        train_s=1.0,
        train_cpu_s=1.0,
        clips={
            f'c{i}':
            dict(PSNR=p, SSIM=p / 100, input_PSNR=30.0, input_SSIM=0.3)
            for i, p in enumerate(psnrs)
        })


def test_demo_summary_gains_are_per_seed_and_per_motion_group():
    motion = {'c0': 1.0, 'c1': 5.0, 'c2': 9.0}
    runs = [
        fake_run('A', 0, [31, 32, 33]),
        fake_run('B', 0, [31, 33, 35]),
        fake_run('A', 1, [32, 32, 32]),
        fake_run('B', 1, [32, 32, 33])
    ]
    text, numbers = run_real_footage.summarise(runs, [0, 1], motion, 'hdr')
    b = numbers['models']['B']
    assert b['gain']['all'] == pytest.approx([1.0, 1 / 3])
    assert b['gain']['most'] == pytest.approx([2.0, 1.0])  # clip c2
    assert b['gain']['least'] == pytest.approx([0.0, 0.0])  # clip c0
    assert b['PSNR'] == pytest.approx([33.0, 32 + 1 / 3])
    assert numbers['models']['A']['gain']['all'] == [0.0, 0.0]
    assert numbers['input']['PSNR'] == 30.0
    assert numbers['groups']['most']['clips'] == ['c2']
    assert text.startswith('hdr') and '+0.67' in text


def test_static_blend_averages_only_where_the_footage_stands_still():
    rng = np.random.default_rng(0)
    clean = np.full((3, 32, 32, 3), 128.0)
    noisy = np.clip(clean + rng.normal(0, 4, clean.shape), 0,
                    255).astype(np.uint8)
    out = run_real_footage.static_blend(noisy)
    expected = np.round(noisy.astype(np.float64).mean(0)).astype(np.uint8)
    assert np.array_equal(out, expected)
    assert psnr(out, clean[1].astype(
        np.uint8)) > psnr(noisy[1], clean[1].astype(np.uint8)) + 3
    moved = noisy.copy()
    moved[2] //= 4  # about 96 below the centre: never averaged
    out = run_real_footage.static_blend(moved)
    expected = np.round(noisy[:2].astype(np.float64).mean(0)).astype(np.uint8)
    assert np.array_equal(out, expected)


def test_demo_clips_are_written_atomically(tmp_path):
    path = str(tmp_path / 'im1.png')
    img = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    run_real_footage.write_image(path, img)
    assert np.array_equal(read(path), img)
    assert os.listdir(tmp_path) == ['im1.png']


def tool_options(root):
    """--cfg-options that point a config at a tiny folder, for a CPU."""
    options = [
        'train_dataloader.batch_size=2', 'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1'
    ]
    for loader in ('train', 'val', 'test'):
        options += [
            f'{loader}_dataloader.dataset.data_root={root}',
            f'{loader}_dataloader.dataset.data_prefix.lq='
            'sequences_jpeg2000_q20', f'{loader}_dataloader.num_workers=0',
            f'{loader}_dataloader.persistent_workers=False'
        ]
    return options


@pytest.fixture
def trained(tmp_path):
    """A one-epoch run of tools/train.py: (options, work dir, checkpoint)."""
    root = str(tmp_path / 'data')
    make_vimeo(root, h=24, w=24)
    work = str(tmp_path / 'work')
    options = tool_options(root)
    train_tool.main([DEMO_DNCNN, '--work-dir', work, '--cfg-options'] +
                    options + ['train_cfg.max_epochs=1'])
    return options, work, osp.join(work, 'epoch_1.pth')


def test_train_tool_trains_a_shipped_config(trained):
    _, work, ckpt = trained
    assert osp.isfile(ckpt)
    assert osp.isfile(osp.join(work, 'best_PSNR_epoch_1.pth'))


def test_test_tool_and_resume_load_the_checkpoint(trained, tmp_path):
    options, work, ckpt = trained
    dump = str(tmp_path / 'preds.pkl')
    metrics = test_tool.main([
        DEMO_DNCNN, ckpt, '--work-dir', work, '--dump', dump, '--cfg-options'
    ] + options)
    assert set(metrics) >= {'PSNR', 'SSIM', 'input_PSNR', 'input_SSIM'}
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    assert [p['clip'] for p in preds] == ['00001/0001', '00001/0002']
    train_tool.main(
        [DEMO_DNCNN, '--work-dir', work, '--resume', '--cfg-options'] +
        options + ['train_cfg.max_epochs=2'])
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))


def test_test_tool_refuses_a_checkpoint_of_another_architecture(
        trained, tmp_path):
    options, _, ckpt = trained  # a DnCNN (10 convs) checkpoint
    off_config = run_real_footage.DEMO_CONFIGS['DnCNN_OFF(3)']
    with pytest.raises(
            RuntimeError,
            match=(f'testing: checkpoint {re.escape(ckpt)} does not hold the '
                   r'weights this model needs \(all of them\); \d+ missing: '
                   )) as err:
        test_tool.main(
            [off_config, ckpt, '--work-dir',
             str(tmp_path), '--cfg-options'] + options)
    assert 'with another shape' in str(err.value)


def test_train_tool_cli_help_runs():
    out = subprocess.run(
        [sys.executable, osp.join(TOOLS, 'train.py'), '--help'],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=osp.dirname(TOOLS)))
    assert out.returncode == 0 and '--cfg-options' in out.stdout
