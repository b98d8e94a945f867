"""TV-L1 optical flow of a video list, written in MMAction2's rawframes layout.

For a video of N frames, flow ``i`` (``i = 1 .. N-1``) is the flow from frame
``i-1`` to frame ``i`` (0-based frames). Its x and y components, clipped to
``+-bound`` and mapped to uint8 by MMAction2's own ``flow_to_img``, are saved as
grayscale JPEGs ``x_{i:05d}.jpg`` and ``y_{i:05d}.jpg`` (the flow template
``'{}_{:05d}.jpg'`` with start index 1 that ``RawframeDataset`` reads) under
``out_root/<video path relative to the video root, without extension>/``.

Videos are decoded with decord, the decoder of the RGB pipelines, so the flow
stream has exactly one frame fewer than the RGB stream.

Writes are atomic per video: the frames go into a sibling ``<dest>.tmp-<pid>``
directory, each is read back, a ``flow_meta.json`` is added, and only then is
the directory renamed to ``<dest>``. A final directory therefore exists only
when complete; a rerun skips it without recomputing and removes and redoes any
``*.tmp-*`` left by a killed run. A final directory whose files do not match
its ``flow_meta.json`` (or that has none, e.g. written by another tool) is an
error naming it, not silently redone: delete it to redo it. Atomicity holds
against a killed process, not a power loss (files are not fsync'ed). One
extraction per ``out_root`` at a time: a run holds an exclusive lock on
``out_root/.extract_flow.lock`` (``flock``, released by the kernel when the
process ends, even by SIGKILL), and a second run into the same folder stops
with an error naming the holder instead of removing the first one's
``*.tmp-*`` work in progress.
"""
import glob
import importlib.util
import io
import json
import math
import multiprocessing
import os
import os.path as osp
import shutil
import sys
import time
import uuid
from contextlib import contextmanager
from functools import lru_cache
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar
from off_plugins.utils import atomic_write_text, shipped_file

FLOW_TMPL = '{}_{:05d}.jpg'
START_INDEX = 1
METHODS = ('tvl1', 'farneback')
META_NAME = 'flow_meta.json'
TIMING_NAME = 'flow_timing.json'
LOCK_NAME = '.extract_flow.lock'
DECODE_BATCH = 32


@contextmanager
def extraction_lock(out_root: str) -> Iterator[None]:
    """Hold the exclusive extraction lock of ``out_root`` (created if needed).

    Raises:
        RuntimeError: another process holds it; the message names the
            folder and that process's id.
    """
    import fcntl
    os.makedirs(out_root, exist_ok=True)
    path = osp.join(out_root, LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors='replace').strip()
            raise RuntimeError(
                f'{out_root} is being written by another flow extraction '
                f'(process {holder or "?"} holds {path}); wait for it to '
                'finish or extract into another folder') from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f'{os.getpid()}\n'.encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


@lru_cache(maxsize=None)
def toolbox_flow_tool():
    """MMAction2's ``tools/misc/flow_extraction.py``, loaded from the wheel.

    Returns:
        The module; ``flow_to_img(raw_flow: (H, W) float, bound) -> (H, W)
        uint8`` is what this module uses from it.
    """
    try:
        path = shipped_file('mmaction', 'tools', 'misc', 'flow_extraction.py')
    except ModuleNotFoundError as err:
        raise ImportError('mmaction2 is not installed: flow extraction needs '
                          'its tools/misc/flow_extraction.py') from err
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} is missing from the mmaction2 '
                                'installation (it provides flow_to_img)')
    tool_spec = importlib.util.spec_from_file_location(
        'mmaction_tools_flow_extraction', path)
    module = importlib.util.module_from_spec(tool_spec)
    tool_spec.loader.exec_module(module)
    return module


def flow_to_img(raw_flow: np.ndarray, bound: float) -> np.ndarray:
    """MMAction2's quantisation: ``(H, W)`` float flow -> ``(H, W)`` uint8."""
    return toolbox_flow_tool().flow_to_img(raw_flow, bound)


