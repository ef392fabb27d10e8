# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
CPU benchmark: our preprocessing, NMS and full pipeline against peers, in one run.

    .venv/bin/python bench/cpu_pipeline.py [--model models/X.onnx] [--repeat 50]

Peers: a cv2.dnn.blobFromImage-based letterbox, cv2.dnn.NMSBoxesBatched, and the
ultralytics pipeline running the same ONNX file (skipped, and said so, when ultralytics is
not installed).  Prints a markdown table of medians and ratios and the machine it ran on.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from typing import Callable, List, Optional, Tuple

import cv2
import numpy as np

from peers import opencv_letterbox_blob
from trt_perception.assembly import create_pipeline, PipelineConfig
from trt_perception.core.decoders import DetectionParams
from trt_perception.core.image import RawImage
from trt_perception.core.letterbox import Letterbox
from trt_perception.core.models import find_model
from trt_perception.core.nms import batched_nms
from trt_perception.core.preprocess import CpuPreprocessor, PreprocessSpec


def median_ms(fn: Callable[[], object], repeat: int, warmup: int = 3) -> float:
    """Median wall-clock milliseconds of `fn` over `repeat` calls after `warmup` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def sample_frames() -> List[Tuple[str, np.ndarray]]:
    """Real photos from scikit-image plus synthetic camera-sized frames."""
    from skimage import data
    rng = np.random.default_rng(0)
    frames = [('astronaut 512x512', cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)),
              ('coffee 600x400', cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR))]
    for w, h in ((1280, 720), (1920, 1080)):
        base = cv2.resize(frames[0][1], (w, h))
        noise = rng.integers(0, 20, (h, w, 3), dtype=np.uint8)
        frames.append(('synthetic %dx%d' % (w, h), cv2.add(base, noise)))
    return frames


def detector_like_boxes(rng, n: int, objects: int, classes: int):
    """
    N candidate boxes as a detector emits them: jittered copies around `objects` objects.

    Each object has one class, so class-aware NMS keeps about one box per object, as it does
    on real model output.
    """
    centres = rng.uniform(40, 600, (objects, 2))
    sizes = rng.uniform(20, 200, (objects, 2))
    owner = rng.integers(0, objects, n)
    c = centres[owner] + rng.normal(0, 4, (n, 2))
    wh = sizes[owner] * rng.uniform(0.85, 1.15, (n, 2))
    boxes = np.concatenate([c - wh / 2, c + wh / 2], axis=1)
    return boxes, rng.uniform(0.25, 1.0, n), rng.integers(0, classes, objects)[owner]


def ultralytics_runner(model_path: str) -> Tuple[Optional[Callable], str]:
    """Return a callable running ultralytics on one frame, or None and why not."""
    try:
        from ultralytics import YOLO
    except Exception as exc:  # ultralytics is optional: report and go on
        return None, 'ultralytics not importable (%s)' % exc
    import ultralytics
    model = YOLO(model_path, task='detect')

    def run(frame):
        # rect=False: the ONNX file has a fixed 640x640 input; ultralytics would otherwise
        # shrink the letterbox to the frame's aspect ratio for a dynamic-batch model.
        return model.predict(frame, imgsz=640, conf=0.25, iou=0.45, rect=False, verbose=False)
    return run, 'ultralytics %s' % ultralytics.__version__


def machine() -> str:
    """CPU model and core count of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return '%s, %d cores visible, Python %s, OpenCV %s, numpy %s' % (
        cpu, os.cpu_count() or 0, platform.python_version(), cv2.__version__, np.__version__)


