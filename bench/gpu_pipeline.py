# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
End-to-end GPU benchmark: raw camera bytes to detections, against peers, in one run.

    python3 bench/gpu_pipeline.py [--seconds 2] [--markdown FILE] [--json FILE]

What runs, on one machine with a CUDA GPU, pycuda and onnxruntime-gpu:

- ours: bgr8 frames (1280x720, 1920x1080) as `bytes`, as rclpy hands a message's data over,
  through the node's own runtime (`runtime.detector.Detector` over a `LatestFrameMailbox`) into
  the GPU pipeline: fused letterbox kernel into ONNX Runtime's CUDA input (IOBinding), on
  one stream, outputs back through page-locked memory, YOLOv8 decode and NMS on the CPU.
  For 1, 2, 4 and 8 cameras (a feeder thread per camera puts its next frame the moment the
  last one is taken, so every camera always has a fresh frame and the figures are the
  detector's capacity) and batch sizes 1..8, the synchronous
  worker (pipeline depth 1) and the pipelined one (depth 2): frames per second, latency
  from a frame's arrival to its detections (p50, p95) and the time of each stage.
- peers on the same frames and the same YOLOv8n weights: Ultralytics' predictor on PyTorch
  CUDA (what yolo_ros runs; frames to boxes in source pixels), and our pipeline with ONNX
  Runtime on the CPU.
- inference alone (the engine on an input already on the GPU) and the latency of one frame
  at a time, for the latency target.

The weights are YOLOv8n's architecture with seeded random weights, built here from
Ultralytics' YAML and exported to ONNX from that same network, so both sides run identical
weights (no pretrained weights can be downloaded here; random weights make few detections,
which keeps NMS cheap on both sides alike).
"""

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, 'scripts'))

from trt_perception.assembly import create_pipeline, PipelineConfig  # noqa: E402
from trt_perception.core.decoders import DetectionParams  # noqa: E402
from trt_perception.core.image import RawImage  # noqa: E402
from trt_perception.core.latest_frame import LatestFrameMailbox  # noqa: E402
from trt_perception.core.pipeline import BatchResult  # noqa: E402
from trt_perception.core.stages import FrameInfo  # noqa: E402
from trt_perception.core.worker import Entry  # noqa: E402
from trt_perception.runtime.detector import Detector  # noqa: E402
from trt_perception.runtime.stages import ResultStages, STAGE_PLUGINS  # noqa: E402

SIZES = [(1280, 720), (1920, 1080)]
CAMERAS = [1, 2, 4, 8]
BATCHES = [1, 2, 4, 8]


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile of `values` (q from 0 to 100), nan when empty."""
    return float(np.percentile(values, q)) if len(values) else float('nan')


def make_frames(width: int, height: int, count: int = 4) -> List[bytes]:
    """Bgr8 frames as message bytes: a real photo resized, plus noise (never zeros)."""
    import cv2
    from skimage import data
    rng = np.random.default_rng(0)
    photo = cv2.resize(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), (width, height))
    return [cv2.add(photo, rng.integers(0, 24, photo.shape, dtype=np.uint8)).tobytes()
            for _ in range(count)]


def yolov8n(work_dir: str):
    """Seeded YOLOv8n from Ultralytics' YAML, and that same network exported with a card."""
    os.environ.setdefault('YOLO_CONFIG_DIR', os.path.join(work_dir, 'ultralytics'))
    os.environ.setdefault('YOLO_OFFLINE', '1')
    from pathlib import Path

    import onnx
    import torch
    from model_prep.yolov8 import RandomYoloV8Preparation
    from ultralytics import YOLO

    torch.manual_seed(0)
    yolo = YOLO('yolov8n.yaml', task='detect')
    preparation = RandomYoloV8Preparation(
        name='yolov8n-bench', sources=(), licence='AGPL-3.0 (Ultralytics)',
        labels=os.path.join(REPO, 'config', 'coco.names'), description='benchmark')
    model, card = preparation.export(yolo.model, Path(work_dir))
    onnx.save(model, os.path.join(work_dir, 'yolov8n-bench.onnx'))
    card.update({'name': 'yolov8n-bench', 'file': 'yolov8n-bench.onnx',
                 'labels': preparation.labels})
    card_path = os.path.join(work_dir, 'yolov8n-bench.json')
    with open(card_path, 'w') as f:
        json.dump(card, f)
    return card_path, yolo


