"""JPEG2000 round trips of Vimeo-90K clips, as the paper made its inputs.

The paper used FFmpeg's ``jpeg2000`` encoder at ``-q:v 20`` and ``-q:v 40``.
Each clip is encoded and decoded back to PNG. Every output frame is written
to a temporary folder beside its clip and moved into place with
``os.replace``, so an interrupted run never leaves a half-written frame and a
rerun skips the clips that are complete.

Fallback without FFmpeg: Pillow's OpenJPEG encoder with a PSNR target
(``quality_mode='dB'``), one target per q, calibrated so that the mean input
PSNR matches FFmpeg's on real footage (see ``configs/dncnn_off/README.md``).
The two encoders do not make identical artifacts; results with the fallback
are not comparable with Table 9.
"""
import io
import os
import os.path as osp
import shutil
import subprocess
import tempfile
import time
from multiprocessing import Pool
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
from off_plugins.restoration.quality import psnr
from off_plugins.restoration.vimeo import ClipError
from PIL import Image

BACKENDS = ('ffmpeg', 'pillow')
# Pillow/OpenJPEG dB targets that give FFmpeg's mean RGB PSNR at -q:v 20 / 40
# (35.97 / 33.98 dB) on 30 centre frames of the real footage of
# tools/restoration/run_real_footage.py, measured with
# ``compress_vimeo.py work_dirs/real_footage/data --calibrate 30``.
PILLOW_DB_TARGETS = {20: 36.8, 40: 34.9}
TMP_PREFIX = '.tmp-'


def find_ffmpeg() -> Optional[str]:
    """Path of the ffmpeg executable, or None."""
    return shutil.which('ffmpeg')


def resolve_backend(backend: str) -> str:
    """``'auto'`` picks ffmpeg when installed, else the Pillow fallback."""
    if backend == 'auto':
        return 'ffmpeg' if find_ffmpeg() else 'pillow'
    if backend not in BACKENDS:
        raise ValueError(f"backend must be 'auto' or one of {BACKENDS}, "
                         f'got {backend!r}')
    if backend == 'ffmpeg' and not find_ffmpeg():
        raise RuntimeError(
            'ffmpeg was not found on PATH. Install it (Debian: apt-get install '
            '-y ffmpeg) to compress as the paper did, or pass --backend '
            'pillow for the calibrated Pillow/OpenJPEG fallback.')
    return backend


def clip_frames(clip_dir: str, clip: str, clip_length: int) -> List[str]:
    """The frame names ``im1.png .. imK.png`` of a source clip, all present."""
    names = [f'im{i}.png' for i in range(1, clip_length + 1)]
    missing = [n for n in names if not osp.isfile(osp.join(clip_dir, n))]
    if missing:
        raise ClipError(f'clip {clip}: missing source frames {missing} in '
                        f'{clip_dir}')
    return names


def _ffmpeg_round_trip(src_dir: str, tmp_dir: str, q: int) -> None:
    """Encode ``im%d.png`` to JPEG2000 at ``-q:v q`` and decode back to PNG."""
    common = ['ffmpeg', '-nostdin', '-loglevel', 'error', '-y']
    subprocess.run(
        common + [
            '-start_number', '1', '-i',
            osp.join(src_dir, 'im%d.png'), '-c:v', 'jpeg2000', '-q:v',
            str(q), '-start_number', '1',
            osp.join(tmp_dir, 'im%d.j2k')
        ],
        check=True)
    subprocess.run(
        common + [
            '-start_number', '1', '-i',
            osp.join(tmp_dir, 'im%d.j2k'), '-pix_fmt', 'rgb24',
            '-start_number', '1',
            osp.join(tmp_dir, 'im%d.png')
        ],
        check=True)


def pillow_round_trip(img: np.ndarray, target_db: float) -> np.ndarray:
    """(H, W, 3) uint8 through OpenJPEG at a PSNR target, decoded back."""
    buf = io.BytesIO()
    Image.fromarray(img).save(
        buf, 'JPEG2000', quality_mode='dB', quality_layers=[target_db])
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert('RGB'))


def _pillow_clip(src_dir: str, tmp_dir: str, names: List[str], q: int) -> None:
    if q not in PILLOW_DB_TARGETS:
        raise ValueError(f'the Pillow fallback is calibrated for q in '
                         f'{sorted(PILLOW_DB_TARGETS)}, got {q}')
    for name in names:
        img = np.asarray(Image.open(osp.join(src_dir, name)).convert('RGB'))
        out = pillow_round_trip(img, PILLOW_DB_TARGETS[q])
        Image.fromarray(out).save(osp.join(tmp_dir, name))


