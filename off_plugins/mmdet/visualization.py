"""Draw video detections with MMDetection's own visualizer (``--show-dir``)."""
import os.path as osp
from typing import Sequence

import mmcv
from mmdet.engine.hooks import DetVisualizationHook
from mmdet.registry import HOOKS
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.fileio import get
from mmengine.utils import mkdir_or_exist


def key_frame(sample) -> DetDataSample:
    """The key frame of a video detector's output (a ``TrackDataSample``)."""
    if isinstance(sample, TrackDataSample):
        return sample[sample.key_frames_inds[0]]
    return sample


@HOOKS.register_module()
class VideoDetVisualizationHook(DetVisualizationHook):
    """``DetVisualizationHook`` for detectors that output ``TrackDataSample``.

    MMDetection's test tool switches it on with ``--show-dir DIR`` (or
    ``--show``) as it does the stock hook. Each key frame is drawn with the
    ``DetLocalVisualizer`` of the config (ground truth left, predictions
    right) into ``DIR/<video folder>/<frame file>.png``, so frames of
    different videos that share a file name do not overwrite each other.
    """

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence) -> None:
        super().after_val_iter(runner, batch_idx, data_batch,
                               [key_frame(o) for o in outputs])

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence) -> None:
        if self.draw is False:
            return
        if self.test_out_dir is not None:
            # as the stock hook: relative to the run's folder (absolute after)
            self.test_out_dir = osp.join(runner.work_dir, runner.timestamp,
                                         self.test_out_dir)
            mkdir_or_exist(self.test_out_dir)
        for data_sample in map(key_frame, outputs):
            self._test_index += 1
            img_path = data_sample.img_path
            img = mmcv.imfrombytes(
                get(img_path, backend_args=self.backend_args),
                channel_order='rgb')
            out_file = None
            if self.test_out_dir is not None:
                video = osp.basename(osp.dirname(img_path))
                name = osp.splitext(osp.basename(img_path))[0] + '.png'
                out_file = osp.join(self.test_out_dir, video, name)
            self._visualizer.add_datasample(
                osp.basename(img_path) if self.show else 'test_img',
                img,
                data_sample=data_sample,
                show=self.show,
                wait_time=self.wait_time,
                pred_score_thr=self.score_thr,
                out_file=out_file,
                step=self._test_index)