class Feeders:
    """
    One thread per camera that puts its next frame as soon as the last one was taken.

    Every camera so always has a fresh frame waiting, as with cameras faster than the
    detector, without threads spinning at a fixed high rate; a frame's arrival time is when
    it was put.
    """

    def __init__(self, mailbox: LatestFrameMailbox, frames: List[bytes], cameras: int) -> None:
        """Start `cameras` feeders cycling through `frames`."""
        self._mailbox = mailbox
        self._frames = frames
        self._stop = False
        self._taken = [threading.Event() for _ in range(cameras)]
        self._threads = [threading.Thread(target=self._feed, args=(c,), daemon=True)
                         for c in range(cameras)]
        for event in self._taken:
            event.set()
        for thread in self._threads:
            thread.start()

    def taken(self, camera: int) -> None:
        """Tell `camera`'s feeder that its frame left the mailbox."""
        self._taken[camera].set()

    def _feed(self, camera: int) -> None:
        count = 0
        while True:
            self._taken[camera].wait()
            self._taken[camera].clear()
            if self._stop:
                return
            self._mailbox.put(camera, (self._frames[count % len(self._frames)],
                                       time.perf_counter()))
            count += 1

    def stop(self) -> None:
        """Stop every feeder and wait for it."""
        self._stop = True
        for event in self._taken:
            event.set()
        for thread in self._threads:
            thread.join()


class _Failures:
    """The runtime's `events`: keeps each failed batch's report."""

    def __init__(self) -> None:
        self.texts: List[str] = []

    def error(self, key: object, text: str) -> None:
        self.texts.append(text)


def run_worker(config: PipelineConfig, frames: List[bytes], size: Tuple[int, int],
               cameras: int, seconds: float) -> Dict[str, float]:
    """Serve `cameras` saturating feeders for `seconds`; fps, latency and stage means."""
    width, height = size
    mailbox = LatestFrameMailbox()
    delivered: List[Tuple[float, float, Dict[str, float]]] = []
    failures = _Failures()

    def convert(camera, frame) -> RawImage:
        feeders.taken(camera)
        return RawImage.from_buffer(frame[0], width, height, width * 3, 'bgr8')

    def deliver(entry: Entry, found, times: Dict[str, float], result: BatchResult) -> None:
        done = time.perf_counter()
        times.update({'gpu_' + stage: ms for stage, ms in result.gpu_times.items()})
        delivered.append((done, (done - entry.frame[1]) * 1e3, times))

    feeders = Feeders(mailbox, frames, cameras)
    log = logging.getLogger('gpu_pipeline')
    detector = Detector(config, mailbox, convert,
                        lambda entry: FrameInfo(str(entry.camera), entry.frame[1], width, height),
                        deliver, ResultStages(STAGE_PLUGINS, {}, log), log, failures)
    time.sleep(min(1.0, seconds / 2))  # warm-up, not measured
    start = time.perf_counter()
    time.sleep(seconds)
    end = time.perf_counter()
    feeders.stop()
    detector.close()
    if failures.texts:
        raise RuntimeError('batches failed: %s' % failures.texts[:3])
    measured = [(latency, times) for done, latency, times in delivered if start <= done < end]
    latencies = [latency for latency, _ in measured]
    stages: Dict[str, List[float]] = {}
    for _, times in measured:
        for stage, value in times.items():
            stages.setdefault(stage, []).append(value)
    row = {'fps': len(latencies) / (end - start), 'p50_ms': percentile(latencies, 50),
           'p95_ms': percentile(latencies, 95)}
    row.update({stage: statistics.mean(values) for stage, values in stages.items()})
    return row