def remove_stale_tmp(out_root: str) -> int:
    """Remove temporary folders an interrupted run left under ``out_root``.

    Returns how many were removed. Call only when no other run writes there.
    """
    removed = 0
    if not osp.isdir(out_root):
        return removed
    for entry in os.scandir(out_root):
        if entry.is_dir():
            for sub in os.scandir(entry.path):
                if sub.is_dir() and sub.name.startswith(TMP_PREFIX):
                    shutil.rmtree(sub.path)
                    removed += 1
    return removed


def compress_clip(src_dir: str,
                  dst_dir: str,
                  q: int,
                  backend: str,
                  clip: str,
                  clip_length: int = 7) -> bool:
    """Write the JPEG2000 round trip of one clip into ``dst_dir``.

    Returns False (and does nothing) when every frame is already there.
    """
    names = clip_frames(src_dir, clip, clip_length)
    if all(osp.isfile(osp.join(dst_dir, n)) for n in names):
        return False
    parent = osp.dirname(osp.abspath(dst_dir))
    os.makedirs(dst_dir, exist_ok=True)
    tmp_dir = tempfile.mkdtemp(prefix=TMP_PREFIX, dir=parent)
    try:
        if backend == 'ffmpeg':
            _ffmpeg_round_trip(src_dir, tmp_dir, q)
        else:
            _pillow_clip(src_dir, tmp_dir, names, q)
        for name in names:
            os.replace(osp.join(tmp_dir, name), osp.join(dst_dir, name))
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return True


def read_clip_list(path: str) -> List[str]:
    """Clip names of a ``sep_*list.txt`` file."""
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def _compress_job(job: tuple) -> bool:
    return compress_clip(*job)


def compress_dataset(data_root: str,
                     qs: Sequence[int],
                     lists: Sequence[str] = ('sep_trainlist.txt',
                                             'sep_testlist.txt'),
                     backend: str = 'auto',
                     workers: int = 1,
                     gt_prefix: str = 'sequences',
                     out_prefix: str = 'sequences_jpeg2000_q{q}',
                     log: Callable[[str], None] = print) -> Dict[int, int]:
    """Compress every listed clip at every q; resumable.

    Returns, per q, the number of clips written in this run (complete clips
    are skipped). ``log`` receives the progress lines.
    """
    backend = resolve_backend(backend)
    clips = sorted({
        c
        for name in lists
        for c in read_clip_list(osp.join(data_root, name))
    })
    written = {}
    for q in qs:
        out_root = osp.join(data_root, out_prefix.format(q=q))
        stale = remove_stale_tmp(out_root)
        log(f'q={q}: {len(clips)} clips -> {out_root} ({backend}' +
            (f', removed {stale} stale temporary folders' if stale else '') +
            ')')
        jobs = [(osp.join(data_root, gt_prefix, c), osp.join(out_root,
                                                             c), q, backend, c)
                for c in clips]
        start, done, new = time.time(), 0, 0
        step = max(1, len(jobs) // 20)
        with Pool(workers) as pool:
            for did in pool.imap(_compress_job, jobs, chunksize=4):
                done += 1
                new += did
                if done % step == 0 or done == len(jobs):
                    rate = done / max(time.time() - start, 1e-6)
                    log(f'  q={q}: {done}/{len(jobs)} clips '
                        f'({new} written, {done - new} already done), '
                        f'{rate:.1f} clips/s, '
                        f'ETA {(len(jobs) - done) / rate:.0f} s')
        written[q] = new
    return written


def ffmpeg_round_trip(img: np.ndarray, q: int) -> np.ndarray:
    """(H, W, 3) uint8 through FFmpeg's JPEG2000 at ``-q:v q``, decoded back."""
    resolve_backend('ffmpeg')
    with tempfile.TemporaryDirectory() as src, \
            tempfile.TemporaryDirectory() as tmp:
        Image.fromarray(img).save(osp.join(src, 'im1.png'))
        _ffmpeg_round_trip(src, tmp, q)
        return np.asarray(Image.open(osp.join(tmp, 'im1.png')).convert('RGB'))


def calibrate_pillow(images: Sequence[np.ndarray],
                     q: int,
                     low: float = 25.0,
                     high: float = 60.0,
                     steps: int = 12) -> Dict[str, float]:
    """The Pillow dB target whose mean PSNR on ``images`` matches FFmpeg's.

    Returns ``dict(ffmpeg_psnr, target_db, pillow_psnr)``; bisection on the
    target, the mean PSNR growing with it.
    """
    ref = float(np.mean([psnr(ffmpeg_round_trip(i, q), i) for i in images]))

    def pillow_mean(db):
        return float(
            np.mean([psnr(pillow_round_trip(i, db), i) for i in images]))

    for _ in range(steps):
        mid = (low + high) / 2
        low, high = (mid, high) if pillow_mean(mid) < ref else (low, mid)
    target = round((low + high) / 2, 1)
    return dict(
        ffmpeg_psnr=ref, target_db=target, pillow_psnr=pillow_mean(target))
