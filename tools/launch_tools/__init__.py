"""Support of the mmengine launchers ``tools/train.py`` and ``tools/test.py``."""
