# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Offline runner: detect objects in image files or videos without ROS.

    python -m trt_perception.detect photo.jpg clip.mp4 --json

prints detections (boxes in original pixels) and per-stage timing for every image or video
frame.  A path that cannot be read is reported and skipped.  The exit status is 0, 1 if a path
could not be read, or 2 if the detector could not be set up (an unusable model, backend or
option).
"""

import argparse
import contextlib
from dataclasses import replace
import json
import logging
import os
import queue
import sys
import time
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from trt_perception.assembly import BACKENDS, PipelineConfig, PREPROCESSORS
from trt_perception.core.backend import BackendError, PRECISIONS
from trt_perception.core.decoders import DECODERS, DetectionParams
from trt_perception.core.detection import Detection
from trt_perception.core.frame_source import IMAGE_EXTENSIONS, open_source, VideoReader
from trt_perception.core.image import RawImage
from trt_perception.core.latest_frame import LatestFrameMailbox
from trt_perception.core.pipeline import BatchResult
from trt_perception.core.stages import FrameInfo
from trt_perception.core.worker import Entry
from trt_perception.runtime.detector import Detector
from trt_perception.runtime.stages import ResultStages, STAGE_PLUGINS
from trt_perception.triton.settings import TritonSettings
from trt_perception.triton.transport import SHARED_MEMORY


class UnreadableInput(Exception):
    """A path that is missing or that OpenCV cannot decode."""


def _frames(path: str) -> Iterator[Tuple[str, np.ndarray]]:
    """Yield (name, bgr frame) for an image file or every frame of a video file."""
    if not os.path.isfile(path):
        raise UnreadableInput('%s: no such file' % path)
    try:
        reader = open_source(path)
    except ValueError:
        raise UnreadableInput('%s: OpenCV cannot open this video' % path) from None
    is_video = isinstance(reader, VideoReader)
    count = 0
    try:
        for _, frame in iter(reader.read, None):
            # Named by the path as given, which the reader shortens to the file name.
            yield ('%s#%d' % (path, count) if is_video else path), frame
            count += 1
    finally:
        reader.close()
    if count == 0:
        raise UnreadableInput('%s: video holds no decodable frame' % path if is_video
                              else '%s: OpenCV cannot decode this image' % path)


class OneAtATime:
    """
    The detector runtime fed one frame at a time: `detect` returns that frame's result.

    Each input path is a camera of its own for the result stages (a video's frames share
    it); `forget` drops a path's stage state once it is done.
    """

    def __init__(self, config: PipelineConfig, log: logging.Logger) -> None:
        """Load the model (waiting for a TensorRT engine build) and start the runtime."""
        self._mailbox: LatestFrameMailbox[Tuple[RawImage, float]] = LatestFrameMailbox()
        self._results: 'queue.Queue[object]' = queue.Queue()
        self._stages = ResultStages(STAGE_PLUGINS, {}, log)
        try:
            # Offline, frames wait for the engine rather than run meanwhile on ONNX Runtime.
            self._detector = Detector(
                replace(config, serve_while_building=False), self._mailbox,
                lambda path, frame: frame[0], self._frame_info, self._deliver, self._stages,
                log, self)
        except BaseException:
            self._stages.close()
            raise

    def detect(self, path: str, frame: np.ndarray) -> Tuple[List[Detection], Dict[str, float]]:
        """Return a BGR frame's detections and milliseconds by stage; BackendError if failed."""
        # Stamped when read, as a camera driver stamps at capture.
        self._mailbox.put(path, (RawImage.from_array(frame, 'bgr8'), time.time()))
        while True:
            try:
                outcome = self._results.get(timeout=1.0)
                break
            except queue.Empty:
                # A worker that ended is restarted and reported as an error (to `error`).
                self._detector.check_worker()
        if isinstance(outcome, str):
            raise BackendError(outcome)
        return outcome  # type: ignore[return-value]

    def forget(self, path: str) -> None:
        """Drop the result stages' state for `path`."""
        self._stages.forget(path)

    def close(self) -> None:
        """Stop the worker and release the model."""
        self._detector.close()

    def error(self, key: object, text: str) -> None:
        """Take the runtime's report of a failed batch (the runtime's `events`)."""
        self._results.put(text)

    @staticmethod
    def _frame_info(entry: Entry[Tuple[RawImage, float]]) -> FrameInfo:
        return FrameInfo(entry.camera, entry.frame[1], entry.image.width, entry.image.height)

    def _deliver(self, entry: Entry, found: List[Detection], times: Dict[str, float],
                 result: BatchResult) -> None:
        self._results.put((found, times))


def _record(name: str, frame: np.ndarray, found: List[Detection],
            times: Dict[str, float]) -> dict:
    return {
        'image': name,
        'width': int(frame.shape[1]),
        'height': int(frame.shape[0]),
        'detections': [d.to_dict() for d in found],
        # The frame's own stages: the pipeline's and the result stages'.
        'timing_ms': {k: round(v, 3) for k, v in times.items() if k not in ('convert', 'queue')},
    }


