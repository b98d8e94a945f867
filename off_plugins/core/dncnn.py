"""DnCNN and DnCNN with an OFF unit (Section 7.2, Fig. 6) in plain PyTorch.

Both networks learn the artifact residual ``N = I - D`` of Eq. 10 and return
the restored frame ``D = I - N`` (the global identity mapping). Frames are
``(N, T, C, H, W)``; the restored frame is the centre one, index ``T // 2``
(frame ``t`` of ``(t-1, t)`` and of ``(t-1, t, t+1)``).
"""
from typing import Callable, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from .off_layer import OFFLayer, check_segments


def plain_convs(
        in_channels: int,
        out_channels: int,
        channels: int,
        num_convs: int,
        final_act: bool,
        act_layer: Callable[..., nn.Module] = nn.ReLU) -> nn.Sequential:
    """``num_convs`` 3x3 convolutions, each followed by ``act_layer``, no BN.

    The widths run ``in_channels -> channels -> ... -> out_channels``. The
    last convolution has no activation unless ``final_act`` (a residual
    output must be able to go negative).

    Shapes:
        x: (B, in_channels, H, W) -> (B, out_channels, H, W).
    """
    if num_convs < 1:
        raise ValueError(f'num_convs must be >= 1, got {num_convs}')
    for name, value in (('in_channels', in_channels),
                        ('out_channels', out_channels), ('channels',
                                                         channels)):
        if value < 1:
            raise ValueError(f'{name} must be >= 1, got {value}')
    widths = [in_channels] + [channels] * (num_convs - 1) + [out_channels]
    layers = []
    for i, (c_in, c_out) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Conv2d(c_in, c_out, 3, padding=1))
        if i < num_convs - 1 or final_act:
            layers.append(act_layer())
    return nn.Sequential(*layers)


def centre_index(num_frames: int) -> int:
    """Index of the restored frame in a clip of ``num_frames`` frames."""
    return num_frames // 2


def _check_frames(frames: torch.Tensor, num_frames: int,
                  channels: int) -> None:
    if frames.dim() != 5 or frames.shape[1:3] != (num_frames, channels):
        raise ValueError(f'expected frames of shape (N, {num_frames}, '
                         f'{channels}, H, W), got {tuple(frames.shape)}')


class DnCNNNet(nn.Module):
    """DnCNN (Zhang et al. 2017) as in Section 7.2: ``depth`` 3x3 convs, no BN.

    Args:
        in_channels: image channels.
        channels: feature width (64 in DnCNN).
        depth: number of convolutions (20 in the paper).
        act_layer: activation after every convolution but the last.

    Shapes:
        frames: (N, 1, in_channels, H, W) -> (N, in_channels, H, W).
    """

    num_frames = 1

    def __init__(self,
                 in_channels: int = 3,
                 channels: int = 64,
                 depth: int = 20,
                 act_layer: Callable[..., nn.Module] = nn.ReLU):
        super().__init__()
        if depth < 2:
            raise ValueError(f'depth must be >= 2, got {depth}')
        self.in_channels = in_channels
        self.body = plain_convs(
            in_channels,
            in_channels,
            channels,
            depth,
            final_act=False,
            act_layer=act_layer)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        _check_frames(frames, 1, self.in_channels)
        noisy = frames[:, 0]  # (N, C, H, W)
        return noisy - self.body(noisy)


