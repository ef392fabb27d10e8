# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Offline runner: detect objects in image files or videos without ROS.

    python -m trt_perception.detect photo.jpg clip.mp4 --json

prints detections (boxes in original pixels) and per-stage timing for every image or video
frame.  Given one image with its aligned depth image and intrinsics,

    python -m trt_perception.detect photo.png --depth depth.png --intrinsics 615,615,320,240

it also prints where each object is in metres (JSON: ``box3d``), in the depth camera's optical
frame (docs/depth.md).  A path that cannot be read is reported and skipped.  The exit status
is 0, 1 if a path could not be read (or its depth image does not fit it), or 2 if the detector
could not be set up (an unusable model, backend or option).
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
from trt_perception.core.depth.files import describe, load_depth, load_intrinsics, locate
from trt_perception.core.depth.pairing import PairingError
from trt_perception.core.depth.settings import DepthSettings, PREFIX as DEPTH_PREFIX
from trt_perception.core.detection import Detection
from trt_perception.core.frame_source import IMAGE_EXTENSIONS, open_source, VideoReader
from trt_perception.core.image import RawImage
from trt_perception.core.latest_frame import LatestFrameMailbox
from trt_perception.core.pipeline import BatchResult
from trt_perception.core.schema import from_values, SchemaEntry
from trt_perception.core.stages import FrameInfo
from trt_perception.core.worker import Entry
from trt_perception.runtime.detector import Detector
from trt_perception.runtime.stages import ResultStages, STAGE_PLUGINS
from trt_perception.tools.setting_flags import (add_setting_flags, FLAG_ALIASES, NOT_OFFLINE,
                                                setting_values)


class UnreadableInput(Exception):
    """A path that is missing or that OpenCV cannot decode."""


