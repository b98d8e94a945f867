"""ResNet with TSN's cross-modality initialisation for flow and RGB-diff stacks."""
import torch
from mmaction.models.backbones import ResNet
from mmaction.registry import MODELS
from mmengine.logging import MMLogger
from mmengine.runner.checkpoint import _load_checkpoint


@MODELS.register_module()
class CrossModalityResNet(ResNet):
    """MMAction2's ``ResNet`` whose ImageNet ``conv1`` also serves other inputs.

    With ``in_channels != 3`` (10 for 5 stacked flow frames, 12 for RGB-diff)
    MMAction2's ResNet loads every torchvision weight except ``conv1``'s,
    which keeps its random initialisation. TSN's cross-modality
    initialisation (Wang et al. 2016, Section 3.2) instead averages the RGB
    ``conv1`` kernel over its 3 input channels and repeats the average for
    each input channel. Everything else is ``ResNet``; checkpoints share its
    keys.
    """

    def _load_torchvision_checkpoint(self, logger: MMLogger = None) -> None:
        super()._load_torchvision_checkpoint(logger)
        if self.in_channels == 3:
            return
        state = _load_checkpoint(self.pretrained, map_location='cpu')
        state = state.get('state_dict', state)
        rgb = state['conv1.weight']  # (C_out, 3, k, k)
        weight = self.conv1.conv.weight  # (C_out, in_channels, k, k)
        if rgb.shape[0] != weight.shape[0] or rgb.shape[2:] != weight.shape[2:]:
            raise ValueError(f'{self.pretrained}: conv1.weight is '
                             f'{tuple(rgb.shape)}, cannot initialise conv1 of '
                             f'shape {tuple(weight.shape)}')
        with torch.no_grad():
            weight.copy_(rgb.mean(1, keepdim=True).expand_as(weight))
        (logger or MMLogger.get_current_instance()).info(
            f'conv1: cross-modality initialisation for {self.in_channels} '
            'input channels (RGB kernel averaged and repeated)')
