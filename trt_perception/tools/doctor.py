# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Self-check: what this machine has, then one photo through the backend you ask for.

    python -m trt_perception.doctor [--backend tensorrt] [--preprocess gpu]
    ros2 run trt_perception doctor --backend onnxruntime --preprocess gpu

prints the platform, Jetson release (L4T and JetPack), CUDA, TensorRT, pycuda, ONNX Runtime,
OpenCV and ROS versions and the GPU and DLA facts, then detects objects in the bundled photo
and compares them with the detections recorded for it.  Exit status: 0 when the backend asked
for ran and found what was expected; 1 when its detections differ; 2 when it could not run
(a missing backend, model or GPU), each with the reason on the last line.
"""

import argparse
import json
import os
import platform
import sys
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from trt_perception.assembly import BACKENDS, create_pipeline, PipelineConfig, PREPROCESSORS
from trt_perception.core.backend import PRECISIONS
from trt_perception.core.detection import Detection
from trt_perception.core.image import RawImage

DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'data')
PHOTO = os.path.join(DATA_DIR, 'doctor_photo.jpg')
"""scikit-image's astronaut (NASA, public domain), 384 x 384."""
EXPECTED = os.path.join(DATA_DIR, 'doctor_expected.json')
"""Its detections by the default model on ONNX Runtime's CPU provider (see `record`)."""

TEGRA_RELEASE = '/etc/nv_tegra_release'

JETPACK_OF_L4T = {
    '32.6.1': '4.6', '32.7.1': '4.6.1', '32.7.2': '4.6.2', '32.7.3': '4.6.3',
    '32.7.4': '4.6.4', '32.7.5': '4.6.5', '35.1.0': '5.0.2', '35.2.1': '5.1',
    '35.3.1': '5.1.1', '35.4.1': '5.1.2', '35.5.0': '5.1.3', '35.6.0': '5.1.4',
    '36.3.0': '6.0', '36.4.0': '6.1', '36.4.3': '6.2',
}
"""JetPack release of each L4T release (NVIDIA's JetPack archive pages)."""


def l4t_release(text: str) -> str:
    """'32.7.1' from /etc/nv_tegra_release's '# R32 (release), REVISION: 7.1, ...' ('' if not)."""
    head = text.split(',')
    if not head or not head[0].startswith('# R') or len(head) < 2:
        return ''
    major = head[0][3:].split()[0]
    revision = head[1].split(':')[-1].strip()
    parts = [major] + revision.split('.')
    return '.'.join((parts + ['0'])[:3])


def _jetson() -> str:
    try:
        with open(TEGRA_RELEASE) as f:
            release = l4t_release(f.readline())
    except OSError:
        return 'not a Jetson (%s absent)' % TEGRA_RELEASE
    return 'L4T %s (JetPack %s)' % (release, JETPACK_OF_L4T.get(release, 'unknown'))


def _cuda_toolkit() -> str:
    for path in ('/usr/local/cuda/version.json', '/usr/local/cuda/version.txt'):
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        if path.endswith('.json'):
            return 'toolkit %s' % json.loads(text).get('cuda', {}).get('version', '?')
        return 'toolkit %s' % text.strip().split()[-1]
    return 'no toolkit in /usr/local/cuda'


def _tensorrt() -> str:
    from trt_perception.tensorrt.api import TensorRTApi
    return TensorRTApi.load().describe()


def _pycuda() -> str:
    import pycuda
    import pycuda.driver as cuda
    cuda.init()
    driver = cuda.get_driver_version()
    return '%s (driver API %d.%d, built for CUDA %s)' % (
        pycuda.VERSION_TEXT, driver // 1000, driver % 1000 // 10,
        '.'.join(str(v) for v in cuda.get_version()))


def _gpu() -> str:
    from trt_perception.gpu.context import describe_devices
    lines = describe_devices()
    return '; '.join(lines) if lines else 'no CUDA device'


