"""Deterministic small datasets for the demos and tests (numpy + OpenCV)."""
from .motion import (MOTION_CLASSES, VARIANTS, MotionSpec, make_motion_dataset,
                     render_spec_video)

__all__ = ['MOTION_CLASSES', 'VARIANTS', 'MotionSpec', 'make_motion_dataset',
           'render_spec_video']
