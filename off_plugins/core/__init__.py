"""The OFF core: plain PyTorch, usable without any toolbox."""
from .blocks import (RESIDUAL_BLOCKS, BottleneckBlock, ResidualBlock,
                     SqueezeExcite, init_residual_weights, residual_stage)
from .off_layer import (GRADIENT_KERNELS, OFF_COMPONENTS, OFFLayer,
                        SpatialGradient, average_pairs, check_segments,
                        gradient_kernels, pair_frames, temporal_difference)
from .off_subnet import OFFPyramid

__all__ = [
    'GRADIENT_KERNELS', 'OFF_COMPONENTS', 'RESIDUAL_BLOCKS', 'BottleneckBlock',
    'OFFLayer', 'OFFPyramid', 'ResidualBlock', 'SpatialGradient',
    'SqueezeExcite', 'average_pairs', 'check_segments', 'gradient_kernels',
    'init_residual_weights', 'pair_frames', 'residual_stage',
    'temporal_difference'
]
