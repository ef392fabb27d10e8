# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
``evaluate``: COCO box mAP of a model, backend and precision on annotated images.

    evaluate --model best.onnx --images val/ --annotations val.json --backend onnxruntime
    evaluate --model best.onnx --images val/ --annotations val.json --precision int8

Runs the same pipeline as the node over every image the COCO annotations file lists and
prints one JSON object: mAP over IoU 0.50:0.95, mAP50, mAP75, the per-category APs and what
ran, so a user can check that an FP16 or INT8 engine kept the ONNX model's accuracy.  Model
classes are matched to the file's categories by name; images the file lists but the folder
lacks are an error.
"""

import argparse
import json
import logging
import os
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import cv2

from trt_perception.assembly import (create_pipeline, pipeline_config, PIPELINE_SETTINGS,
                                     PipelineConfig)
from trt_perception.core.coco_metric import coco_map, GroundTruth, ScoredBox
from trt_perception.core.image import RawImage
from trt_perception.tools.setting_flags import (add_setting_flags, FLAG_ALIASES, flag_dest,
                                                NOT_OFFLINE, setting_values)

EVAL_CONF = 0.001
"""Score threshold for evaluation: low, as COCO mAP integrates over the whole ranking."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='evaluate',
                                     description=__doc__.strip().split('\n\n')[0])
    parser.add_argument('--images', required=True, metavar='DIR',
                        help="folder holding the annotation file's images")
    parser.add_argument('--annotations', required=True, metavar='JSON',
                        help='COCO annotations (images, annotations, categories)')
    add_setting_flags(parser.add_argument_group('pipeline settings (docs/parameters.md)'),
                      PIPELINE_SETTINGS, FLAG_ALIASES, skip=NOT_OFFLINE, joined=('classes',))
    parser.set_defaults(**{flag_dest('conf_threshold'): EVAL_CONF})
    return parser


def _xywh(box) -> Tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in box)
    return x, y, w, h


def read_annotations(path: str) -> Tuple[List[dict], List[GroundTruth], Dict[str, int]]:
    """Images, ground-truth boxes and category ids by name of a COCO annotations file."""
    with open(path, encoding='utf-8') as stream:
        coco = json.load(stream)
    try:
        images = list(coco['images'])
        truths = [GroundTruth(int(a['image_id']), int(a['category_id']), _xywh(a['bbox']),
                              bool(a.get('iscrowd', 0))) for a in coco['annotations']]
        categories = {str(c['name']): int(c['id']) for c in coco['categories']}
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError('%s is not a COCO annotations file (%r missing or malformed): it '
                         'needs images (id, file_name), annotations (image_id, category_id, '
                         'bbox) and categories (id, name)' % (path, error)) from error
    return images, truths, categories


def category_map(labels: Sequence[str], categories: Dict[str, int]) -> Dict[int, int]:
    """Category id of each model class id whose label names a category."""
    mapping = {class_id: categories[label] for class_id, label in enumerate(labels)
               if label in categories}
    if not mapping:
        raise ValueError("none of the model's class names (%s) is a category of the "
                         'annotations (%s): pass --labels with the names the model was '
                         'trained on' % (', '.join(labels[:5]) + ('...' if len(labels) > 5
                                                                  else ''),
                                         ', '.join(sorted(categories)[:5])))
    return mapping


def evaluate(config: PipelineConfig, image_dir: str, annotations: str,
             log: Optional[logging.Logger] = None) -> Dict[str, object]:
    """Run `config`'s pipeline over the annotated images; return the COCO summary."""
    images, truths, categories = read_annotations(annotations)
    detections: List[ScoredBox] = []
    with create_pipeline(config, log) as pipeline:
        labels = pipeline.decoder.labels
        mapping = category_map(labels, categories)
        for image in images:
            path = os.path.join(image_dir, image['file_name'])
            frame = cv2.imread(path, cv2.IMREAD_COLOR)
            if frame is None:
                raise ValueError('cannot read image %r listed in %s' % (path, annotations))
            result = pipeline.detect([RawImage.from_array(frame, 'bgr8')])
            for det in result.detections[0]:
                if det.class_id in mapping:
                    detections.append(ScoredBox(
                        int(image['id']), mapping[det.class_id],
                        (det.x1, det.y1, det.x2 - det.x1, det.y2 - det.y1), det.score))
        info = pipeline.describe()
    summary: Dict[str, object] = dict(coco_map(truths, detections,
                                               config.params.max_detections))
    summary.update(images=len(images), detections=len(detections), model=config.model,
                   backend=info.get('backend', config.backend),
                   precision=info.get('precision', config.precision),
                   unmatched_classes=[label for class_id, label in enumerate(labels)
                                      if class_id not in mapping])
    return summary


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Print the evaluation as JSON; exit status 0, or 2 with a message on failure."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format='%(levelname)s %(name)s: %(message)s',
                        stream=sys.stderr)
    try:
        config = pipeline_config(setting_values(args, PIPELINE_SETTINGS))
        summary = evaluate(config, args.images, args.annotations)
    except Exception as exc:  # any failure ends the run with its own message
        sys.stderr.write('error: %s\n' % exc)
        return 2
    print(json.dumps(summary, indent=2, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
