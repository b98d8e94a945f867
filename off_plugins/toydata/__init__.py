"""Deterministic small datasets for the demos and tests (numpy + OpenCV)."""
from .motion import MOTION_CLASSES, make_motion_dataset

__all__ = ['MOTION_CLASSES', 'make_motion_dataset']
