"""Test-suite settings shared by every test file."""


def pytest_configure(config):
    config.addinivalue_line(
        'markers',
        'slow: minutes, not seconds; still part of `python -m pytest tests` '
        '(deselect with -m "not slow")')
