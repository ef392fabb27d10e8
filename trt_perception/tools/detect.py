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
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import cv2
import numpy as np

from trt_perception.assembly import pipeline_config, PIPELINE_SETTINGS, PipelineConfig
from trt_perception.core.backend import BackendError
from trt_perception.core.decoders import Decoder
from trt_perception.core.detection import Detection
from trt_perception.core.frame_source import IMAGE_EXTENSIONS, open_source, VideoReader
from trt_perception.core.image import RawImage
from trt_perception.core.latest_frame import LatestFrameMailbox
from trt_perception.core.pipeline import BatchResult
from trt_perception.core.schema import SchemaEntry
from trt_perception.core.stages import FrameInfo
from trt_perception.core.worker import Entry
from trt_perception.runtime.detector import Detector
from trt_perception.runtime.stages import ResultStages, STAGE_PLUGINS
from trt_perception.tools.setting_flags import (add_setting_flags, FLAG_ALIASES, NOT_OFFLINE,
                                                setting_values)


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

    def __init__(self, config: PipelineConfig, log: logging.Logger,
                 stage_values: Optional[Mapping[str, Any]] = None) -> None:
        """Load the model (waiting for a TensorRT engine build) and start the runtime."""
        self._mailbox: LatestFrameMailbox[Tuple[RawImage, float]] = LatestFrameMailbox()
        self._results: 'queue.Queue[object]' = queue.Queue()
        self._stages = ResultStages(STAGE_PLUGINS, stage_values or {}, log)
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

    @property
    def decoder(self) -> Decoder:
        """Return the pipeline's decoder: labels, what its detections carry beyond boxes."""
        return self._detector.pipeline.decoder

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


DETECT_SETTINGS: List[SchemaEntry] = PIPELINE_SETTINGS + [
    (plugin.prefix, plugin.settings) for plugin in STAGE_PLUGINS]
"""The settings ``detect`` offers as flags: every pipeline and result-stage setting of the
node."""


def build_parser(entries: Sequence[SchemaEntry] = DETECT_SETTINGS) -> argparse.ArgumentParser:
    """Command-line interface of the offline runner, its pipeline flags from `entries`."""
    parser = argparse.ArgumentParser(
        prog='trt_perception.detect', description=__doc__.strip().split('\n\n')[0])
    parser.add_argument('inputs', nargs='+', metavar='IMAGE',
                        help='image files (%s) or videos (any other file OpenCV can open)'
                        % ', '.join(IMAGE_EXTENSIONS))
    parser.add_argument('--json', action='store_true',
                        help='print one JSON object per image (one per line)')
    parser.add_argument('--save-dir', default='',
                        help='write annotated images (or video frames) here')
    parser.add_argument('-v', '--verbose', action='store_true')
    add_setting_flags(parser.add_argument_group('pipeline settings (docs/parameters.md)'),
                      entries, FLAG_ALIASES, skip=NOT_OFFLINE, joined=('classes',))
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the detector on every input; return 0, 1 if one was unreadable, 2 if set-up failed."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format='%(levelname)s %(name)s: %(message)s', stream=sys.stderr)
    try:
        values = setting_values(args, DETECT_SETTINGS)
        detector = OneAtATime(pipeline_config(values), logging.getLogger('trt_perception'),
                              values)
    except Exception as exc:  # any set-up failure ends the run with its own message
        sys.stderr.write('error: %s\n' % exc)
        return 2
    annotator = None
    if args.save_dir:
        from trt_perception.core.annotate import Annotator
        os.makedirs(args.save_dir, exist_ok=True)
        annotator = Annotator.for_decoder(detector.decoder)
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
