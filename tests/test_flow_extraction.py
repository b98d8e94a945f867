"""TV-L1 flow extraction to rawframes (resume, atomicity, errors) and checked
flow/RGB frame decoding."""
import glob
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import cv2
import decord
import numpy as np
import pytest
from data_tools import flow as F
from mmaction.datasets import RawframeDataset
from mmaction.datasets.transforms import RawFrameDecode
from mmaction.registry import TRANSFORMS
from off_plugins.mmaction import (  # registers the transforms
    CheckedRawFrameDecode, FixedIntervalSampleFrames)
from tool_loader import helpers_env

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SIZE, FRAMES, SQUARE, STEP = 32, 9, 8, 2
TOP, LEFT = 12, 4  # square position in frame 0; it moves right STEP px/frame
LABELS = {'a/v0.mp4': 0, 'a/v1.mp4': 1, 'b/v2.mp4': 2}


def make_video(path, num_frames=FRAMES, seed=0):
    """A bright square moving right over a static dark noise texture."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    background = rng.integers(0, 60, (SIZE, SIZE), dtype=np.uint8)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 10,
                             (SIZE, SIZE))
    for t in range(num_frames):
        frame = background.copy()
        left = LEFT + STEP * t
        frame[TOP:TOP + SQUARE, left:left + SQUARE] = 230
        writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


@pytest.fixture
def videos(tmp_path):
    """Video root with three videos and their MMAction2 video list."""
    root = tmp_path / 'videos'
    for seed, rel in enumerate(LABELS):
        make_video(str(root / rel), seed=seed)
    list_file = tmp_path / 'list.txt'
    list_file.write_text(''.join(f'{rel} {label}\n'
                                 for rel, label in LABELS.items()))
    return str(list_file), str(root)


def run(list_file, root, out, **kwargs):
    kwargs.setdefault('progress', False)
    return F.extract_flow_list(list_file, root, out, **kwargs)


def expected_files(num_flows):
    return ({
        f'{axis}_{i:05d}.jpg'
        for axis in 'xy'
        for i in range(1, num_flows + 1)
    } | {F.META_NAME})


def mtimes(directory):
    return {
        name: os.stat(osp.join(directory, name)).st_mtime_ns
        for name in os.listdir(directory)
    }


def contents(directory):
    return {
        name: open(osp.join(directory, name), 'rb').read()
        for name in os.listdir(directory) if name.endswith('.jpg')
    }


def test_layout_list_and_timing(videos, tmp_path):
    list_file, root = videos
    out, out_list = str(tmp_path / 'flow'), str(tmp_path / 'flow_list.txt')
    summary = run(list_file, root, out, out_list=out_list)
    assert summary['videos'] == 3 and summary['computed'] == 3
    assert summary['skipped'] == 0 and summary['seconds'] > 0
    assert summary['seconds_per_video'] == pytest.approx(
        summary['seconds'] / 3, rel=1e-2)
    for rel in LABELS:
        dest = osp.join(out, rel[:-4])
        assert set(os.listdir(dest)) == expected_files(FRAMES - 1)
    assert sorted(os.listdir(out)) == [F.LOCK_NAME, 'a', 'b', F.TIMING_NAME]
    assert open(out_list).read() == 'a/v0 8 0\na/v1 8 1\nb/v2 8 2\n'
    timing = json.load(open(osp.join(out, F.TIMING_NAME)))
    assert set(timing) == set(LABELS)
    for entry in timing.values():
        assert entry['frames'] == FRAMES and entry['flow_frames'] == FRAMES - 1
        assert entry['seconds'] > 0
    assert len({entry['run'] for entry in timing.values()}) == 1


def test_square_moves_right_and_matches_toolbox_quantisation(videos, tmp_path):
    list_file, root = videos
    out = str(tmp_path / 'flow')
    run(list_file, root, out)
    dest = osp.join(out, 'a', 'v0')
    for i in range(1, FRAMES):
        x = cv2.imread(osp.join(dest, f'x_{i:05d}.jpg'), cv2.IMREAD_GRAYSCALE)
        y = cv2.imread(osp.join(dest, f'y_{i:05d}.jpg'), cv2.IMREAD_GRAYSCALE)
        assert x.shape == y.shape == (SIZE, SIZE)
        # inside the square of frame i-1 (+2 px/frame, zero flow is 127)
        left = LEFT + STEP * (i - 1)
        inside = np.s_[TOP + 2:TOP + SQUARE - 2, left + 2:left + SQUARE - 2]
        assert x[inside].mean() > 131, i  # > 0.5 px to the right
        assert abs(y[inside].mean() - 127.5) < 4, i
    # reference: decord -> gray -> a fresh TV-L1 -> MMAction2's flow_to_img,
    # through the same JPEG codec
    frames = decord.VideoReader(osp.join(root, 'a',
                                         'v0.mp4')).get_batch([2,
                                                               3]).asnumpy()
    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    raw = cv2.optflow.DualTVL1OpticalFlow_create().calc(gray[0], gray[1], None)
    for c, axis in enumerate('xy'):
        ref = F.toolbox_flow_tool().flow_to_img(raw[..., c], 20.)
        ref_jpeg = cv2.imdecode(
            cv2.imencode('.jpg', ref)[1], cv2.IMREAD_GRAYSCALE)
        got = cv2.imread(
            osp.join(dest, f'{axis}_00003.jpg'), cv2.IMREAD_GRAYSCALE)
        np.testing.assert_array_equal(got, ref_jpeg)


def test_farneback_and_bound_change_the_output(videos, tmp_path):
    list_file, root = videos
    out_tvl1, out_fb = str(tmp_path / 'tvl1'), str(tmp_path / 'fb')
    run(list_file, root, out_tvl1)
    run(list_file, root, out_fb, method='farneback', bound=10.)
    dest = osp.join(out_fb, 'a', 'v0')
    x = cv2.imread(osp.join(dest, 'x_00001.jpg'), cv2.IMREAD_GRAYSCALE)
    # +2 px with bound 10 -> (2 + 10) * 255 / 20 = 153
    assert x[TOP + 2:TOP + SQUARE - 2, LEFT + 2:LEFT + SQUARE - 2].mean() > 140
    assert contents(dest) != contents(osp.join(out_tvl1, 'a', 'v0'))
    # reusing an out_root with other settings is refused, naming the dir
    with pytest.raises(ValueError, match='a/v0: was extracted with method'):
        run(list_file, root, out_fb)


def test_rerun_redoes_only_missing_and_stale(videos, tmp_path):
    list_file, root = videos
    out = str(tmp_path / 'flow')
    run(list_file, root, out)
    v0, v1, v2 = (osp.join(out, rel[:-4]) for rel in LABELS)
    first = {d: contents(d) for d in (v0, v1)}
    kept = mtimes(v2)
    timing0 = json.load(open(osp.join(out, F.TIMING_NAME)))
    shutil.rmtree(v0)
    shutil.rmtree(v1)  # v1 was being written when its run was killed:
    stale = v1 + '.tmp-99999'
    os.makedirs(stale)
    good = cv2.imencode('.jpg', np.full((SIZE, SIZE), 127, np.uint8))[1]
    with open(osp.join(stale, 'x_00001.jpg'), 'wb') as f:
        f.write(good.tobytes()[:len(good) // 2])  # truncated JPEG

    summary = run(list_file, root, out, out_list=str(tmp_path / 'l.txt'))
    assert (summary['computed'], summary['skipped']) == (2, 1)
    assert mtimes(v2) == kept
    assert {d: contents(d) for d in (v0, v1)} == first
    assert glob.glob(osp.join(out, '**', '*.tmp-*'), recursive=True) == []
    timing = json.load(open(osp.join(out, F.TIMING_NAME)))
    assert timing['b/v2.mp4'] == timing0['b/v2.mp4']
    assert timing['a/v0.mp4']['run'] == timing['a/v1.mp4']['run'] \
        != timing0['a/v0.mp4']['run']

    again = run(list_file, root, out)
    assert (again['computed'], again['skipped']) == (0, 3)
    assert again['seconds_per_video'] is None


def test_incomplete_final_dir_is_an_error_naming_it(videos, tmp_path):
    list_file, root = videos
    out = str(tmp_path / 'flow')
    run(list_file, root, out)
    os.remove(osp.join(out, 'a', 'v1', 'y_00004.jpg'))
    with pytest.raises(ValueError) as err:
        run(list_file, root, out)
    assert str(err.value).startswith(
        f'{osp.join(out, "a", "v1")}: incomplete or corrupt, 16 files where 17 '
        'are expected (1 missing, 0 unexpected)')
    os.remove(osp.join(out, 'a', 'v1', F.META_NAME))
    with pytest.raises(ValueError) as err:
        run(list_file, root, out)
    assert str(err.value).startswith(
        f'{osp.join(out, "a", "v1")}: exists but has no valid {F.META_NAME}')


def test_crash_mid_video_leaves_no_final_dir(videos, tmp_path, monkeypatch):
    list_file, root = videos
    out = str(tmp_path / 'flow')
    real_imwrite, calls = cv2.imwrite, []

    def failing_imwrite(path, img):
        calls.append(path)
        if len(calls) > 2 * FRAMES + 5:  # a few frames into the second video
            raise OSError('disk full')
        return real_imwrite(path, img)

    monkeypatch.setattr(F.cv2, 'imwrite', failing_imwrite)
    with pytest.raises(OSError, match='disk full'):
        run(list_file, root, out)
    assert osp.isdir(osp.join(out, 'a', 'v0'))
    assert os.listdir(osp.join(out, 'a')) == ['v0']  # no v1, no v1.tmp-*
    assert not osp.exists(osp.join(out, 'b'))
    monkeypatch.undo()
    summary = run(list_file, root, out)
    assert (summary['computed'], summary['skipped']) == (2, 1)


def test_errors_name_the_file(videos, tmp_path):
    list_file, root = videos
    out = str(tmp_path / 'flow')
    short = make_video(str(tmp_path / 'short.mp4'), num_frames=1)
    with pytest.raises(ValueError) as err:
        F.extract_video_flow(short, str(tmp_path / 'short'))
    assert str(err.value) == (f'{short}: video has 1 frame(s); flow needs at '
                              'least 2')
    assert glob.glob(str(tmp_path / 'short*')) == [short]  # no dir, no tmp

    garbage = tmp_path / 'garbage.mp4'
    garbage.write_bytes(b'not a video' * 100)
    with pytest.raises(RuntimeError) as err:
        F.extract_video_flow(str(garbage), str(tmp_path / 'garbage'))
    assert str(err.value).startswith(str(garbage))

    missing = tmp_path / 'missing.txt'
    missing.write_text('a/v0.mp4 0\nc/nothere.mp4 1\n')
    with pytest.raises(
            FileNotFoundError, match=osp.join(root, 'c', 'nothere.mp4')):
        run(str(missing), root, out)
    assert not osp.exists(out)  # checked before any extraction

    bad = tmp_path / 'bad.txt'
    for line in ('a/v1.mp4\n', 'a/v1.mp4 one\n', '/abs/v.mp4 1\n',
                 '../v.mp4 1\n'):
        bad.write_text('a/v0.mp4 0\n\n' + line)
        with pytest.raises(ValueError, match=f'{bad}:3'):
            run(str(bad), root, out)
    with pytest.raises(FileNotFoundError, match=str(tmp_path / 'nope.txt')):
        run(str(tmp_path / 'nope.txt'), root, out)

    for kwargs, message in ((dict(workers=0), 'workers must be an int >= 1'),
                            (dict(method='lk'), 'method must be one of'),
                            (dict(bound=0.), 'bound must be a finite')):
        with pytest.raises(ValueError, match=message):
            run(list_file, root, out, **kwargs)


def test_missing_toolbox_tool_is_named(tmp_path, monkeypatch):
    import off_plugins.utils
    monkeypatch.setattr(off_plugins.utils, 'package_root',
                        lambda package: str(tmp_path))
    F.toolbox_flow_tool.cache_clear()
    try:
        with pytest.raises(FileNotFoundError) as err:
            F.toolbox_flow_tool()
    finally:
        monkeypatch.undo()
        F.toolbox_flow_tool.cache_clear()
    path = osp.join(tmp_path, '.mim', 'tools', 'misc', 'flow_extraction.py')
    assert str(err.value).startswith(f'{path} is missing from the mmaction2')
    assert callable(F.toolbox_flow_tool().flow_to_img)


# ---------------------------------------------------------------- decoding
@pytest.fixture
def flow_dir(videos, tmp_path):
    list_file, root = videos
    out = str(tmp_path / 'flow')
    run(list_file, root, out, out_list=str(tmp_path / 'flow_list.txt'))
    return osp.join(out, 'a', 'v0')


def flow_results(frame_dir, inds=(1, 2, 3, 4, 3, 5, 8)):
    return dict(
        frame_dir=frame_dir,
        total_frames=FRAMES - 1,
        filename_tmpl='{}_{:05d}.jpg',
        modality='Flow',
        start_index=1,
        frame_inds=np.array(inds))


def checked():
    return TRANSFORMS.build(dict(type='CheckedRawFrameDecode'))


def test_checked_decode_equals_rawframedecode(flow_dir):
    ours = checked()(flow_results(flow_dir))
    theirs = RawFrameDecode()(flow_results(flow_dir))
    assert isinstance(checked(), CheckedRawFrameDecode)
    assert len(ours['imgs']) == 7
    for a, b in zip(ours['imgs'], theirs['imgs']):
        assert a.shape == (SIZE, SIZE, 2) and a.dtype == np.uint8
        np.testing.assert_array_equal(a, b)
    assert ours['img_shape'] == theirs['img_shape'] == (SIZE, SIZE)
    assert ours['original_shape'] == theirs['original_shape']


def test_extracted_list_loads_through_rawframedataset(flow_dir, tmp_path):
    dataset = RawframeDataset(
        ann_file=str(tmp_path / 'flow_list.txt'),
        data_prefix=dict(img=str(tmp_path / 'flow')),
        modality='Flow',
        filename_tmpl='{}_{:05d}.jpg',
        pipeline=[
            FixedIntervalSampleFrames(2, 4, clip_len=2, test_mode=True),
            CheckedRawFrameDecode()
        ])
    sample = dataset[2]
    assert sample['frame_dir'].endswith(osp.join('b', 'v2'))
    assert sample['total_frames'] == FRAMES - 1 and sample['label'] == 2
    assert len(sample['imgs']) == 8  # 4 segments x 2 frames
    assert sample['imgs'][0].shape == (SIZE, SIZE, 2)
    assert 1 <= sample['frame_inds'].min() <= sample['frame_inds'].max() <= 8


def test_missing_flow_frame_names_dir_and_frame(flow_dir):
    os.remove(osp.join(flow_dir, 'y_00003.jpg'))
    with pytest.raises(FileNotFoundError) as err:
        checked()(flow_results(flow_dir))
    assert str(err.value).startswith(f'{flow_dir}: frame 3 missing')
    assert osp.join(flow_dir, 'y_00003.jpg') in str(err.value)


@pytest.mark.parametrize('name,ref', [('x_00004.jpg', 'x_00001.jpg'),
                                      ('y_00001.jpg', 'x_00001.jpg'),
                                      ('y_00005.jpg', 'x_00005.jpg')])
def test_frame_of_another_size_names_both(flow_dir, name, ref):
    cv2.imwrite(osp.join(flow_dir, name), np.zeros((16, 24), np.uint8))
    with pytest.raises(ValueError) as err:
        checked()(flow_results(flow_dir))
    index = int(name[2:7])
    assert str(err.value) == (
        f'{flow_dir}: frame {index}, {osp.join(flow_dir, name)} is 16x24 '
        f'(HxW) but {osp.join(flow_dir, ref)} is {SIZE}x{SIZE}')


@pytest.mark.parametrize('data', [b'', b'\xff\xd8 not really a jpeg'])
def test_undecodable_frame_names_it(flow_dir, data):
    path = osp.join(flow_dir, 'x_00005.jpg')
    with open(path, 'wb') as f:
        f.write(data)
    with pytest.raises(ValueError) as err:
        checked()(flow_results(flow_dir))
    assert str(err.value).startswith(
        f'{flow_dir}: frame 5, {path} does not decode as an image')


def test_checked_decode_rgb(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(1, 5):
        cv2.imwrite(
            str(tmp_path / f'img_{i:05d}.jpg'),
            rng.integers(0, 255, (SIZE, SIZE, 3), dtype=np.uint8))

    def results():
        return dict(
            frame_dir=str(tmp_path),
            filename_tmpl='img_{:05d}.jpg',
            modality='RGB',
            start_index=1,
            frame_inds=np.array([1, 3, 3, 4]))

    ours, theirs = checked()(results()), RawFrameDecode()(results())
    for a, b in zip(ours['imgs'], theirs['imgs'], strict=True):
        assert a.shape == (SIZE, SIZE, 3)
        np.testing.assert_array_equal(a, b)
    (tmp_path / 'img_00003.jpg').write_bytes(b'garbage')
    with pytest.raises(ValueError, match='frame 3, .*img_00003.jpg does not'):
        checked()(results())
    cv2.imwrite(str(tmp_path / 'img_00003.jpg'), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(
            ValueError,
            match=r'img_00003.jpg is 8x8 \(HxW\) but '
            r'.*img_00001.jpg is 32x32'):
        checked()(results())
    cv2.imwrite(
        str(tmp_path / 'img_00003.jpg'), np.zeros((SIZE, SIZE, 3), np.uint8))
    os.remove(tmp_path / 'img_00004.jpg')
    with pytest.raises(FileNotFoundError, match='frame 4 missing'):
        checked()(results())


# --------------------------------------------------------------------- CLI
def test_cli_extracts_with_workers_and_prints_progress(videos, tmp_path):
    list_file, root = videos
    out, out_list = str(tmp_path / 'cli'), str(tmp_path / 'cli_list.txt')
    tool = osp.join(REPO, 'tools', 'extract_flow.py')
    proc = subprocess.run([
        sys.executable, tool, list_file, root, out, '--out-list', out_list,
        '--workers', '2'
    ],
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert ('[flow] 3 videos: 0 finished before, 3 to compute with 2 '
            'process(es)') in proc.stdout
    assert '] 3/3, ' in proc.stdout  # mmengine's ProgressBar, complete
    assert 'ETA:     0s' in proc.stdout
    assert open(out_list).read() == 'a/v0 8 0\na/v1 8 1\nb/v2 8 2\n'
    # two single-threaded workers give the frames of one in-process run
    run(list_file, root, str(tmp_path / 'lib'))
    for rel in LABELS:
        assert contents(osp.join(out, rel[:-4])) == contents(
            osp.join(tmp_path, 'lib', rel[:-4]))

    proc = subprocess.run(
        [sys.executable, tool,
         str(tmp_path / 'nope.txt'), root, out],
        capture_output=True,
        text=True,
        timeout=120)
    assert proc.returncode == 1
    assert f'{tmp_path / "nope.txt"}: video list not found' in proc.stderr

    proc = subprocess.run(
        [sys.executable, tool, list_file, root, out, '--method', 'lk'],
        capture_output=True,
        text=True,
        timeout=120)
    assert proc.returncode == 2 and "invalid choice: 'lk'" in proc.stderr


def test_second_extraction_into_the_same_folder_stops(videos, tmp_path):
    list_file, root = videos
    out = str(tmp_path / 'flow')
    # The first extraction, in its own process, is writing v1.
    first = subprocess.Popen([
        sys.executable, '-c', 'import sys, time\n'
        'from data_tools.flow import extraction_lock\n'
        'with extraction_lock(sys.argv[1]):\n'
        '    print("locked", flush=True)\n'
        '    time.sleep(60)\n', out
    ],
                             stdout=subprocess.PIPE,
                             text=True,
                             env=helpers_env())
    try:
        assert first.stdout.readline().strip() == 'locked'
        in_progress = osp.join(out, 'a', 'v1.tmp-99999')
        os.makedirs(in_progress)
        with pytest.raises(
                RuntimeError,
                match=(f'{re.escape(out)} is being written by another flow '
                       f'extraction \\(process {first.pid} holds')):
            run(list_file, root, out)
        assert osp.isdir(in_progress)  # its work in progress is untouched
        tool = osp.join(REPO, 'tools', 'extract_flow.py')
        proc = subprocess.run([sys.executable, tool, list_file, root, out],
                              capture_output=True,
                              text=True,
                              timeout=120)
        assert proc.returncode == 1 and 'Traceback' not in proc.stderr
        assert 'is being written by another flow extraction' in proc.stderr
    finally:
        first.kill()
        first.wait()
    assert run(list_file, root, out)['computed'] == 3  # the lock died with it
