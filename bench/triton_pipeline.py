# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Cameras through a Triton server against the same cameras on the local CPU backend.

    .venv/bin/python bench/triton_pipeline.py [--cameras 1 2 4 8] [--seconds 8]
        [--transports none system cuda] [--depths 1 2]

Starts the nvidia-pytriton tritonserver on 127.0.0.1 serving the bundled person detector
(Python backend, ONNX Runtime inside the server, dynamic batching), and for each camera count
runs, each for `--seconds` of back-to-back frames:

- local: one pipeline, ONNX Runtime in-process, batching the cameras (max_batch = cameras),
  as one detector_node with that many cameras does;
- triton, one node, depth D: the same with backend triton and pipeline_depth D (requests in
  flight at once: the node's worker keeps D batches submitted, as BatchScheduler does);
- triton, N robots: one client per camera (max_batch 1, own thread and connection), as N
  robots sharing the server: the server's dynamic batching merges their requests.

Transports: 'none' (tensors in the gRPC messages), 'system' (POSIX shared memory) and, on a
machine with pycuda and a CUDA GPU, 'cuda' (GPU preprocessing writes the input into CUDA
shared memory the server reads).  Frames per second count every camera's frames; latency is
per frame, from the start of its batch's preprocessing to its decoded detections.  The
transport is split out with the server's statistics, at depth 1 only (deeper, the client's
inference stage also holds the wait behind the batch before): per request, the client's
inference time minus the time the server spent on the request (queue and compute), over the
frames in it.  The server and the clients share this machine's cores, so a Triton run here
measures overhead, not a GPU box's speed.
"""

import argparse
import collections
import os
import platform
import sys
import tempfile
import threading
import time
from typing import Deque, Dict, List

import numpy as np
from skimage import data

from trt_perception.assembly import create_pipeline, PipelineConfig
from trt_perception.core.backend import BackendError
from trt_perception.core.image import RawImage
from trt_perception.tools.local_triton import LocalTritonServer, stub_python_path
from trt_perception.triton.client import ServerConnection
from trt_perception.triton.repository import export_repository
from trt_perception.triton.settings import TritonSettings
from trt_perception.triton.transport import SHARED_MEMORY

MODEL = 'ssdlite_mobilenet_v2_person'


def server_seconds(url: str) -> Dict[str, float]:
    """Cumulative requests and server-side seconds of MODEL (queue + compute)."""
    connection = ServerConnection(url, 10.0)
    try:
        stats = connection.statistics(MODEL)['model_stats'][0]['inference_stats']
    finally:
        connection.close()
    success = stats.get('success', {})
    return {'requests': float(success.get('count', 0)),
            'seconds': float(success.get('ns', 0)) / 1e9}


class Run:
    """Frames, per-frame latencies and per-request inference times of one configuration."""

    def __init__(self) -> None:
        """Start with nothing measured."""
        self.latencies: List[float] = []
        self.inference_ms: List[float] = []
        self.frames = 0
        self.failures: List[str] = []
        self.lock = threading.Lock()

    def drive(self, pipeline, frames: List[RawImage], deadline: float) -> None:
        """Keep `pipeline.depth` batches of `frames` in flight until `deadline`."""
        in_flight: Deque = collections.deque()
        while in_flight or time.monotonic() < deadline:
            if time.monotonic() < deadline and len(in_flight) < pipeline.depth:
                try:
                    in_flight.append(pipeline.submit(frames))
                except BackendError as error:  # reported with the figures, never silently
                    self.failed(error)
                continue
            submitted = in_flight.popleft()
            try:
                result = pipeline.complete(submitted)
            except BackendError as error:
                self.failed(error)
                continue
            elapsed = (time.perf_counter() - submitted.started) * 1e3
            with self.lock:
                self.frames += len(frames)
                self.latencies += [elapsed] * len(frames)
                self.inference_ms.append(result.timing.inference)

    def failed(self, error: Exception) -> None:
        """Count a failed batch."""
        with self.lock:
            self.failures.append(str(error))


def measure(configs: List[PipelineConfig], cameras: int, frames: List[RawImage],
            seconds: float, url: str = '', transport: bool = True) -> Dict[str, float]:
    """Run one pipeline per config in its own thread for `seconds`; return the figures."""
    pipelines = [create_pipeline(c) for c in configs]
    per_pipeline = cameras // len(pipelines)
    batch = [frames[i % len(frames)] for i in range(per_pipeline)]
    for pipeline in pipelines:  # warm-up: sessions, connections, first allocations
        pipeline.detect(batch)
    before = server_seconds(url) if url else None
    run = Run()
    start = time.monotonic()
    threads = [threading.Thread(target=run.drive, args=(p, batch, start + seconds))
               for p in pipelines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - start
    for pipeline in pipelines:
        pipeline.close()
    if run.failures:
        print('%d failed batches, first: %s' % (len(run.failures), run.failures[0]),
              file=sys.stderr)
    figures = {'fps': run.frames / wall, 'p50': float(np.percentile(run.latencies, 50)),
               'p95': float(np.percentile(run.latencies, 95)),
               'failures': float(len(run.failures))}
    if before is not None:
        after = server_seconds(url)
        requests = after['requests'] - before['requests']
        server_ms = (after['seconds'] - before['seconds']) * 1e3 / max(requests, 1)
        figures['server'] = server_ms
        if transport:
            figures['transport'] = (float(np.mean(run.inference_ms)) - server_ms) / per_pipeline
    return figures


def cuda_gpu() -> str:
    """Name of CUDA device 0 where pycuda and a GPU are usable, else ''."""
    try:
        from trt_perception.gpu.context import describe_devices
        devices = describe_devices()
    except Exception:  # no pycuda, no driver or no device: CPU-only transports
        return ''
    return devices[0] if devices else ''


def main() -> int:
    """Run every configuration and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--cameras', type=int, nargs='+', default=[1, 2, 4, 8])
    parser.add_argument('--seconds', type=float, default=8.0)
    parser.add_argument('--transports', nargs='+', choices=SHARED_MEMORY,
                        help='default: none and system, and cuda where a CUDA GPU is usable')
    parser.add_argument('--depths', type=int, nargs='+', default=[1, 2],
                        help='pipeline_depth of the one-node Triton runs')
    args = parser.parse_args()
    gpu = cuda_gpu()
    transports = args.transports or ['none', 'system'] + (['cuda'] if gpu else [])
    photos = [RawImage.from_array(np.ascontiguousarray(getattr(data, n)()), 'rgb8')
              for n in ('astronaut', 'coffee', 'chelsea', 'rocket')]
    work = tempfile.mkdtemp(prefix='triton_bench_')
    repository = os.path.join(work, 'models')
    # threads=0: ONNX Runtime in the server may use every core, as the local backend does.
    export_repository(repository, MODEL, platform='python', max_batch=max(args.cameras),
                      max_queue_delay_us=2000, python_path=stub_python_path(), threads=0)
    import onnxruntime
    print('machine: %s, %d cores%s; Python %s; ONNX Runtime %s; tritonserver from '
          'nvidia-pytriton 0.7.0 (Python backend); model %s, %g s per configuration\n'
          % (platform.processor() or platform.machine(), os.cpu_count(),
             '; GPU ' + gpu if gpu else '', platform.python_version(),
             onnxruntime.__version__, MODEL, args.seconds))
    print('| cameras | configuration | fps | p50 ms | p95 ms | server ms/request '
          '| transport ms/frame | failed batches |')
    print('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |')
    labels = {'none': 'socket', 'system': 'shared memory', 'cuda': 'CUDA shared memory'}
    with LocalTritonServer(repository, work) as server:
        for cameras in args.cameras:
            runs = [('local ONNX Runtime, one node', [
                PipelineConfig(model=MODEL, backend='onnxruntime', max_batch=cameras)], '')]
            for transport in transports:
                # A timeout far above any latency here: overload shows as latency, not as
                # failed requests (which the server would still count as its work).
                settings = TritonSettings(url=server.grpc_url, shared_memory=transport,
                                          timeout=60.0)
                for depth in args.depths:
                    runs.append(('triton gRPC %s, one node, depth %d' % (
                        labels[transport], depth), [PipelineConfig(
                            model=MODEL, backend='triton', max_batch=cameras,
                            pipeline_depth=depth, triton=settings)], server.grpc_url))
                if cameras > 1:
                    robot = PipelineConfig(model=MODEL, backend='triton', max_batch=1,
                                           pipeline_depth=1, triton=settings)
                    runs.append(('triton gRPC %s, %d robots' % (labels[transport], cameras),
                                 [robot] * cameras, server.grpc_url))
            for label, configs, url in runs:
                f = measure(configs, cameras, photos, args.seconds, url,
                            transport=configs[0].pipeline_depth <= 1)
                print('| %d | %s | %.1f | %.1f | %.1f | %s | %s | %d |' % (
                    cameras, label, f['fps'], f['p50'], f['p95'],
                    '%.1f' % f['server'] if 'server' in f else '-',
                    '%.2f' % f['transport'] if 'transport' in f else '-', f['failures']))
                sys.stdout.flush()
        stats = ServerConnection(server.grpc_url, 10.0).statistics(MODEL)['model_stats'][0]
    sizes = {int(b['batch_size']): int(b['compute_infer']['count'])
             for b in stats.get('batch_stats', [])}
    print('\nserver executions by batch size: %s' % ', '.join(
        '%d: %d' % item for item in sorted(sizes.items())))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
