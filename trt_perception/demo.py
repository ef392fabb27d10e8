# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
End-to-end demo through real DDS: image_source -> detector_node -> detection_listener.

Writes a few of scikit-image's sample photos to a temporary folder, starts the three
executables as separate processes on a private ROS domain, waits until every photo got its
detections and an annotated image, prints a summary and exits 0 (1 on failure or timeout)::

    python -m trt_perception.demo [--output DIR] [--backend onnxruntime] [--model PATH]
"""

import argparse
from collections import deque
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Deque, Dict, List, Optional, Sequence, Tuple

import cv2

import trt_perception
from trt_perception.assembly import BACKENDS
from trt_perception.fastdds_profile import profile_environment

PHOTOS = ('astronaut', 'camera', 'chelsea', 'coffee', 'stereo_motorcycle')
"""scikit-image sample photos used: people (one in grey), a cat, a cup, a motorcycle."""

NAMESPACE = '/trt_demo'
_PUBLISHED = re.compile(r'published (\S+) stamp=(\d+\.\d+)')
_DETECTIONS = re.compile(r'^detections stamp=(\d+\.\d+) frame_id=\S* count=(\d+): ?(.*)$')
_SAVED = re.compile(r'^saved (.+) stamp=(\d+\.\d+)$')


def write_photos(folder: str, names: Sequence[str] = PHOTOS) -> List[str]:
    """Write scikit-image sample photos to `folder` as PNG files; return their file names."""
    try:
        import skimage.data
    except ImportError as error:
        raise SystemExit('the demo photos come from scikit-image: pip install scikit-image '
                         '(%s)' % error) from error
    files = []
    for name in names:
        rgb = getattr(skimage.data, name)()
        if isinstance(rgb, tuple):
            rgb = rgb[0]  # stereo_motorcycle is (left, right, disparity)
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR) if rgb.ndim == 3 else rgb
        files.append('%s.png' % name)
        cv2.imwrite(os.path.join(folder, files[-1]), bgr)
    return files


def demo_environment(domain_id: Optional[int] = None) -> Dict[str, str]:
    """Return the environment of the three processes: the large-image profile, a private domain."""
    env = profile_environment(os.environ)
    # Domains 1-101 stay clear of Linux's ephemeral ports; 0 is everyone's default.
    env['ROS_DOMAIN_ID'] = str(domain_id if domain_id is not None
                               else random.SystemRandom().randint(1, 101))
    env.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    env['PYTHONUNBUFFERED'] = '1'
    env['RCUTILS_LOGGING_BUFFERED_STREAM'] = '0'
    root = os.path.dirname(os.path.dirname(os.path.abspath(trt_perception.__file__)))
    env['PYTHONPATH'] = os.pathsep.join(p for p in (root, env.get('PYTHONPATH')) if p)
    return env


class Process:
    """A child process whose merged output is collected line by line on a thread."""

    def __init__(self, name: str, command: Sequence[str], env: Dict[str, str]) -> None:
        """Start `command`."""
        self.name = name
        self.lines: Deque[str] = deque()
        self.tail: Deque[str] = deque(maxlen=40)
        self.popen = subprocess.Popen(list(command), env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, universal_newlines=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None  # stdout=PIPE
        for line in self.popen.stdout:
            line = line.rstrip('\n')
            self.lines.append(line)
            self.tail.append(line)

    def drain(self) -> List[str]:
        """Lines printed since the last call."""
        out = []
        while self.lines:
            out.append(self.lines.popleft())
        return out

    def stop(self, timeout: float = 10.0) -> None:
        """Ctrl-C the process, killing it if it does not exit within `timeout` seconds."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._reader.join(timeout)


def _module(name: str, *ros_args: str) -> List[str]:
    return [sys.executable, '-m', 'trt_perception.ros.' + name, '--ros-args',
            '-r', '__ns:=' + NAMESPACE] + list(ros_args)