def _print_text(record: dict, out) -> None:
    timing = record['timing_ms']
    out.write('%s  %dx%d  %d detections  (preprocess %.1f ms, inference %.1f ms, '
              'postprocess %.1f ms)\n' % (
                  record['image'], record['width'], record['height'],
                  len(record['detections']), timing['preprocess'], timing['inference'],
                  timing['postprocess']))
    for det in record['detections']:
        out.write('  %-16s %.3f  [%.1f, %.1f, %.1f, %.1f]\n'
                  % ((det['label'], det['score']) + tuple(det['box'])))


def build_parser() -> argparse.ArgumentParser:
    """Command-line interface of the offline runner."""
    parser = argparse.ArgumentParser(
        prog='trt_perception.detect', description=__doc__.strip().split('\n\n')[0])
    parser.add_argument('inputs', nargs='+', metavar='IMAGE',
                        help='image files (%s) or videos (any other file OpenCV can open)'
                        % ', '.join(IMAGE_EXTENSIONS))
    parser.add_argument('--model', default='',
                        help='.onnx model, TensorRT .engine/.plan, or bundled model name '
                             '(default: the bundled demo detector)')
    parser.add_argument('--backend', choices=BACKENDS, default='auto',
                        help='auto: TensorRT when it and a GPU are present, else ONNX Runtime')
    parser.add_argument('--preprocess', choices=PREPROCESSORS, default='auto')
    parser.add_argument('--precision', choices=PRECISIONS, default='fp16',
                        help='precision of a TensorRT engine built from ONNX')
    parser.add_argument('--engine-cache', default='', metavar='DIR',
                        help='where built TensorRT engines are kept')
    parser.add_argument('--decoder', default='auto',
                        choices=DECODERS)
    parser.add_argument('--labels', default='', help='label file, one class name per line')
    parser.add_argument('--conf', type=float, default=DetectionParams().conf_threshold,
                        help='confidence threshold')
    parser.add_argument('--iou', type=float, default=DetectionParams().iou_threshold,
                        help='NMS IoU threshold')
    parser.add_argument('--max-det', type=int, default=DetectionParams().max_detections)
    parser.add_argument('--classes', type=int, nargs='*', default=None,
                        help='keep only these class ids')
    parser.add_argument('--json', action='store_true',
                        help='print one JSON object per image (one per line)')
    parser.add_argument('--save-dir', default='',
                        help='write annotated images (or video frames) here')
    parser.add_argument('-v', '--verbose', action='store_true')
    triton = parser.add_argument_group('backend triton')
    triton.add_argument('--triton-url', default=TritonSettings.url,
                        help='grpc://host:port or http://host:port')
    triton.add_argument('--triton-model', default='',
                        help="model name on the server (default: the model card's name)")
    triton.add_argument('--triton-model-version', default='')
    triton.add_argument('--triton-timeout', type=float, default=TritonSettings.timeout,
                        help='seconds one request may take')
    triton.add_argument('--triton-shared-memory', choices=SHARED_MEMORY, default='none')
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the detector on every input; return 0, 1 if one was unreadable, 2 if set-up failed."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format='%(levelname)s %(name)s: %(message)s', stream=sys.stderr)
    try:
        params = DetectionParams(
            conf_threshold=args.conf, iou_threshold=args.iou, max_detections=args.max_det,
            classes=frozenset(args.classes) if args.classes else None)
        config = PipelineConfig(
            model=args.model, backend=args.backend, preprocess=args.preprocess,
            decoder=args.decoder, labels=args.labels, precision=args.precision,
            engine_cache_dir=args.engine_cache, params=params,
            triton=TritonSettings(args.triton_url, args.triton_model,
                                  args.triton_model_version, args.triton_timeout,
                                  args.triton_shared_memory))
        detector = OneAtATime(config, logging.getLogger('trt_perception'))
    except Exception as exc:  # any set-up failure ends the run with its own message
        sys.stderr.write('error: %s\n' % exc)
        return 2
    annotator = None
    if args.save_dir:
        from trt_perception.core.annotate import Annotator
        os.makedirs(args.save_dir, exist_ok=True)
        annotator = Annotator()
    failures: List[str] = []
    with contextlib.closing(detector):
        for path in args.inputs:
            try:
                for name, frame in _frames(path):
                    found, times = detector.detect(path, frame)
                    record = _record(name, frame, found, times)
                    if args.json:
                        sys.stdout.write(json.dumps(record) + '\n')
                    else:
                        _print_text(record, sys.stdout)
                    sys.stdout.flush()
                    if annotator is not None:
                        stem = os.path.splitext(os.path.basename(name).replace('#', '_'))[0]
                        cv2.imwrite(os.path.join(args.save_dir, stem + '.jpg'),
                                    annotator.draw(frame.copy(), found))
            except UnreadableInput as exc:
                failures.append(str(exc))
                sys.stderr.write('error: %s\n' % exc)
            except BackendError as exc:  # e.g. a Triton server that is down: nothing to retry
                sys.stderr.write('error: %s\n' % exc)
                return 2
            finally:
                detector.forget(path)
    if failures:
        sys.stderr.write('%d of %d inputs could not be read\n' % (len(failures), len(args.inputs)))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