def _dla() -> str:
    from trt_perception.tensorrt.api import TensorRTApi
    api = TensorRTApi.load()
    if not api.has_dla:
        return 'unknown (%s cannot build, so cannot count DLA cores)' % api.describe()
    import logging
    builder = api.module.Builder(api.logger(logging.getLogger('trt_perception.doctor')))
    return '%d core(s) (Xavier and AGX Orin have 2, Orin NX 1 or 2; TX2, Nano and Orin Nano ' \
        'none)' % builder.num_DLA_cores


def _onnxruntime() -> str:
    import onnxruntime
    return '%s, providers %s' % (onnxruntime.__version__,
                                 ', '.join(onnxruntime.get_available_providers()))


def _ros() -> str:
    distro = os.environ.get('ROS_DISTRO', '')
    import rclpy  # noqa: F401 (importable is the fact reported)
    return 'ROS 2 %s, rclpy importable' % (distro or '(ROS_DISTRO unset)')


def _numpy() -> str:
    blas = os.environ.get('OPENBLAS_CORETYPE', '')
    return '%s%s' % (np.__version__, ', OPENBLAS_CORETYPE=%s' % blas if blas else '')


PROBES: List[Tuple[str, Callable[[], str]]] = [
    ('platform', lambda: '%s, Python %s' % (platform.platform(), platform.python_version())),
    ('jetson', _jetson),
    ('cuda', _cuda_toolkit),
    ('gpu', _gpu),
    ('pycuda', _pycuda),
    ('tensorrt', _tensorrt),
    ('dla', _dla),
    ('onnxruntime', _onnxruntime),
    ('numpy', _numpy),
    ('opencv', lambda: cv2.__version__),
    ('ros', _ros),
]
"""What the report lists, in order; each probe returns one line or raises."""


def platform_facts() -> List[Tuple[str, str]]:
    """(name, fact) for every probe; a probe that fails reports why instead."""
    facts = []
    for name, probe in PROBES:
        try:
            fact = probe()
        except Exception as exc:  # a missing module or device is a fact to report
            fact = 'unavailable: %s' % (str(exc).splitlines()[0] if str(exc)
                                        else type(exc).__name__)
        facts.append((name, fact))
    return facts


class PhotoCheck:
    """The bundled photo through one pipeline, compared with its recorded detections."""

    FIRM_SCORE = 0.5
    """Expected detections at or above this score must be found; weaker ones may be."""
    MIN_IOU = 0.8
    MAX_SCORE_DIFFERENCE = 0.1
    """Room for FP16 engines and other providers; a wrong decode or resize is far outside."""

    def __init__(self, expected: Sequence[Detection]) -> None:
        """Keep the expected detections."""
        self.expected = list(expected)

    @classmethod
    def load(cls, path: str = EXPECTED) -> 'PhotoCheck':
        """Read the recorded detections (label, class_id, score and box of each)."""
        with open(path) as f:
            records = json.load(f)['detections']
        expected = []
        for record in records:
            x1, y1, x2, y2 = (float(v) for v in record['box'])
            expected.append(Detection(x1, y1, x2, y2, score=float(record['score']),
                                      class_id=int(record['class_id']),
                                      label=str(record['label'])))
        return cls(expected)

    def differences(self, found: Sequence[Detection]) -> List[str]:
        """Return why `found` does not match the expected detections; [] when it does."""
        problems = []
        unmatched = list(found)
        for want in self.expected:
            same_class = [d for d in unmatched if d.class_id == want.class_id]
            match = max(same_class, key=lambda d: _iou(d.box, want.box), default=None)
            if match is not None and _iou(match.box, want.box) >= self.MIN_IOU \
                    and abs(match.score - want.score) <= self.MAX_SCORE_DIFFERENCE:
                unmatched.remove(match)
            elif want.score >= self.FIRM_SCORE:
                problems.append('expected %s %.2f at %s, not found (IoU >= %.1f, score within '
                                '%.1f)' % (want.label, want.score, _box(want.box),
                                           self.MIN_IOU, self.MAX_SCORE_DIFFERENCE))
        problems.extend('unexpected %s %.2f at %s' % (d.label, d.score, _box(d.box))
                        for d in unmatched if d.score >= self.FIRM_SCORE)
        return problems