def run_demo(output: str, backend: str = 'onnxruntime', model: str = '', rate: float = 2.0,
             timeout: float = 180.0) -> Tuple[bool, Dict[str, Tuple[str, str]]]:
    """
    Run the three processes until every photo has detections and a saved image.

    Returns (complete, {photo: (detections text, saved image path)}).
    """
    photos_dir = tempfile.mkdtemp(prefix='trt_perception_photos_')
    photos = write_photos(photos_dir)
    env = demo_environment()
    # Best effort, as camera drivers publish: the profile's shared-memory segment carries
    # frames of any size between the processes.
    node_args = ['-p', 'backend:=' + backend]
    if model:
        node_args += ['-p', 'model:=' + model]
    processes = [
        Process('detector_node', _module('detector_node', *node_args), env),
        Process('detection_listener', _module('detection_listener', '-p',
                                              'output_dir:=' + output), env),
        Process('image_source', _module(
            'image_source', '-p', 'source:=' + photos_dir, '-p', 'rate:=%r' % float(rate),
            '-p', 'qos_reliability:=best_effort',
            '--log-level', NAMESPACE.strip('/') + '.image_source:=debug'), env),
    ]
    stamps: Dict[str, str] = {}
    detections: Dict[str, str] = {}
    saved: Dict[str, str] = {}
    results: Dict[str, Tuple[str, str]] = {}
    deadline = time.monotonic() + timeout
    try:
        while len(results) < len(photos) and time.monotonic() < deadline:
            for process in processes:
                for line in process.drain():
                    _parse(line, stamps, detections, saved)
                if process.popen.poll() is not None:
                    _report_exit(process)
                    return False, results
            for stamp, photo in stamps.items():
                if photo not in results and stamp in detections and stamp in saved:
                    results[photo] = (detections[stamp], saved[stamp])
            time.sleep(0.05)
    finally:
        for process in reversed(processes):
            process.stop()
        shutil.rmtree(photos_dir, ignore_errors=True)
    if len(results) < len(photos):
        sys.stderr.write('timed out after %.0f s; no detections for: %s\n' % (
            timeout, ', '.join(sorted(set(photos) - set(results)))))
        for process in processes:
            _report_exit(process)
    return len(results) == len(photos), results


def _parse(line: str, stamps: Dict[str, str], detections: Dict[str, str],
           saved: Dict[str, str]) -> None:
    match = _PUBLISHED.search(line)
    if match:
        stamps[match.group(2)] = match.group(1)
        return
    match = _DETECTIONS.match(line)
    if match:
        detections[match.group(1)] = match.group(3) or 'nothing detected'
        return
    match = _SAVED.match(line)
    if match:
        saved[match.group(2)] = match.group(1)


def _report_exit(process: Process) -> None:
    sys.stderr.write('--- %s (exit status %s), last lines:\n%s\n' % (
        process.name, process.popen.poll(), '\n'.join(process.tail)))


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the demo and print one line per photo."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--output', default='',
                        help='folder for the annotated images (default: a new temp folder)')
    parser.add_argument('--backend', default='onnxruntime',
                        choices=BACKENDS)
    parser.add_argument('--model', default='', help='model path or bundled name')
    parser.add_argument('--rate', type=float, default=2.0, help='source frames per second')
    parser.add_argument('--timeout', type=float, default=180.0, help='seconds before giving up')
    args = parser.parse_args(argv)
    output = args.output or tempfile.mkdtemp(prefix='trt_perception_demo_')
    ok, results = run_demo(output, args.backend, args.model, args.rate, args.timeout)
    for photo, (found, path) in sorted(results.items()):
        print('%-20s %s\n%-20s -> %s' % (photo, found, '', path))
    print('%s: %d photos through image_source -> detector_node -> detection_listener; '
          'annotated images in %s' % ('OK' if ok else 'FAILED', len(results), output))
    return 0 if ok else 1


if __name__ == '__main__':
    raise SystemExit(main())
