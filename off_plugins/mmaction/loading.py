"""Video opening whose errors name the video."""
from mmaction.datasets.transforms import DecordInit
from mmaction.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CheckedDecordInit(DecordInit):
    """``DecordInit`` that names the file when a video cannot be used.

    A missing file raises ``FileNotFoundError`` (as ``DecordInit`` does), an
    undecodable one ``RuntimeError`` and an empty one ``ValueError``, each
    message starting with the video's path.
    """

    def transform(self, results: dict) -> dict:
        filename = results['filename']
        try:
            results = super().transform(results)
        except FileNotFoundError:
            raise
        except Exception as err:
            raise RuntimeError(f'{filename}: cannot decode video ({err})') from err
        if results['total_frames'] < 1:
            raise ValueError(f'{filename}: video has no frames')
        return results
