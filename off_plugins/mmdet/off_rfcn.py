"""The video detector of Fig. 5: R-FCN on a key frame, OFF against a reference."""
import copy
from typing import List, Optional, Tuple

import torch
from mmdet.models.detectors import TwoStageDetector
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample, TrackDataSample
from torch import Tensor

Features = Tuple[Tensor]


def key_and_reference(sample: TrackDataSample) -> Tuple[int, int]:
    """Indices of the key frame and of its reference in a ``TrackDataSample``.

    A sample without a reference (a one-frame video, a DET image) is its own
    reference.
    """
    if sample.get('key_frames_inds') is None:
        if len(sample) != 1:
            raise ValueError(f'a sample of {len(sample)} frames must set '
                             'key_frames_inds (see PackTrackInputs)')
        return 0, 0
    key = sample.key_frames_inds[0]
    refs = sample.get('ref_frames_inds') or [key]
    return key, refs[0]


@MODELS.register_module()
class OFFRFCN(TwoStageDetector):
    """R-FCN with OFF between a key frame and a reference frame (Section 6).

    The neck (:class:`OFFReduceNeck`) returns key-frame features whose first
    half feeds the RPN and whose second half feeds the R-FCN head. Without
    OFF in the neck this is the single-frame R-FCN baseline and reference
    frames are ignored.

    Args:
        reuse_ref_feats: at test time, reuse the previous key frame's
            backbone outputs and reduced map when it is this frame's
            reference (frames of a video arrive in order, batch size 1), so
            each frame passes the backbone and the 3x3 reduction once.
        **kwargs: see :class:`TwoStageDetector`; ``neck`` is required.

    Shapes:
        inputs: (N, T, 3, H, W) from ``TrackDataPreprocessor``; data_samples:
        N ``TrackDataSample``. Predictions are returned as one-frame
        ``TrackDataSample`` holding the key frame, as ``CocoVideoMetric`` reads.
    """

    def __init__(self, *args, reuse_ref_feats: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.with_neck or not all(
                hasattr(self.neck, a)
                for a in ('num_frames', 'frame_maps', 'combine')):
            raise ValueError(
                'OFFRFCN needs a neck with num_frames, frame_maps '
                'and combine, such as OFFReduceNeck')
        if self.neck.out_channels % 2:
            raise ValueError(
                'the neck output is split between RPN and R-FCN, '
                f'so it must be even, got {self.neck.out_channels}')
        self.reuse_ref_feats = reuse_ref_feats
        self._last_key: Optional[tuple] = None

    def train(self, mode: bool = True) -> 'OFFRFCN':
        """Switching mode drops the cached backbone output (weights may change)."""
        self._last_key = None
        return super().train(mode)

    def select_frames(
        self, inputs: Tensor, data_samples: List[TrackDataSample]
    ) -> Tuple[Tensor, List[DetDataSample], List[List[str]]]:
        """Pick (reference, key) frames, or the key frame alone without OFF.

        Returns:
            frames (N*T, 3, H, W), the key frames' data samples, and the image
            paths of each sample's picked frames.
        """
        if inputs.dim() != 5 or inputs.shape[0] != len(data_samples):
            raise ValueError(
                'inputs must be (N, T, 3, H, W) with one '
                f'TrackDataSample per clip, got {tuple(inputs.shape)} '
                f'and {len(data_samples)} samples')
        frames, keys, paths = [], [], []
        for n, sample in enumerate(data_samples):
            key, ref = key_and_reference(sample)
            order = [ref, key] if self.neck.num_frames == 2 else [key]
            frames.append(inputs[n, order])  # (T, 3, H, W)
            keys.append(sample[key])
            paths.append([sample[i].get('img_path') for i in order])
        return torch.cat(frames), keys, paths  # (N*T, 3, H, W)

    def frame_maps(self, frames: Tensor, paths: List[List[str]]) -> Features:
        """The neck's per-frame maps (:meth:`OFFReduceNeck.frame_maps`) of
        ``frames`` (N*T, 3, H, W); at test time the reference's are the
        previous key frame's when it is the same image, so each frame passes
        the backbone and the neck's reduction once."""
        cached = self._last_key
        reuse = (not self.training and self.reuse_ref_feats and len(paths) == 1
                 and len(paths[0]) == 2 and None not in paths[0])
        if reuse and cached is not None and cached[0] == (paths[0][0],
                                                          frames.shape[1:]):
            key = self.neck.frame_maps(self.backbone(frames[1:]))
            maps = tuple(torch.cat([c, k]) for c, k in zip(cached[1], key))
        else:
            maps = self.neck.frame_maps(self.backbone(frames))
        self._last_key = ((paths[0][-1], frames.shape[1:]),
                          tuple(m[-1:] for m in maps)) if reuse else None
        return maps

    def extract_feat(self,
                     frames: Tensor,
                     paths: Optional[List[List[str]]] = None
                     ) -> Tuple[Features, Features]:
        """Key-frame features split for the RPN and the R-FCN head.

        Returns:
            ``((N, C/2, h, w),), ((N, C/2, h, w),)``.
        """
        x = self.neck.combine(self.frame_maps(frames, paths
                                              or []))  # (N, C, h, w)
        half = x.shape[1] // 2
        return (x[:, :half], ), (x[:, half:], )

    def loss(self, inputs: Tensor,
             data_samples: List[TrackDataSample]) -> dict:
        frames, keys, paths = self.select_frames(inputs, data_samples)
        rpn_x, rcnn_x = self.extract_feat(frames, paths)
        rpn_keys = copy.deepcopy(keys)
        for sample in rpn_keys:  # the RPN is class-agnostic
            sample.gt_instances.labels = torch.zeros_like(
                sample.gt_instances.labels)
        proposal_cfg = self.train_cfg.get('rpn_proposal', self.test_cfg.rpn)
        rpn_losses, proposals = self.rpn_head.loss_and_predict(
            rpn_x, rpn_keys, proposal_cfg=proposal_cfg)
        losses = {
            (f'rpn_{k}' if 'loss' in k and 'rpn' not in k else k): v
            for k, v in rpn_losses.items()
        }
        losses.update(self.roi_head.loss(rcnn_x, proposals, keys))
        return losses

    def predict(self,
                inputs: Tensor,
                data_samples: List[TrackDataSample],
                rescale: bool = True) -> List[TrackDataSample]:
        frames, keys, paths = self.select_frames(inputs, data_samples)
        rpn_x, rcnn_x = self.extract_feat(frames, paths)
        proposals = self.rpn_head.predict(rpn_x, keys, rescale=False)
        results = self.roi_head.predict(
            rcnn_x, proposals, keys, rescale=rescale)
        keys = self.add_pred_to_datasample(keys, results)
        outputs = []
        for key in keys:
            out = TrackDataSample(
                metainfo=dict(key_frames_inds=[0], ref_frames_inds=[]))
            out.video_data_samples = [key]
            outputs.append(out)
        return outputs

    def _forward(self, inputs: Tensor,
                 data_samples: List[TrackDataSample]) -> tuple:
        frames, keys, paths = self.select_frames(inputs, data_samples)
        rpn_x, rcnn_x = self.extract_feat(frames, paths)
        proposals = self.rpn_head.predict(rpn_x, keys, rescale=False)
        return (self.roi_head.forward(rcnn_x, proposals, keys), )