class DnCNNOFFNet(nn.Module):
    """DnCNN_OFF(T) of Fig. 6: per-frame head, one OFF unit, sum, DnCNN tail.

    Every frame goes through the same ``head_convs`` convolutions. One
    :class:`OFFLayer` over the ``T - 1`` adjacent pairs gives the motion
    representation; the pairs are stacked along channels and refined by
    ``merge_convs`` convolutions, whose output is added to the centre frame's
    head features (the identity from the OFF unit's input; a sum, not a
    concatenation) and activated. ``tail_convs`` convolutions predict the
    artifact residual of the centre frame, which is subtracted from it.

    Args:
        num_frames: T (2 or 3 in Table 9).
        in_channels: image channels.
        channels: feature width.
        head_convs, merge_convs, tail_convs: 3, 5 and 18 in the paper.
        off_channels: the OFF layer's 1x1 reduction width.
        spatial_channels: width feeding the spatial gradients, see
            :class:`OFFLayer`; ``None`` reuses the reduced features.
        kernel: spatial-gradient kernels of the OFF layer.
        output: how the restored frame is formed. ``'centre'`` (Fig. 6):
            the centre frame minus the predicted residual. ``'blend'`` (not
            in the paper): ``blend_convs`` convolutions on the fused
            features predict, per pixel, softmax weights over the ``T``
            frames, and the restored frame is the frames' weighted sum minus
            the residual; a learned temporal blend. Its last convolution
            starts at zero, so training starts from the plain temporal mean.
        blend_convs: depth of the blend weights' sub-network.
        blend_diff: also feed the blend, per frame, the local difference of
            the (compressed) frame to the centre frame: the mean absolute
            difference over the channels and a 5x5 window, scaled by 20 (1
            is about 13/255). A direct cue of where a neighbour differs,
            not learned; see :meth:`frame_differences`.
        components: what the OFF layer passes on per pair, see
            :class:`OFFLayer`: ``'full'`` (Fig. 6), ``'temporal'`` (the
            temporal difference only) or ``'none'`` (no OFF: the reduced
            features of both frames of each pair, concatenated; the
            multi-frame control with the same sub-network shape).
        act_layer: activation factory.

    Shapes:
        frames: (N, T, in_channels, H, W) -> (N, in_channels, H, W).
    """

    def __init__(self,
                 num_frames: int = 3,
                 in_channels: int = 3,
                 channels: int = 64,
                 head_convs: int = 3,
                 merge_convs: int = 5,
                 tail_convs: int = 18,
                 off_channels: int = 64,
                 spatial_channels: Optional[int] = None,
                 kernel: str = 'paper',
                 components: str = 'full',
                 output: str = 'centre',
                 blend_convs: int = 2,
                 blend_diff: bool = False,
                 act_layer: Callable[..., nn.Module] = nn.ReLU):
        super().__init__()
        check_segments(num_frames, num_frames)
        if output not in ('centre', 'blend'):
            raise ValueError("output must be 'centre' or 'blend', got "
                             f'{output!r}')
        if output == 'blend' and blend_convs < 1:
            raise ValueError(f'blend_convs must be >= 1, got {blend_convs}')
        if blend_diff and output != 'blend':
            raise ValueError("blend_diff needs output='blend'")
        self.output = output
        self.blend_diff = blend_diff
        self.num_frames = num_frames
        self.in_channels = in_channels
        self.head = plain_convs(
            in_channels,
            channels,
            channels,
            head_convs,
            final_act=True,
            act_layer=act_layer)
        self.off = OFFLayer(
            channels,
            num_frames,
            off_channels,
            spatial_channels=spatial_channels,
            components=components,
            kernel=kernel,
            act_layer=act_layer)
        self.merge = plain_convs(
            (num_frames - 1) * self.off.out_channels,
            channels,
            channels,
            merge_convs,
            final_act=False,
            act_layer=act_layer)
        self.merge_act = act_layer()
        self.tail = plain_convs(
            channels,
            in_channels,
            channels,
            tail_convs,
            final_act=False,
            act_layer=act_layer)
        if output == 'blend':
            self.blend = plain_convs(
                channels + (num_frames if blend_diff else 0),
                num_frames,
                channels,
                blend_convs,
                final_act=False,
                act_layer=act_layer)
            self.init_weights()

    def init_weights(self) -> None:
        """Zero the blend's last convolution: equal weights at the start.

        mmengine calls this after the wrapping model's ``init_cfg`` (Xavier
        on every ``Conv2d`` in the configs), so the zero start holds.
        """
        if self.output == 'blend':
            nn.init.zeros_(self.blend[-1].weight)
            nn.init.zeros_(self.blend[-1].bias)

    @staticmethod
    def frame_differences(frames: torch.Tensor) -> torch.Tensor:
        """(N, T, C, H, W) -> (N, T, H, W): each frame's mean absolute
        difference to the centre frame over the channels and a 5x5 window
        (zero for the centre; the window is zero-padded at the
        borders), x20."""
        c = centre_index(frames.shape[1])
        diff = (frames - frames[:, c:c + 1]).abs().mean(2)
        return 20 * F.avg_pool2d(diff, 5, stride=1, padding=2)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        _check_frames(frames, self.num_frames, self.in_channels)
        n, t = frames.shape[:2]
        c = centre_index(t)
        feat = self.head(frames.flatten(0, 1))  # (N*T, C, H, W)
        motion = self.off(feat)  # (N*(T-1), C_off, H, W)
        motion = motion.unflatten(0, (n, t - 1)).flatten(
            1, 2)  # (N, (T-1)*C_off, H, W)
        centre = feat.unflatten(0, (n, t))[:, c]  # (N, C, H, W)
        fused = self.merge_act(centre + self.merge(motion))  # (N, C, H, W)
        if self.output == 'centre':
            base = frames[:, c]  # (N, in_channels, H, W)
        else:
            cue = fused
            if self.blend_diff:
                cue = torch.cat([fused, self.frame_differences(frames)], 1)
            weights = self.blend(cue).softmax(1)  # (N, T, H, W)
            base = (weights.unsqueeze(2) * frames).sum(1)
        return base - self.tail(fused)  # (N, in_channels, H, W)
