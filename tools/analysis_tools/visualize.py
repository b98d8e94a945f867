"""The paper's Fig. 1 for a trained OFF recognizer: frames, features, OFF.

For one adjacent pair of segments ``(t, t+1)`` of a clip, :func:`off_maps`
returns the input frames, one channel of the OFF layer's reduced features of
both segments, their temporal difference (Eq. 7) and the spatial gradients
(Eq. 5/6) of segment ``t``, all taken from the model's own :class:`OFFLayer`
output so the picture shows what the network computes.
"""
from typing import Dict, Optional

import numpy as np
import torch
import torch.nn as nn
from off_plugins.core import OFFLayer


def signed_to_rgb(values: np.ndarray) -> np.ndarray:
    """Signed map (H, W) -> RGB (H, W, 3) in [0, 1]: positive red, negative cyan.

    Scaled by the largest magnitude; zero is black.
    """
    if values.ndim != 2:
        raise ValueError(f'expected an (H, W) map, got shape {values.shape}')
    scale = np.abs(values).max()
    v = values / scale if scale > 0 else np.zeros_like(values)
    pos, neg = np.clip(v, 0, 1), np.clip(-v, 0, 1)
    return np.stack([pos, neg, neg], axis=-1)


def load_frames(video: str, cfg) -> Dict[str, object]:
    """Run the config's test pipeline on one video.

    Returns:
        The packed sample: ``inputs`` (V*T, 3, H, W) and ``data_samples``.
    """
    from mmengine.dataset import Compose
    from mmengine.registry import init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    return pipeline(
        dict(filename=video, label=-1, start_index=0, modality='RGB'))


def off_maps(model: nn.Module,
             sample: Dict[str, object],
             scale: int = 0,
             pair: int = 0,
             channel: Optional[int] = None) -> Dict[str, object]:
    """Maps of one OFF scale for segments ``pair`` and ``pair + 1`` of view 0.

    Args:
        model: a ``Recognizer2D`` with an :class:`OFFNeck`, in eval mode.
        sample: a packed sample from :func:`load_frames`.
        scale: which OFF unit (0 = finest).
        pair: the pair index t, 0 <= t < T - 1.
        channel: channel of the reduced features to show; None picks the one
            whose temporal difference has the most energy.

    Returns:
        ``frames`` (2, H, W, 3) uint8, ``features`` (2, h, w), ``difference``
        (h, w) = features[1] - features[0], ``gradients`` (K, h, w) of segment
        t (None without spatial gradients), ``channel``, ``gradient_channel``.
    """
    neck = getattr(model, 'neck', None)
    if neck is None or not hasattr(neck, 'pyramid'):
        raise ValueError('the model has no OFFNeck: use an OFF config')
    units = neck.pyramid.units
    if not 0 <= scale < len(units):
        raise ValueError(
            f'scale must be in [0, {len(units) - 1}], got {scale}')
    t = neck.test_num_segments
    if not 0 <= pair < t - 1:
        raise ValueError(f'pair must be in [0, {t - 2}] for {t} segments, '
                         f'got {pair}')
    unit: OFFLayer = units[scale]
    data = model.data_preprocessor(
        dict(inputs=[sample['inputs']], data_samples=[sample['data_samples']]),
        False)
    inputs = data['inputs']  # (1, V*T, 3, H, W)
    with torch.no_grad():
        feats, _ = model.extract_feat(inputs[:, :t], stage='backbone')
        x = feats[neck.off_indices[scale]]  # (T, C_i, h, w)
        reduced = unit.reduce(x)  # (T, C_r, h, w)
        off = unit(x, t)  # (T-1, C_off, h, w): [difference, grad t, grad t+1]
    c_r = reduced.shape[1]
    difference = off[pair, :c_r]  # (C_r, h, w), Eq. 7 as the layer computed it
    if channel is None:
        channel = int(difference.pow(2).sum(dim=(1, 2)).argmax())
    if not 0 <= channel < c_r:
        raise ValueError(f'channel must be in [0, {c_r - 1}], got {channel}')
    gradients = gradient_channel = None
    if unit.spatial is not None:
        k, c_s = unit.spatial.num_kernels, unit.spatial.channels
        grad = off[pair,
                   c_r:c_r + k * c_s].unflatten(0, (c_s, k))  # (C_s, K, h, w)
        gradient_channel = (
            channel if not unit.separate_spatial else int(
                grad.pow(2).sum(dim=(1, 2, 3)).argmax()))
        gradients = grad[gradient_channel].numpy()
    raw = sample['inputs'][pair:pair + 2].permute(0, 2, 3, 1)  # (2, H, W, 3)
    return dict(
        frames=raw.clamp(0, 255).to(torch.uint8).numpy(),
        features=reduced[pair:pair + 2, channel].numpy(),
        difference=difference[channel].numpy(),
        gradients=gradients,
        channel=channel,
        gradient_channel=gradient_channel)


def draw_figure(maps: Dict[str, object], out: str, title: str = '') -> None:
    """Write Fig. 1 as a PNG: frames, features, OFF difference, gradients."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    gradients = maps['gradients'] if maps['gradients'] is not None else []
    features = maps['features']  # one grey scale for both segments
    limits = dict(vmin=float(features.min()), vmax=float(features.max()))
    panels = [('frame t', maps['frames'][0], {}),
              ('frame t+1', maps['frames'][1], {}),
              (f'feature t (ch {maps["channel"]})', features[0],
               dict(cmap='gray', **limits)),
              (f'feature t+1 (ch {maps["channel"]})', features[1],
               dict(cmap='gray', **limits)),
              ('OFF temporal difference\nred +, cyan -',
               signed_to_rgb(maps['difference']), {})]
    names = ('x', 'y') if len(gradients) == 2 else ('combined', )
    for name, grad in zip(names, gradients):
        panels.append((f'spatial gradient {name}, t\n'
                       f'(ch {maps["gradient_channel"]}) red +, cyan -',
                       signed_to_rgb(grad), {}))
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 3.0))
    for ax, (label, image, style) in zip(axes, panels):
        ax.imshow(image, interpolation='nearest', **style)
        ax.set_title(label, fontsize=8)
        ax.axis('off')
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