def inference_alone_ms(pipeline, repeat: int = 200) -> float:
    """Median milliseconds of the backend alone on an input already on the GPU (batch 1)."""
    backend = pipeline.backend
    times = []
    with pipeline._activate():
        batch = np.random.default_rng(0).random((1,) + tuple(backend.input.shape[1:]),
                                                dtype=np.float32)
        backend.upload(batch, 0)
        backend.enqueue(1, 0)
        backend.collect(0)
        for _ in range(repeat):
            backend.device_input(1, 0)
            start = time.perf_counter()
            backend.enqueue(1, 0)
            backend.collect(0)
            times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def one_at_a_time_ms(pipeline, frames: List[bytes], size: Tuple[int, int],
                     repeat: int = 200) -> Tuple[float, float]:
    """Median and p95 milliseconds from a frame's bytes to its detections, nothing queued."""
    width, height = size
    times = []
    for index in range(repeat + 10):
        start = time.perf_counter()
        image = RawImage.from_buffer(frames[index % len(frames)], width, height, width * 3,
                                     'bgr8')
        pipeline.detect([image])
        if index >= 10:
            times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), percentile(times, 95)


def ultralytics_row(yolo, frames: List[bytes], size: Tuple[int, int], cameras: int,
                    seconds: float) -> Dict[str, float]:
    """Ultralytics' predictor on PyTorch CUDA: `cameras` frames per call, to boxes on the host."""
    width, height = size
    arrays = [np.frombuffer(f, np.uint8).reshape(height, width, 3) for f in frames]

    def run(index: int) -> None:
        batch = [arrays[(index + c) % len(arrays)] for c in range(cameras)]
        for result in yolo.predict(batch, imgsz=640, conf=0.25, iou=0.45, device=0,
                                   half=False, verbose=False):
            result.boxes.xyxy.cpu().numpy()

    for index in range(10):
        run(index)
    latencies = []
    start = time.perf_counter()
    index = 0
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        run(index)
        latencies.append((time.perf_counter() - t0) * 1e3)
        index += 1
    elapsed = time.perf_counter() - start
    return {'fps': len(latencies) * cameras / elapsed, 'p50_ms': percentile(latencies, 50),
            'p95_ms': percentile(latencies, 95)}


def machine() -> str:
    """GPU, driver, CPU and library versions of this machine."""
    import onnxruntime
    import pycuda.driver as cuda
    cuda.init()
    gpu = cuda.Device(0).name()
    cpu = platform.processor() or platform.machine()
    with open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    return '%s (CUDA driver %s), %s x %d, Python %s, onnxruntime %s' % (
        gpu, cuda.get_driver_version(), cpu, os.cpu_count(), platform.python_version(),
        onnxruntime.__version__)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run every measurement, print markdown tables, optionally write them and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seconds', type=float, default=2.0, help='per configuration')
    parser.add_argument('--markdown', help='write the tables to this file')
    parser.add_argument('--json', help='write every figure to this file')
    args = parser.parse_args(argv)
    results: Dict[str, object] = {'machine': machine()}
    work_dir = tempfile.mkdtemp(prefix='gpu_pipeline_')
    card, yolo = yolov8n(work_dir)
    params = DetectionParams(conf_threshold=0.25, iou_threshold=0.45)
    lines = ['Machine: %s' % results['machine'], '']
    rows = []
    for size in SIZES:
        frames = make_frames(*size)
        label = '%dx%d' % size
        for graphs in (False, True):
            for depth in (1, 2):
                for batch in BATCHES:
                    config = PipelineConfig(model=card, backend='onnxruntime',
                                            max_batch=batch, pipeline_depth=depth,
                                            cuda_graphs=graphs, params=params)
                    for cameras in (c for c in CAMERAS if c >= batch):
                        row = run_worker(config, frames, size, cameras, args.seconds)
                        row.update(size=label, depth=depth, batch=batch, cameras=cameras,
                                   graphs=graphs)
                        rows.append(row)
                        print('ours %s graphs %s depth %d batch %d cameras %d: %.1f fps, '
                              'p50 %.2f ms' % (label, graphs, depth, batch, cameras,
                                               row['fps'], row['p50_ms']), flush=True)
            config = PipelineConfig(model=card, backend='onnxruntime', cuda_graphs=graphs,
                                    params=params)
            with create_pipeline(config) as pipeline:
                alone = inference_alone_ms(pipeline)
                single = one_at_a_time_ms(pipeline, frames, size)
            results.setdefault('latency', {})['%s graphs=%s' % (label, graphs)] = {
                'size': label, 'graphs': graphs, 'inference_alone_ms': alone,
                'one_frame_p50_ms': single[0], 'one_frame_p95_ms': single[1]}
        for cameras in CAMERAS:
            peer = ultralytics_row(yolo, frames, size, cameras, args.seconds)
            peer.update(size=label, cameras=cameras, batch=cameras)
            results.setdefault('ultralytics', []).append(peer)
        cpu = PipelineConfig(model=card, backend='onnxruntime', onnxruntime_provider='cpu',
                             preprocess='cpu', params=params)
        row = run_worker(cpu, frames, size, 1, args.seconds)
        row.update(size=label, cameras=1, batch=1)
        results.setdefault('onnxruntime_cpu', []).append(row)
    results['ours'] = rows
    lines += markdown(results)
    text = '\n'.join(lines)
    print(text)
    if args.markdown:
        with open(args.markdown, 'w') as f:
            f.write(text + '\n')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)
    return 0