def _frames(path: str) -> Iterator[Tuple[str, np.ndarray, float]]:
    """
    Yield (name, bgr frame, stamp) for an image file or every frame of a video file.

    An image is stamped when read, as a camera driver stamps at capture; a video's frames
    by their time in the video from when it was opened, so that the result stages (the
    tracker's motion model) see the video's own pace however long detection takes.
    """
    if not os.path.isfile(path):
        raise UnreadableInput('%s: no such file' % path)
    try:
        reader = open_source(path)
    except ValueError:
        raise UnreadableInput('%s: OpenCV cannot open this video' % path) from None
    video = reader if isinstance(reader, VideoReader) else None
    opened = time.time()
    count = 0
    try:
        for _, frame in iter(reader.read, None):
            # Named by the path as given, which the reader shortens to the file name.
            if video is not None:
                yield '%s#%d' % (path, count), frame, opened + video.seconds()
            else:
                yield path, frame, time.time()
            count += 1
    finally:
        reader.close()
    if count == 0:
        raise UnreadableInput('%s: video holds no decodable frame' % path if video is not None
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

    def detect(self, path: str, frame: np.ndarray,
               stamp: Optional[float] = None) -> Tuple[List[Detection], Dict[str, float]]:
        """
        Return a BGR frame's detections and milliseconds by stage; BackendError if failed.

        `stamp` (seconds) is the frame's capture time; now when not given.
        """
        self._mailbox.put(path, (RawImage.from_array(frame, 'bgr8'),
                                 time.time() if stamp is None else stamp))
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
        # A tracked detection's name starts with its id, as on the node's debug image.
        name = ('#%s %s' % (det['track_id'], det['label']) if 'track_id' in det
                else det['label'])
        out.write('  %-16s %.3f  [%s]\n'
                  % (name, det['score'], ', '.join('%.1f' % v for v in det['box'])))


DETECT_SETTINGS: List[SchemaEntry] = PIPELINE_SETTINGS + [
    (plugin.prefix, plugin.settings) for plugin in STAGE_PLUGINS]
"""The settings ``detect`` offers as flags: every pipeline and result-stage setting of the
node."""


OFFLINE_DEPTH = ('depth.topics', 'depth.camera_info_topics', 'depth.stamp_tolerance',
                 'depth.buffer')
"""Depth settings of the node's topics and pairing; offline, --depth and --intrinsics say it."""


class DepthInput:
    """The aligned depth image of the one input image, its intrinsics and the depth settings."""

    def __init__(self, inputs: Sequence[str], depth_path: str, intrinsics: str,
                 values: Mapping[str, Any]) -> None:
        """Read the depth file and intrinsics; ValueError when they do not fit the inputs."""
        if not (depth_path and intrinsics):
            raise ValueError('--depth and --intrinsics go together: give the aligned depth '
                             'image and its intrinsics (fx,fy,cx,cy or a camera_info YAML file)')
        if len(inputs) != 1 or not inputs[0].lower().endswith(IMAGE_EXTENSIONS):
            raise ValueError('--depth goes with one image file (%s); got %s'
                             % (', '.join(IMAGE_EXTENSIONS), ' '.join(inputs)))
        self.depth = load_depth(depth_path)
        self.intrinsics = load_intrinsics(intrinsics, self.depth.width, self.depth.height)
        self.settings = from_values(DepthSettings, values, DEPTH_PREFIX)

    def locate(self, frame: np.ndarray, found: List[Detection]) -> List[Detection]:
        """Add 3D boxes to `frame`'s detections; UnreadableInput if the depth does not fit."""
        try:
            return locate(found, frame.shape[1], frame.shape[0], self.depth, self.intrinsics,
                          self.settings)
        except PairingError as error:
            raise UnreadableInput('depth image: %s' % error) from None


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
    depth = parser.add_argument_group('3D from depth (docs/depth.md)')
    depth.add_argument('--depth', default='', metavar='FILE',
                       help='depth image aligned to the one input image: 16-bit PNG of '
                       'millimetres, or .npy of metres (float) or millimetres (uint16)')
    depth.add_argument('--intrinsics', default='', metavar='fx,fy,cx,cy|YAML',
                       help="the depth image's intrinsics: four numbers for its size, or a "
                       'camera_info / camera_calibration YAML file')
    add_setting_flags(parser.add_argument_group('pipeline settings (docs/parameters.md)'),
                      entries, FLAG_ALIASES, skip=NOT_OFFLINE + OFFLINE_DEPTH,
                      joined=('classes',))
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the detector on every input; return 0, 1 if one was unreadable, 2 if set-up failed."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format='%(levelname)s %(name)s: %(message)s', stream=sys.stderr)
    try:
        values = setting_values(args, DETECT_SETTINGS)
        depth = (DepthInput(args.inputs, args.depth, args.intrinsics, values)
                 if args.depth or args.intrinsics else None)
        detector = OneAtATime(pipeline_config(values), logging.getLogger('trt_perception'),
                              values)
    except Exception as exc:  # any set-up failure ends the run with its own message
        sys.stderr.write('error: %s\n' % exc)
        return 2
    annotator = None
    if args.save_dir:
        from trt_perception.core.annotate import Annotator, TrackTrails
        os.makedirs(args.save_dir, exist_ok=True)
        annotator, trails = Annotator.for_decoder(detector.decoder), TrackTrails()
    failures: List[str] = []
    with contextlib.closing(detector):
        for path in args.inputs:
            try:
                for name, frame, stamp in _frames(path):
                    found, times = detector.detect(path, frame, stamp)
                    if depth is not None:
                        found = depth.locate(frame, found)
                    record = _record(name, frame, found, times)
                    if args.json:
                        sys.stdout.write(json.dumps(record) + '\n')
                    else:
                        _print_text(record, sys.stdout)
                        if depth is not None:
                            sys.stdout.writelines('    %s\n' % describe(d) for d in found)
                    sys.stdout.flush()
                    if annotator is not None:
                        # A video's frames are clip_0.jpg, clip_1.jpg, ...
                        base, _, index = os.path.basename(name).partition('#')
                        stem = os.path.splitext(base)[0] + ('_' + index if index else '')
                        cv2.imwrite(os.path.join(args.save_dir, stem + '.jpg'),
                                    annotator.draw(frame.copy(), found,
                                                   trails=trails.update(path, found)))
            except UnreadableInput as exc:
                failures.append(str(exc))
                sys.stderr.write('error: %s\n' % exc)
            except BackendError as exc:  # e.g. a Triton server that is down: nothing to retry
                sys.stderr.write('error: %s\n' % exc)
                return 2
            finally:
                detector.forget(path)
                if annotator is not None:
                    trails.forget(path)
    if failures:
        sys.stderr.write('%d of %d inputs could not be read\n' % (len(failures), len(args.inputs)))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
