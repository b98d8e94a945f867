"""Support of the end-to-end jobs: run MMAction2's own tools on a config."""