def _iou(a, b) -> float:
    ax1, ay1, ax2, ay2 = (float(v) for v in a)
    bx1, by1, bx2, by2 = (float(v) for v in b)
    w = max(0.0, min(ax2, bx2) - max(ax1, bx1))
    h = max(0.0, min(ay2, by2) - max(ay1, by1))
    inter = w * h
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    return inter / union if union > 0 else 0.0


def _box(box) -> str:
    return '[%s]' % ', '.join('%.0f' % float(v) for v in box)


def build_parser() -> argparse.ArgumentParser:
    """Command-line interface of the self-check."""
    parser = argparse.ArgumentParser(prog='trt_perception.doctor',
                                     description=__doc__.strip().split('\n\n')[0])
    parser.add_argument('--backend', choices=BACKENDS, default='auto',
                        help='backend that must run (auto: whichever the node would pick)')
    parser.add_argument('--preprocess', choices=PREPROCESSORS, default='auto',
                        help='gpu demands the CUDA preprocessor')
    parser.add_argument('--precision', choices=PRECISIONS, default='fp16',
                        help='precision of a TensorRT engine built from ONNX')
    parser.add_argument('--engine-cache', default='', metavar='DIR')
    parser.add_argument('--record', action='store_true',
                        help='write the detections found as the expected ones (maintainers, '
                        'with --backend onnxruntime --preprocess cpu)')
    return parser


def _ran_as_asked(args: argparse.Namespace, info: Dict[str, str]) -> Optional[str]:
    ran = info.get('backend', '')
    if args.backend != 'auto' and not ran.startswith(args.backend):
        return 'backend %s was asked for but %s ran' % (args.backend, ran or 'another')
    if args.preprocess == 'gpu' and info.get('preprocess') != 'device':
        return 'GPU preprocessing was asked for but it ran on the %s' % info.get('preprocess')
    return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Print the report, run the photo; return 0, 1 (detections differ) or 2 (cannot run)."""
    args = build_parser().parse_args(argv)
    out = sys.stdout
    for name, fact in platform_facts():
        out.write('%-12s %s\n' % (name, fact))
    try:
        pipeline = create_pipeline(PipelineConfig(
            backend=args.backend, preprocess=args.preprocess, precision=args.precision,
            engine_cache_dir=args.engine_cache))
    except Exception as exc:  # any set-up failure is the answer this tool exists to give
        out.write('FAIL: backend %s with %s preprocessing did not start: %s\n'
                  % (args.backend, args.preprocess, exc))
        return 2
    with pipeline:
        info = pipeline.describe()
        out.write('%-12s %s\n' % ('pipeline', ', '.join('%s=%s' % kv for kv in sorted(
            info.items()))))
        wrong = _ran_as_asked(args, info)
        if wrong:
            out.write('FAIL: %s\n' % wrong)
            return 2
        frame = cv2.imread(PHOTO)
        if frame is None:
            out.write('FAIL: OpenCV cannot read the bundled photo %s (reinstall the '
                      'package)\n' % PHOTO)
            return 2
        result = pipeline.detect([RawImage.from_array(frame, 'bgr8')])
    found = result.detections[0]
    for d in found:
        out.write('%-12s %s %.2f at %s\n' % ('detection', d.label, d.score, _box(d.box)))
    if args.record:
        with open(EXPECTED, 'w') as f:
            f.write(json.dumps({'photo': os.path.basename(PHOTO), 'detections': [
                {'label': d.label, 'class_id': d.class_id, 'score': round(d.score, 4),
                 'box': [round(float(v), 2) for v in d.box]} for d in found]}) + '\n')
        out.write('recorded %d detections in %s\n' % (len(found), EXPECTED))
        return 0
    problems = PhotoCheck.load().differences(found)
    if problems:
        out.write('FAIL: %s on the bundled photo: %s\n' % (info.get('backend', args.backend),
                                                           '; '.join(problems)))
        return 1
    out.write('OK: %s found the expected detections\n' % info.get('backend', args.backend))
    return 0


if __name__ == '__main__':
    sys.exit(main())