def main(argv=None) -> int:
    """Run every comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.strip().split('\n\n')[0])
    parser.add_argument('--model', default='', help='ONNX model (default: bundled detector)')
    parser.add_argument('--yolo-model', default='yolov8n-random',
                        help='YOLOv8 ONNX model run by both us and ultralytics')
    parser.add_argument('--repeat', type=int, default=30)
    args = parser.parse_args(argv)
    card = find_model(args.model)
    rows = []
    spec = PreprocessSpec(width=640, height=640, channel_order='rgb')
    ours = CpuPreprocessor(spec)
    batch = ours.allocate_batch(1)
    frames = sample_frames()
    for name, frame in frames:
        image = RawImage.from_array(frame, 'bgr8')
        a = median_ms(lambda: ours.run_host(image, batch, 0), args.repeat)
        box = Letterbox.fit(frame.shape[1], frame.shape[0], 640, 640)
        b = median_ms(lambda: opencv_letterbox_blob(frame, box), args.repeat)
        rows.append(('preprocess ' + name, a, 'cv2 blobFromImage letterbox', b))
    rng = np.random.default_rng(1)
    for n in (1000, 5000):
        boxes, scores, classes = detector_like_boxes(rng, n, 40, 80)
        xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], 1).tolist()
        s, c = scores.tolist(), classes.tolist()
        b = median_ms(lambda: cv2.dnn.NMSBoxesBatched(xywh, s, c, 0.0, 0.45), args.repeat)
        a = median_ms(lambda: batched_nms(boxes, scores, classes, 0.45), args.repeat)
        rows.append(('NMS %d candidates, 40 objects' % n, a, 'cv2.dnn.NMSBoxesBatched', b))
        a = median_ms(lambda: batched_nms(boxes, scores, classes, 0.45, max_output=100),
                      args.repeat)
        rows.append(('NMS %d candidates, stop at 100 kept (as the decoders run it)' % n, a,
                     'cv2.dnn.NMSBoxesBatched (no such option)', b))
    # ultralytics only runs YOLO-family outputs, so the comparison uses the YOLOv8n
    # architecture; the default model is timed on our side alone. Runs alternate between us
    # and the peer so that drift in the machine's speed hits both alike. Inference is the
    # same ONNX Runtime session work on both sides, so the overhead around it (preprocess +
    # postprocess, as each side reports it) is compared separately.
    yolo = find_model(args.yolo_model)
    peer, peer_name = ultralytics_runner(yolo.path)
    for card_used, runner in ((yolo, peer), (card, None)):
        config = PipelineConfig(model=card_used.path, backend='onnxruntime', preprocess='cpu',
                                params=DetectionParams(conf_threshold=0.25, iou_threshold=0.45))
        with create_pipeline(config) as pipeline:
            for name, frame in frames:
                image = RawImage.from_array(frame, 'bgr8')
                ours_total, ours_overhead, peer_total, peer_overhead = [], [], [], []
                for i in range(args.repeat + 3):
                    t0 = time.perf_counter()
                    timing = pipeline.detect([image]).timing
                    t1 = time.perf_counter()
                    peer_result = runner(frame) if runner else None
                    t2 = time.perf_counter()
                    if i < 3:
                        continue
                    ours_total.append((t1 - t0) * 1e3)
                    ours_overhead.append(timing.preprocess + timing.postprocess)
                    if peer_result:
                        peer_total.append((t2 - t1) * 1e3)
                        speed = peer_result[0].speed
                        peer_overhead.append(speed['preprocess'] + speed['postprocess'])
                label = '%s, %s' % (card_used.name, name)
                median = statistics.median
                nan = float('nan')
                rows.append(('full pipeline, ' + label, median(ours_total),
                             peer_name if runner else '-',
                             median(peer_total) if peer_total else nan))
                rows.append(('preprocess + postprocess, ' + label, median(ours_overhead),
                             peer_name if runner else '-',
                             median(peer_overhead) if peer_overhead else nan))
    print('Machine: %s' % machine())
    print()
    print('| what | ours (ms) | peer | peer (ms) | peer / ours |')
    print('| --- | ---: | --- | ---: | ---: |')
    for what, a, peer_label, b in rows:
        print('| %s | %.2f | %s | %.2f | %.2fx |' % (what, a, peer_label, b, b / a)
              if b == b else '| %s | %.2f | - | - | - |' % (what, a))
    return 0


if __name__ == '__main__':
    sys.exit(main())