def markdown(results: Dict) -> List[str]:
    """Render the tables and the three target ratios."""
    rows = results['ours']
    lines = ['| size | worker | CUDA graphs | batch | cameras | fps | p50 ms | p95 ms | convert '
             '| preprocess | inference | postprocess | GPU pre | GPU infer | GPU copy |',
             '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|']
    for r in rows:
        lines.append('| %s | %s | %s | %d | %d | %.1f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f '
                     '| %.2f | %.2f | %.2f |' % (
                         r['size'], 'pipelined' if r['depth'] == 2 else 'synchronous',
                         'on' if r['graphs'] else 'off',
                         r['batch'], r['cameras'], r['fps'], r['p50_ms'], r['p95_ms'],
                         r.get('convert', 0), r.get('preprocess', 0), r.get('inference', 0),
                         r.get('postprocess', 0), r.get('gpu_preprocess', 0),
                         r.get('gpu_inference', 0), r.get('gpu_download', 0)))
    lines += ['', '| size | peer | cameras (batch) | fps | p50 ms | p95 ms |',
              '|---|---|---|---|---|---|']
    for r in results['ultralytics']:
        lines.append('| %s | Ultralytics predictor, PyTorch CUDA | %d | %.1f | %.2f | %.2f |'
                     % (r['size'], r['cameras'], r['fps'], r['p50_ms'], r['p95_ms']))
    for r in results['onnxruntime_cpu']:
        lines.append('| %s | ours, ONNX Runtime CPU | 1 | %.1f | %.2f | %.2f |'
                     % (r['size'], r['fps'], r['p50_ms'], r['p95_ms']))
    lines += ['', 'Targets (batch 1, one camera):', '']
    for latency in results['latency'].values():
        size, graphs = latency['size'], latency['graphs']
        piped = next(r for r in rows if r['size'] == size and r['depth'] == 2
                     and r['graphs'] == graphs and r['batch'] == 1 and r['cameras'] == 1)
        slowest = max(piped.get('convert', 0) + piped.get('preprocess', 0),
                      piped.get('gpu_preprocess', 0) + piped.get('gpu_inference', 0)
                      + piped.get('gpu_download', 0),
                      piped.get('postprocess', 0))
        peer = next(r for r in results['ultralytics'] if r['size'] == size
                    and r['cameras'] == 1)
        lines.append('- %s, CUDA graphs %s: pipelined %.1f fps = %.2f x 1/(slowest stage '
                     "%.2f ms); %.2f x Ultralytics' %.1f fps; one frame at a time p50 %.2f ms "
                     'vs inference alone %.2f ms (+%.2f ms)' % (
                         size, 'on' if graphs else 'off', piped['fps'],
                         piped['fps'] * slowest / 1e3, slowest,
                         piped['fps'] / peer['fps'], peer['fps'],
                         latency['one_frame_p50_ms'], latency['inference_alone_ms'],
                         latency['one_frame_p50_ms'] - latency['inference_alone_ms']))
    return lines


if __name__ == '__main__':
    sys.exit(main())
