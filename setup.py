from setuptools import find_packages, setup

setup(
    name='off_plugins',
    version='0.1.0',
    description='Optical Flow guided Feature (OFF) for MMAction2, MMDetection '
    'and video restoration on mmengine',
    packages=find_packages(include=['off_plugins', 'off_plugins.*']),
    python_requires='>=3.9',
    install_requires=['torch', 'numpy'],
    extras_require={
        'toolboxes': [
            'mmengine==0.10.7', 'mmcv==2.1.0', 'mmdet==3.3.0',
            'mmaction2==1.2.0', 'importlib_metadata'
        ],
    },
)
