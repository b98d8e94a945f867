"""Tiny fake copies of the paper-scale datasets, in their real on-disk layout.

Each dataset is written the way its download unpacks (the same folders, file
names, formats and annotation files, a few clips of moving texture instead of
real footage), then prepared with the commands its documentation gives:

=========== ==================================================================
ucf101      ``videos/<Class>/v_<Class>_gXX_cYY.avi`` (320x240, 25 fps) and
            ``annotations/{classInd,trainlist0N,testlist0N}.txt``; lists by
            MMAction2's ``tools/data/build_file_list.py`` (``--level 2
            --format videos``), rawframes by its ``build_rawframes.py
            --use-opencv``, flow by ``tools/extract_flow.py`` into ``flow/``
hmdb51      ``videos/<class>/<name>.avi`` and
            ``annotations/<class>_test_split{1,2,3}.txt``; the same tools
kinetics400 ``videos_{train,val}/<label>/<youtube id>_<start>_<end>.mp4``
            (340x256) and ``annotations/kinetics_{train,val,test}.csv``;
            ``build_file_list.py kinetics400 ... --num-split 1 --subset ...``
sthv2       ``videos/<id>.webm`` (VP9, 427x240, 12 fps) and
            ``annotations/something-something-v2-*.json``; the same tools,
            ``--level 1``
ILSVRC      ``ILSVRC2015/{Data,Annotations}/{VID,DET}/...`` (JPEG frames, XML
            boxes), ``ImageSets/VID/*.txt`` and FGFA's
            ``ImageSets/DET_train_30classes.txt``; ``data/ILSVRC`` links to
            it; CocoVID json by ``tools/vid/ilsvrc_to_cocovid.py``
vimeo90k    ``sequences/<5 digits>/<4 digits>/im1..im7.png`` (448x256) and
            ``sep_{train,test}list.txt``; JPEG2000 copies by
            ``tools/restoration/compress_vimeo.py --q 20 40``
=========== ==================================================================

Every split of the recognition and restoration datasets holds exactly two
training samples (clips, septuplets) and one test sample; ImageNet VID has a
3-frame training snippet whose first frame shows no object, one DET image
with a VID class (and one without, which the conversion skips) and a 2-frame
validation snippet. The forms of a
recognition dataset (``videos``, ``rawframes``, ``flow``) are made on request.
Flow is estimated with Farneback by default (``tools/extract_flow.py
--method farneback``): the same files as TV-L1, 60 times faster.

Layout under ``ROOT``: ``ROOT/data/<dataset>/...``, as the configs' relative
``data/...`` paths expect when run from ``ROOT``. A dataset is complete when
its marker ``ROOT/data/.fake-<dataset>.json`` exists (written last); an
incomplete or outdated one is removed and made again::

    cd tools && python -m data_tools.fake_datasets ROOT ucf101:videos,flow ILSVRC
"""
import argparse
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
from typing import Callable, Dict, Iterable, List, Sequence, Tuple

import cv2
import numpy as np
from off_plugins.mmdet.vid_classes import VID_SYNSETS
from off_plugins.utils import atomic_write_text, shipped_file

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# a dataset's layout version: a fake dataset of another version is made again
LAYOUT_VERSIONS = dict(ILSVRC=2)
RECOGNITION_FORMS = ('videos', 'rawframes', 'flow')
FLOW_METHODS = ('farneback', 'tvl1')


def texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """(height, width, 3) uint8 smooth random colours (BGR)."""
    coarse = rng.random((max(2, height // 16), max(2, width // 16), 3))
    tex = cv2.resize(
        coarse.astype(np.float32), (width, height),
        interpolation=cv2.INTER_CUBIC)
    return np.clip(40 + 180 * tex, 0, 255).astype(np.uint8)


def render_clip(rng: np.random.Generator, num_frames: int, height: int,
                width: int) -> Tuple[np.ndarray, List[List[int]]]:
    """A panning texture with a bright box moving across it.

    Returns:
        frames: (num_frames, height, width, 3) uint8, BGR.
        boxes: per frame ``[x1, y1, x2, y2]`` of the box (pixels, inclusive
            start, exclusive end).
    """
    pan = 2  # background pixels a frame
    background = texture(rng, height, width + pan * num_frames)
    bw, bh = width // 4, height // 3
    x0, y0 = int(rng.integers(0,
                              width // 4)), int(rng.integers(0, height // 3))
    step_x = max(1, (width - bw - x0) // max(1, num_frames))
    step_y = max(0, (height - bh - y0) // max(1, 2 * num_frames))
    colour = rng.integers(180, 256, size=3)
    frames = np.empty((num_frames, height, width, 3), np.uint8)
    boxes = []
    for t in range(num_frames):
        frame = background[:, pan * t:pan * t + width].copy()
        x1, y1 = x0 + step_x * t, y0 + step_y * t
        frame[y1:y1 + bh, x1:x1 + bw] = colour
        frames[t] = frame
        boxes.append([x1, y1, x1 + bw, y1 + bh])
    return frames, boxes


# container -> ffmpeg video codec options (the real datasets' codecs)
FFMPEG_CODECS = {
    '.avi': ['-c:v', 'mpeg4', '-vtag', 'XVID', '-q:v',
             '4'],  # UCF-101, HMDB-51
    '.mp4': ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-crf',
             '23'],  # Kinetics
    '.webm': [
        '-c:v', 'libvpx-vp9', '-pix_fmt', 'yuv420p', '-b:v', '0', '-crf', '40',
        '-deadline', 'realtime'
    ],  # Something-Something V2
}


def write_video(path: str, frames: np.ndarray, fps: int) -> None:
    """Encode BGR ``frames`` with FFmpeg in the container ``path`` names."""
    ext = osp.splitext(path)[1]
    if ext not in FFMPEG_CODECS:
        raise ValueError(f'no codec for {ext} videos (known: '
                         f'{", ".join(FFMPEG_CODECS)})')
    if shutil.which('ffmpeg') is None:
        raise SystemExit(
            'ffmpeg is needed to write the fake videos: '
            'apt-get install ffmpeg (tools/install.sh does as root)')
    os.makedirs(osp.dirname(path), exist_ok=True)
    h, w = frames.shape[1:3]
    cmd = [
        'ffmpeg', '-y', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt',
        'bgr24', '-s', f'{w}x{h}', '-r',
        str(fps), '-i', '-', *FFMPEG_CODECS[ext], path
    ]
    subprocess.run(cmd, input=frames.tobytes(), check=True)


def write_text(path: str, lines: Iterable[str]) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.writelines(line + '\n' for line in lines)


def run_tool(cmd: Sequence[str],
             cwd: str,
             log: Callable[[str], None],
             pythonpath: str = REPO) -> None:
    """Run a preparation command in ``cwd``; raise with its output on failure."""
    log('  $ ' + ' '.join(cmd))
    env = dict(os.environ, PYTHONPATH=pythonpath)
    proc = subprocess.run([sys.executable, *cmd],
                          cwd=cwd,
                          env=env,
                          text=True,
                          stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    if proc.returncode:
        raise RuntimeError(f'{" ".join(cmd)} failed in {cwd}:\n' +
                           proc.stdout[-3000:])


def mmaction_data_tool(name: str) -> str:
    path = shipped_file('mmaction', 'tools', 'data', name)
    if not osp.isfile(path):
        raise SystemExit(f'{path} is missing from the mmaction2 installation')
    return path


def build_file_list(root: str, args: Sequence[str],
                    log: Callable[[str], None]) -> None:
    """MMAction2's ``tools/data/build_file_list.py`` as its scripts run it
    (from the toolbox root with ``PYTHONPATH=.``; here ``ROOT`` holds
    ``data/``)."""
    run_tool([mmaction_data_tool('build_file_list.py'), *args],
             root,
             log,
             pythonpath=shipped_file('mmaction'))


def build_rawframes(root: str,
                    src: str,
                    out: str,
                    level: int,
                    ext: str,
                    log: Callable[[str], None],
                    new_short: int = 0) -> None:
    """MMAction2's ``build_rawframes.py --task rgb --use-opencv``
    (``img_00001.jpg`` ...), as its ``extract_rgb_frames_opencv.sh`` runs it."""
    args = [
        mmaction_data_tool('build_rawframes.py'), src, out, '--task', 'rgb',
        '--level',
        str(level), '--ext', ext, '--use-opencv', '--num-worker', '2'
    ]
    if new_short:
        args += ['--new-short', str(new_short)]
    run_tool(args, root, log, pythonpath=shipped_file('mmaction'))


def extract_flow(root: str, video_list: str, video_root: str, flow_root: str,
                 flow_list: str, method: str, log: Callable[[str],
                                                            None]) -> None:
    """What ``tools/extract_flow.py VIDEO_LIST VIDEO_ROOT FLOW_ROOT --out-list
    FLOW_LIST --method METHOD`` does, as configs/off_tsn/README.md runs it
    (``x_00001.jpg``, ``y_00001.jpg`` ...; list ``dir N-1 label``), called
    in this process: twelve lists, one start-up."""
    from data_tools.flow import extract_flow_list
    log(f'  $ tools/extract_flow.py {video_list} {video_root} {flow_root} '
        f'--out-list {flow_list} --method {method}')
    extract_flow_list(
        *(osp.join(root, p) for p in (video_list, video_root, flow_root)),
        out_list=osp.join(root, flow_list),
        method=method,
        progress=False)


# ---------------------------------------------------------------- UCF-101
UCF_CLASSES = ('ApplyEyeMakeup', 'ApplyLipstick', 'Archery')
# one clip in each split's test groups (g01-g07, g08-g14, g15-g21), so every
# split trains on two clips and tests on one, as the official splits do
UCF_GROUPS = (1, 8, 15)


def make_ucf101(root: str, forms: Sequence[str], rng: np.random.Generator,
                flow_method: str, log: Callable[[str], None]) -> List[str]:
    base = osp.join(root, 'data', 'ucf101')
    names = []
    for cls, group in zip(UCF_CLASSES, UCF_GROUPS):
        name = f'{cls}/v_{cls}_g{group:02d}_c01.avi'
        write_video(
            osp.join(base, 'videos', name),
            render_clip(rng, 50, 240, 320)[0],
            fps=25)
        names.append(name)
    ann = osp.join(base, 'annotations')
    write_text(
        osp.join(ann, 'classInd.txt'),
        (f'{i + 1} {c}' for i, c in enumerate(UCF_CLASSES)))
    for split in (1, 2, 3):
        test_groups = range(7 * split - 6, 7 * split + 1)
        test = [n for n, g in zip(names, UCF_GROUPS) if g in test_groups]
        train = [n for n in names if n not in test]
        write_text(
            osp.join(ann, f'trainlist{split:02d}.txt'),
            (f'{n} {UCF_CLASSES.index(n.split("/")[0]) + 1}' for n in train))
        write_text(osp.join(ann, f'testlist{split:02d}.txt'), test)
    prepare_split_dataset(root, 'ucf101', forms, flow_method, log)
    return ['data/ucf101']


# ---------------------------------------------------------------- HMDB-51
HMDB_VIDEOS = (('brush_hair', 'April_09_brush_hair_u_nm_np1_ba_goo_0.avi'),
               ('cartwheel',
                'Acrobacias_de_un_fenomeno_cartwheel_f_cm_np1_ba_bad_8.avi'),
               ('catch', 'Ballfangen_catch_u_cm_np1_fr_goo_0.avi'))


def make_hmdb51(root: str, forms: Sequence[str], rng: np.random.Generator,
                flow_method: str, log: Callable[[str], None]) -> List[str]:
    base = osp.join(root, 'data', 'hmdb51')
    for cls, name in HMDB_VIDEOS:
        write_video(
            osp.join(base, 'videos', cls, name),
            render_clip(rng, 50, 240, 320)[0],
            fps=30)
    for split in (1, 2, 3):
        # 1 = training, 2 = testing; split N tests the N-th clip
        for k, (cls, name) in enumerate(HMDB_VIDEOS):
            write_text(
                osp.join(base, 'annotations', f'{cls}_test_split{split}.txt'),
                [f'{name} {2 if k == split - 1 else 1} '])
    prepare_split_dataset(root, 'hmdb51', forms, flow_method, log)
    return ['data/hmdb51']


def prepare_split_dataset(root: str, dataset: str, forms: Sequence[str],
                          flow_method: str, log: Callable[[str],
                                                          None]) -> None:
    """UCF-101 / HMDB-51: the three splits' lists of each requested form."""
    base = f'data/{dataset}'
    build_file_list(root, [
        dataset, f'{base}/videos/', '--level', '2', '--format', 'videos',
        '--shuffle'
    ], log)
    if 'rawframes' in forms:
        build_rawframes(root, f'{base}/videos/', f'{base}/rawframes/', 2,
                        'avi', log)
        build_file_list(root, [
            dataset, f'{base}/rawframes/', '--level', '2', '--format',
            'rawframes', '--shuffle'
        ], log)
    if 'flow' in forms:
        for split in (1, 2, 3):
            for subset in ('train', 'val'):
                stem = f'{base}/{dataset}_{subset}_split_{split}'
                extract_flow(root, f'{stem}_videos.txt', f'{base}/videos',
                             f'{base}/flow', f'{stem}_flow.txt', flow_method,
                             log)


# ---------------------------------------------------------------- Kinetics-400
K400_VIDEOS = (('train', 'abseiling', '-3B32lodo2M',
                59), ('train', 'air drumming', '--nFcCbzBcs', 3),
               ('val', 'abseiling', '0wR5jVB-WPk', 417))


def make_kinetics400(root: str, forms: Sequence[str], rng: np.random.Generator,
                     flow_method: str, log: Callable[[str],
                                                     None]) -> List[str]:
    if 'flow' in forms:
        raise ValueError('kinetics400: no flow preparation is documented')
    base = osp.join(root, 'data', 'kinetics400')
    rows = {'train': [], 'val': []}
    for subset, label, ytid, start in K400_VIDEOS:
        name = f'{ytid}_{start:06d}_{start + 10:06d}.mp4'
        write_video(
            osp.join(base, f'videos_{subset}', label.replace(' ', '_'), name),
            render_clip(rng, 64, 256, 340)[0],
            fps=30)
        rows[subset].append(f'{label},{ytid},{start},{start + 10},{subset}')
    rows['test'] = ['abseiling,-AbCdEfGhIj,12,22,test']  # not downloaded
    header = 'label,youtube_id,time_start,time_end,split'
    for subset, lines in rows.items():
        write_text(
            osp.join(base, 'annotations', f'kinetics_{subset}.csv'),
            [header, *lines])
    for subset in ('train', 'val'):
        build_file_list(root, [
            'kinetics400', f'data/kinetics400/videos_{subset}/', '--level',
            '2', '--format', 'videos', '--num-split', '1', '--subset', subset,
            '--shuffle'
        ], log)
        if 'rawframes' in forms:
            build_rawframes(
                root,
                f'data/kinetics400/videos_{subset}/',
                f'data/kinetics400/rawframes_{subset}/',
                2,
                'mp4',
                log,
                new_short=256)
            build_file_list(root, [
                'kinetics400', f'data/kinetics400/rawframes_{subset}/',
                '--level', '2', '--format', 'rawframes', '--num-split', '1',
                '--subset', subset, '--shuffle'
            ], log)
    return ['data/kinetics400']


# ---------------------------------------------------------------- Something-Something V2
STHV2_TEMPLATES = ('Approaching something with your camera',
                   'Attaching something to something')
STHV2_VIDEOS = (('train', '78687', 0), ('train', '42326', 1), ('val', '74225',
                                                               1))


def make_sthv2(root: str, forms: Sequence[str], rng: np.random.Generator,
               flow_method: str, log: Callable[[str], None]) -> List[str]:
    if 'flow' in forms:
        raise ValueError('sthv2: no flow preparation is documented')
    base = osp.join(root, 'data', 'sthv2')
    ann = osp.join(base, 'annotations')
    os.makedirs(ann, exist_ok=True)
    items = {'train': [], 'val': []}
    for subset, vid, label in STHV2_VIDEOS:
        write_video(
            osp.join(base, 'videos', f'{vid}.webm'),
            render_clip(rng, 48, 240, 427)[0],
            fps=12)
        template = STHV2_TEMPLATES[label]
        items[subset].append(
            dict(
                id=vid,
                label=template.replace('something', 'a cup'),
                template=template.replace('something', '[something]'),
                placeholders=['a cup'] * template.count('something')))
    files = {
        'labels': {
            t: str(i)
            for i, t in enumerate(STHV2_TEMPLATES)
        },
        'train': items['train'],
        'validation': items['val'],
        'test': [dict(id='1420')],  # not downloaded
    }
    for name, content in files.items():
        with open(osp.join(ann, f'something-something-v2-{name}.json'),
                  'w') as f:
            json.dump(content, f)
    for subset in ('train', 'val'):
        build_file_list(root, [
            'sthv2', 'data/sthv2/videos/', '--num-split', '1', '--level', '1',
            '--subset', subset, '--format', 'videos', '--shuffle'
        ], log)
    if 'rawframes' in forms:
        build_rawframes(root, 'data/sthv2/videos/', 'data/sthv2/rawframes/', 1,
                        'webm', log)
        for subset in ('train', 'val'):
            build_file_list(root, [
                'sthv2', 'data/sthv2/rawframes/', '--num-split', '1',
                '--level', '1', '--subset', subset, '--format', 'rawframes',
                '--shuffle'
            ], log)
    return ['data/sthv2']


# ---------------------------------------------------------------- ImageNet VID
def vid_xml(folder: str, filename: str, width: int, height: int,
            objects: Sequence[Tuple[str, List[int],
                                    int]], database: str) -> str:
    """An ILSVRC annotation: ``objects`` are ``(synset, [x1, y1, x2, y2],
    track id or -1 for DET)``; coordinates in the release's inclusive pixels."""
    parts = [
        f'<annotation>\n\t<folder>{folder}</folder>\n'
        f'\t<filename>{filename}</filename>\n'
        f'\t<source>\n\t\t<database>{database}</database>\n\t</source>\n'
        f'\t<size>\n\t\t<width>{width}</width>\n'
        f'\t\t<height>{height}</height>\n\t</size>\n'
    ]
    for synset, (x1, y1, x2, y2), track in objects:
        track_tag = f'\t\t<trackid>{track}</trackid>\n' if track >= 0 else ''
        tail = ('\t\t<occluded>0</occluded>\n\t\t<generated>0</generated>\n'
                if track >= 0 else '')
        parts.append(f'\t<object>\n{track_tag}\t\t<name>{synset}</name>\n'
                     f'\t\t<bndbox>\n\t\t\t<xmax>{x2 - 1}</xmax>\n'
                     f'\t\t\t<xmin>{x1}</xmin>\n\t\t\t<ymax>{y2 - 1}</ymax>\n'
                     f'\t\t\t<ymin>{y1}</ymin>\n\t\t</bndbox>\n{tail}'
                     '\t</object>\n')
    parts.append('</annotation>\n')
    return ''.join(parts)


def write_vid_frames(base: str, kind: str, rel: str, frames: np.ndarray,
                     objects_per_frame, database: str) -> None:
    """``Data/<kind>/<rel>/<000000>.JPEG`` and the matching XML files."""
    h, w = frames.shape[1:3]
    for top in ('Data', 'Annotations'):
        os.makedirs(osp.join(base, top, kind, rel), exist_ok=True)
    for t, frame in enumerate(frames):
        name = f'{t:06d}'
        cv2.imwrite(osp.join(base, 'Data', kind, rel, name + '.JPEG'), frame)
        with open(
                osp.join(base, 'Annotations', kind, rel, name + '.xml'),
                'w') as f:
            f.write(
                vid_xml(
                    rel.split('/', 1)[-1], name, w, h, objects_per_frame[t],
                    database))


def make_ilsvrc(root: str, forms: Sequence[str], rng: np.random.Generator,
                flow_method: str, log: Callable[[str], None]) -> List[str]:
    base = osp.join(root, 'data', 'ILSVRC2015')
    airplane, dog = VID_SYNSETS[0], VID_SYNSETS[8]
    # VID: a 3-frame training snippet whose first frame has no object (the
    # dataset filters it; 2 training samples), a 2-frame validation snippet
    train_rel = 'train/ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000'
    frames, boxes = render_clip(rng, 3, 720, 1280)
    write_vid_frames(base, 'VID', train_rel, frames,
                     [[]] + [[(airplane, b, 0)] for b in boxes[1:]],
                     'ILSVRC_2015')
    val_rel = 'val/ILSVRC2015_val_00000000'
    frames, boxes = render_clip(rng, 2, 720, 1280)
    write_vid_frames(base, 'VID', val_rel, frames,
                     [[(dog, b, 0)] for b in boxes], 'ILSVRC_2015')
    # DET: one image with a VID class, one without (not in the 30-class list)
    det_dir = osp.join(base, '{}', 'DET', 'train', 'ILSVRC2014_train_0000')
    det_images = (('ILSVRC2014_train_00000663', dog),
                  ('ILSVRC2014_train_00000664', 'n01443537'))  # goldfish
    for name, synset in det_images:
        frames, boxes = render_clip(rng, 1, 375, 500)
        for top in ('Data', 'Annotations'):
            os.makedirs(det_dir.format(top), exist_ok=True)
        cv2.imwrite(
            osp.join(det_dir.format('Data'), name + '.JPEG'), frames[0])
        with open(osp.join(det_dir.format('Annotations'), name + '.xml'),
                  'w') as f:
            f.write(
                vid_xml('ILSVRC2014_train_0000', name, 500, 375,
                        [(synset, boxes[0], -1)], 'ILSVRC_2014'))
    sets = osp.join(base, 'ImageSets')
    write_text(osp.join(sets, 'VID', 'train_1.txt'), [f'{train_rel} 1'])
    write_text(
        osp.join(sets, 'VID', f'train_{VID_SYNSETS.index(airplane) + 1}.txt'),
        [f'{train_rel} 1'])
    write_text(
        osp.join(sets, 'VID', 'val.txt'),
        [f'{val_rel}/{t:06d} {t + 1}' for t in range(2)])
    write_text(
        osp.join(sets, 'DET_train_30classes.txt'),
        [f'train/ILSVRC2014_train_0000/{det_images[0][0]} 1'])
    os.symlink('ILSVRC2015', osp.join(root, 'data', 'ILSVRC'))
    # configs/rfcn_off/README.md, "Data preparation"
    tool = osp.join(REPO, 'tools', 'vid', 'ilsvrc_to_cocovid.py')
    ilsvrc = 'data/ILSVRC'
    for args, out in (([
            '--split', 'VID/train', '--split', 'DET/train', '--image-list',
            f'{ilsvrc}/ImageSets/DET_train_30classes.txt'
    ], 'imagenet_vid_det30_train.json'), (['--split', 'VID/val'],
                                          'imagenet_vid_val.json')):
        run_tool([
            tool, ilsvrc, *args, '--out', f'{ilsvrc}/annotations/{out}',
            '--check-images'
        ], root, log)
    return ['data/ILSVRC2015', 'data/ILSVRC']


# ---------------------------------------------------------------- Vimeo-90K
VIMEO_CLIPS = (('train', '00001/0001'), ('train', '00001/0002'),
               ('test', '00002/0001'))


def make_vimeo90k(root: str, forms: Sequence[str], rng: np.random.Generator,
                  flow_method: str, log: Callable[[str], None]) -> List[str]:
    base = osp.join(root, 'data', 'vimeo90k')
    for _, clip in VIMEO_CLIPS:
        frames = render_clip(rng, 7, 256, 448)[0]
        os.makedirs(osp.join(base, 'sequences', clip))
        for t, frame in enumerate(frames):
            cv2.imwrite(
                osp.join(base, 'sequences', clip, f'im{t + 1}.png'), frame)
    for subset in ('train', 'test'):
        write_text(
            osp.join(base, f'sep_{subset}list.txt'),
            [c for s, c in VIMEO_CLIPS if s == subset])
    # configs/dncnn_off/README.md, "Data"
    run_tool([
        osp.join(REPO, 'tools', 'restoration', 'compress_vimeo.py'),
        'data/vimeo90k', '--q', '20', '40', '--workers', '2'
    ], root, log)
    return ['data/vimeo90k']


MAKERS = {
    'ucf101': make_ucf101,
    'hmdb51': make_hmdb51,
    'kinetics400': make_kinetics400,
    'sthv2': make_sthv2,
    'ILSVRC': make_ilsvrc,
    'vimeo90k': make_vimeo90k,
}


def marker_path(root: str, dataset: str) -> str:
    return osp.join(root, 'data', f'.fake-{dataset}.json')


def make_dataset(root: str,
                 dataset: str,
                 forms: Sequence[str] = ('videos', ),
                 flow_method: str = 'farneback',
                 seed: int = 0,
                 log: Callable[[str], None] = print) -> Dict:
    """Make ``ROOT/data/<dataset>`` unless the same one is complete there.

    Args:
        root: folder that receives ``data/``.
        dataset: a key of :data:`MAKERS`.
        forms: for the recognition datasets, which of ``videos``,
            ``rawframes``, ``flow`` to prepare (videos and their lists are
            always made); ignored by the others.
        flow_method: ``tools/extract_flow.py --method``.

    Returns:
        The marker's content: ``dataset``, ``forms``, ``paths`` (made, relative
        to ``root``), ``version``.
    """
    if dataset not in MAKERS:
        raise ValueError(f'no fake layout for dataset {dataset!r} (known: '
                         f'{", ".join(MAKERS)})')
    bad = sorted(set(forms) - set(RECOGNITION_FORMS))
    if bad:
        raise ValueError(f'unknown forms {bad}; expected some of '
                         f'{RECOGNITION_FORMS}')
    if flow_method not in FLOW_METHODS:
        raise ValueError(f'flow_method must be one of {FLOW_METHODS}, '
                         f'got {flow_method!r}')
    forms = sorted(set(forms) | {'videos'})
    want = dict(
        dataset=dataset,
        forms=forms,
        flow_method=flow_method,
        seed=seed,
        version=LAYOUT_VERSIONS.get(dataset, 1))
    marker = marker_path(root, dataset)
    if osp.isfile(marker):
        with open(marker) as f:
            have = json.load(f)
        if all(have.get(k) == v for k, v in want.items()):
            return have
        remove_dataset(root, have.get('paths', []))
        os.remove(marker)
    # leftovers of an interrupted run
    maker_paths = {'ILSVRC': ['data/ILSVRC2015', 'data/ILSVRC']}
    remove_dataset(root, maker_paths.get(dataset, [f'data/{dataset}']))
    log(f'making fake {dataset} ({", ".join(forms)}) under {root}/data')
    paths = MAKERS[dataset](root, forms, np.random.default_rng(seed),
                            flow_method, log)
    done = dict(want, paths=paths)
    atomic_write_text(marker, json.dumps(done, indent=1))
    return done


def remove_dataset(root: str, paths: Sequence[str]) -> None:
    for rel in paths:
        path = osp.join(root, rel)
        if osp.islink(path):
            os.remove(path)
        elif osp.isdir(path):
            shutil.rmtree(path)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='folder that receives data/')
    parser.add_argument(
        'datasets',
        nargs='+',
        metavar='DATASET[:FORMS]',
        help=f'one of {", ".join(MAKERS)}, optionally with '
        'forms, e.g. ucf101:videos,flow')
    parser.add_argument(
        '--flow-method', choices=FLOW_METHODS, default='farneback')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    for item in args.datasets:
        name, _, forms = item.partition(':')
        make_dataset(
            osp.abspath(args.root), name,
            forms.split(',') if forms else ('videos', ), args.flow_method)
    return 0


if __name__ == '__main__':
    sys.exit(main())