@lru_cache(maxsize=None)
def flow_op(method: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The flow estimator of ``method``, built once per process.

    Args:
        method: ``'tvl1'`` (OpenCV's Dual TV-L1 with its default parameters)
            or ``'farneback'`` (the parameters of MMAction2's tool).

    Returns:
        ``op(prev: (H, W) uint8, next: (H, W) uint8) -> (H, W, 2) float32``,
        the flow from ``prev`` to ``next`` (channel 0 is x, 1 is y).
    """
    check_method(method)
    if method == 'tvl1':
        tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
        return lambda prev, nxt: tvl1.calc(prev, nxt, None)
    return lambda prev, nxt: cv2.calcOpticalFlowFarneback(
        prev, nxt, None, 0.5, 3, 15, 3, 5, 1.2, 0)


def check_method(method: str) -> None:
    """Raise ``ValueError`` unless ``method`` is one of :data:`METHODS`."""
    if method not in METHODS:
        raise ValueError(f'method must be one of {METHODS}, got {method!r}')


def check_bound(bound: float) -> None:
    """Raise ``ValueError`` unless ``bound`` is a finite positive number."""
    if isinstance(bound, bool) or not isinstance(bound, (int, float)) \
            or not 0 < bound < math.inf:
        raise ValueError(f'bound must be a finite number > 0, got {bound!r}')


def open_video(path: str):
    """Open ``path`` with decord and check it has at least 2 frames.

    Returns:
        ``(reader, num_frames)``; errors start with ``path``.
    """
    import decord
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: video not found')
    try:
        reader = decord.VideoReader(path, num_threads=1)
    except Exception as err:
        raise RuntimeError(f'{path}: cannot open video ({err})') from err
    num_frames = len(reader)
    if num_frames < 2:
        raise ValueError(f'{path}: video has {num_frames} frame(s); flow '
                         'needs at least 2')
    return reader, num_frames


def gray_frames(path: str, reader, num_frames: int) -> Iterator[np.ndarray]:
    """Decode the video frame by frame, in batches of :data:`DECODE_BATCH`.

    Yields:
        ``(H, W)`` uint8 grayscale frames, ``num_frames`` of them.
    """
    for start in range(0, num_frames, DECODE_BATCH):
        inds = list(range(start, min(start + DECODE_BATCH, num_frames)))
        try:
            batch = reader.get_batch(inds).asnumpy()  # (B, H, W, 3) RGB
        except Exception as err:
            raise RuntimeError(f'{path}: cannot decode frames {inds[0]}..'
                               f'{inds[-1]} ({err})') from err
        for frame in batch:
            yield cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def write_gray_jpeg(path: str, img: np.ndarray) -> None:
    """Write ``img`` ``(H, W)`` uint8 with ``cv2.imwrite`` and read it back.

    Raises ``OSError`` naming ``path`` if writing fails or the file does not
    decode to an image of the same size.
    """
    if not cv2.imwrite(path, img):
        raise OSError(f'{path}: cv2.imwrite failed')
    back = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if back is None or back.shape != img.shape:
        raise OSError(f'{path}: written image does not read back as '
                      f'{img.shape[0]}x{img.shape[1]}')


def flow_names(num_flows: int) -> List[str]:
    """File names of ``num_flows`` flow frames, x and y, start index 1."""
    return [
        FLOW_TMPL.format(axis, i)
        for i in range(START_INDEX, START_INDEX + num_flows)
        for axis in ('x', 'y')
    ]


def remove_stale_tmp(dest: str) -> int:
    """Remove ``<dest>.tmp-*`` directories left by killed runs; return how many."""
    stale = glob.glob(glob.escape(dest) + '.tmp-*')
    for path in stale:
        shutil.rmtree(path)
    return len(stale)


def finished_meta(dest: str, bound: float, method: str) -> Optional[dict]:
    """The ``flow_meta.json`` of a finished ``dest``, or None if ``dest`` is absent.

    Raises:
        ValueError: naming ``dest`` if it exists but is incomplete (files do
            not match its meta, or no meta) or was extracted with another
            ``bound``/``method``.
    """
    if not osp.exists(dest):
        return None
    meta_path = osp.join(dest, META_NAME)
    try:
        with open(meta_path) as f:
            meta = json.load(f)
        expected = set(flow_names(meta['flow_frames'])) | {META_NAME}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f'{dest}: exists but has no valid {META_NAME} '
                         f'({err}); it was not written by this tool or is '
                         'corrupt: delete it to redo it') from err
    found = set(os.listdir(dest))
    if found != expected:
        raise ValueError(
            f'{dest}: incomplete or corrupt, {len(found)} files where '
            f'{len(expected)} are expected ({len(expected - found)} missing, '
            f'{len(found - expected)} unexpected): delete it to redo it')
    if meta.get('bound') != bound or meta.get('method') != method:
        raise ValueError(
            f'{dest}: was extracted with method={meta.get("method")!r}, '
            f'bound={meta.get("bound")!r}, not method={method!r}, '
            f'bound={bound!r}: delete it or use another out_root')
    return meta


def extract_video_flow(video_path: str,
                       dest: str,
                       bound: float = 20.,
                       method: str = 'tvl1',
                       run: str = '') -> dict:
    """Extract the flow frames of one video into ``dest``, atomically.

    A finished ``dest`` is skipped; stale ``<dest>.tmp-*`` are removed first.

    Args:
        video_path: the video; N >= 2 frames.
        dest: final directory of the N-1 ``x_*.jpg``/``y_*.jpg`` pairs, each
            ``(H, W)`` uint8.
        bound: flow magnitude (pixels) mapped to 0 and 255.
        method: ``'tvl1'`` or ``'farneback'``.
        run: id of this run, stored in the meta.

    Returns:
        The meta: ``frames`` (N), ``flow_frames`` (N-1), ``seconds`` (decode,
        flow and write wall time), ``bound``, ``method``, ``run`` (the run
        that computed it), plus ``skipped`` (True if ``dest`` was finished).
    """
    check_bound(bound)
    check_method(method)
    remove_stale_tmp(dest)
    meta = finished_meta(dest, bound, method)
    if meta is not None:
        return dict(meta, skipped=True)
    return dict(
        _compute_video_flow(video_path, dest, bound, method, run),
        skipped=False)


def _compute_video_flow(video_path: str, dest: str, bound: float, method: str,
                        run: str) -> dict:
    """Decode, estimate and write the flow of one video into ``dest``.

    The arguments are checked, no stale temporary directory is left and
    ``dest`` does not exist (:func:`extract_video_flow` and
    :func:`extract_flow_list` see to it). Returns the meta written.
    """
    start = time.perf_counter()
    reader, num_frames = open_video(video_path)
    op = flow_op(method)
    tmp = f'{dest}.tmp-{os.getpid()}'
    os.makedirs(tmp)
    try:
        frames = gray_frames(video_path, reader, num_frames)
        prev = next(frames)
        for i, frame in enumerate(frames, START_INDEX):
            flow = op(prev, frame)  # (H, W, 2) float32
            write_gray_jpeg(
                osp.join(tmp, FLOW_TMPL.format('x', i)),
                flow_to_img(flow[..., 0], bound))
            write_gray_jpeg(
                osp.join(tmp, FLOW_TMPL.format('y', i)),
                flow_to_img(flow[..., 1], bound))
            prev = frame
        meta = dict(
            video=video_path,
            frames=num_frames,
            flow_frames=num_frames - 1,
            bound=bound,
            method=method,
            seconds=round(time.perf_counter() - start, 4),
            run=run)
        with open(osp.join(tmp, META_NAME), 'w') as f:
            json.dump(meta, f, indent=1)
        os.rename(tmp, dest)
    finally:
        if osp.exists(tmp):
            shutil.rmtree(tmp)
    return meta


def read_video_list(list_file: str) -> List[Tuple[str, str]]:
    """Parse an MMAction2 video list, ``relative/path.mp4 label [label ...]``.

    Blank lines are ignored.

    Returns:
        ``[(relative video path, label text), ...]`` in file order.

    Raises:
        FileNotFoundError: naming ``list_file`` if it does not exist.
        ValueError: naming ``list_file`` and the line number of a line without
            an integer label, or whose path is absolute or leaves the root.
    """
    if not osp.isfile(list_file):
        raise FileNotFoundError(f'{list_file}: video list not found')
    entries = []
    with open(list_file) as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            where = f'{list_file}:{lineno}'
            if len(parts) < 2 or not all(p.isdigit() for p in parts[1:]):
                raise ValueError(f'{where}: expected "relative/path.mp4 '
                                 f'label", got {line.rstrip()!r}')
            rel = parts[0]
            if osp.isabs(rel) or osp.normpath(rel).split(os.sep)[0] == '..':
                raise ValueError(f'{where}: video path must be relative to '
                                 f'the video root, got {rel!r}')
            entries.append((rel, ' '.join(parts[1:])))
    return entries


def flow_dir_name(rel_video: str) -> str:
    """Output directory of a video, relative: its path without extension."""
    return osp.splitext(osp.normpath(rel_video))[0]


def _init_worker() -> None:
    """Pool initializer: one OpenCV thread per worker process."""
    cv2.setNumThreads(1)


def _extract_job(
        job: Tuple[str, str, str, float, str, str]) -> Tuple[str, dict]:
    """Pool task: ``(rel, video_path, dest, bound, method, run)`` -> ``(rel, meta)``.

    ``extract_flow_list`` has checked the arguments, cleared stale temporary
    directories and found ``dest`` unfinished before queueing the job.
    """
    rel, video_path, dest, bound, method, run = job
    return rel, _compute_video_flow(video_path, dest, bound, method, run)


def extract_flow_list(list_file: str,
                      video_root: str,
                      out_root: str,
                      out_list: Optional[str] = None,
                      workers: int = 1,
                      bound: float = 20.,
                      method: str = 'tvl1',
                      progress: bool = True) -> Dict[str, object]:
    """Extract the flow of every video of an MMAction2 video list; resumable.

    Writes, besides the flow directories (see the module docstring):

    - ``out_list`` (if given): the ``RawframeDataset`` list, one line
      ``relative/dir N-1 label`` per input line, in input order.
    - ``out_root/flow_timing.json``: ``{relative video path: {"frames": N,
      "flow_frames": N-1, "seconds": s, "run": id}}``, merged into any earlier
      manifest; ``run`` is the id of the run that computed the video, so
      videos skipped now keep the timing of the run that made them.

    Both files are written atomically after all videos succeeded. Every video
    is checked to exist before any is extracted; the first failing video
    stops the run (finished videos stay finished). The run holds
    :func:`extraction_lock` of ``out_root``: a second run into the same
    folder raises ``RuntimeError`` before touching anything.

    Args:
        list_file: video list, ``relative/path.mp4 label`` per line.
        video_root: directory the list's paths are relative to.
        out_root: root of the flow directories.
        out_list: path of the rawframes list to write, or None.
        workers: processes (>= 1); > 1 uses a ``multiprocessing.Pool`` with
            one OpenCV thread per process.
        bound: flow magnitude (pixels) mapped to 0 and 255.
        method: ``'tvl1'`` or ``'farneback'``.
        progress: print what is to do, then mmengine's ``ProgressBar``
            over the videos to compute, to stdout.

    Returns:
        ``videos`` (distinct videos), ``computed``, ``skipped``, ``seconds``
        (wall time of this run) and ``seconds_per_video`` (``seconds /
        computed``, so it includes the speed-up of ``workers``; None when
        nothing was computed).
    """
    if isinstance(workers,
                  bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f'workers must be an int >= 1, got {workers!r}')
    check_bound(bound)
    check_method(method)
    start = time.perf_counter()
    run = f'{time.strftime("%Y-%m-%dT%H:%M:%S")}-{uuid.uuid4().hex[:8]}'

    entries = read_video_list(list_file)
    videos: Dict[str, str] = {}  # rel video -> flow dir, first occurrence
    owners: Dict[str, str] = {}  # flow dir -> rel video
    for rel, _ in entries:
        if rel in videos:
            continue
        name = flow_dir_name(rel)
        if name in owners:
            raise ValueError(
                f'{list_file}: {owners[name]} and {rel} would both '
                f'write {osp.join(out_root, name)}')
        owners[name] = rel
        videos[rel] = name
    for rel in videos:
        path = osp.join(video_root, rel)
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: video not found (listed in '
                                    f'{list_file})')

    with extraction_lock(out_root):  # one extraction per folder
        timing_path = osp.join(out_root, TIMING_NAME)
        timing = {}
        if osp.isfile(timing_path):
            try:
                with open(timing_path) as f:
                    timing = json.load(f)
            except ValueError as err:
                raise ValueError(
                    f'{timing_path}: not valid JSON ({err}); delete '
                    'it to start a new manifest') from err

        metas: Dict[str, dict] = {}
        jobs = []
        for rel, name in videos.items():
            dest = osp.join(out_root, name)
            remove_stale_tmp(dest)
            meta = finished_meta(dest, bound, method)
            if meta is not None:
                metas[rel] = meta
            else:
                jobs.append((rel, osp.join(video_root,
                                           rel), dest, bound, method, run))
        total, skipped = len(videos), len(metas)

        nproc = min(workers, len(jobs)) if len(jobs) > 1 else 1
        if progress:
            print(
                f'[flow] {total} videos: {skipped} finished before, '
                f'{len(jobs)} to compute with {nproc} process(es)',
                flush=True)
        bar = ProgressBar(
            len(jobs), file=sys.stdout if progress else io.StringIO())
        if nproc > 1:
            with multiprocessing.Pool(nproc, initializer=_init_worker) as pool:
                for rel, meta in pool.imap_unordered(_extract_job, jobs):
                    metas[rel] = meta
                    bar.update()
        else:
            for job in jobs:
                rel, meta = _extract_job(job)
                metas[rel] = meta
                bar.update()
        if progress:
            print(flush=True)  # ends the bar's line

        for rel, meta in metas.items():
            timing[rel] = {
                k: meta.get(k)
                for k in ('frames', 'flow_frames', 'seconds', 'run')
            }
        os.makedirs(out_root, exist_ok=True)
        atomic_write_text(timing_path, json.dumps(timing, indent=1) + '\n')
        if out_list is not None:
            lines = [
                f'{videos[rel]} {metas[rel]["flow_frames"]} {label}\n'
                for rel, label in entries
            ]
            atomic_write_text(out_list, ''.join(lines))

        seconds = time.perf_counter() - start
        computed = len(jobs)
        summary = dict(
            videos=total,
            computed=computed,
            skipped=skipped,
            seconds=round(seconds, 3),
            seconds_per_video=round(seconds /
                                    computed, 4) if computed else None)
        if progress:
            print(f'[flow] done: {summary}', flush=True)
        return summary
