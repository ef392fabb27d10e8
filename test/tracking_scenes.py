# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Seeded synthetic tracking scenes with ground truth, the two trackers run over them, and scoring.

A scene is boxes moving at constant velocity (some crossing each other's paths), entering and
leaving the view, hidden while a nearer box covers most of them; its detections add box noise,
misses, weak (low-score) detections and false positives at stated rates, and frames are dropped
(so the time between stamps varies).  Both trackers get the same detections; each hypothesis is
scored with the box of the detection it was given to, so the scores compare association only.
CLEAR MOT and identity metrics come from `motmetrics` (py-motmetrics, the MOTChallenge
reference implementation).  Shared by test/test_tracking_mot.py and bench/tracking.py.
"""

from dataclasses import dataclass, field
import types
from typing import Dict, List, Tuple

import numpy as np

from trt_perception.core.detection import Detection
from trt_perception.core.stages import FrameInfo
from trt_perception.core.tracking import TrackerSettings, TrackerStage
from trt_perception.core.tracking.bytetrack import pairwise_iou

CLASSES = (0, 2)
FRAME_RATE = 30.0


@dataclass(frozen=True)
class SceneSpec:
    """How a scene is drawn: sizes, rates of faults; one seed gives one scene."""

    name: str
    seed: int
    frames: int = 300
    objects: int = 14
    crossing_pairs: int = 3
    miss_rate: float = 0.08
    weak_rate: float = 0.15
    false_positives_per_frame: float = 0.8
    drop_rate: float = 0.0
    box_noise: float = 0.03
    width: int = 1280
    height: int = 720


@dataclass
class Frame:
    """One delivered frame: its stamp, ground truth (id -> box) and detections."""

    stamp: float
    truth: Dict[int, Tuple[float, float, float, float]]
    detections: List[Detection] = field(default_factory=list)


def make_scene(spec: SceneSpec) -> List[Frame]:
    """Draw the scene `spec` describes (same spec, same frames)."""
    rng = np.random.default_rng(spec.seed)
    objects = []
    for index in range(spec.objects):
        w, h = rng.uniform(40, 140), rng.uniform(60, 220)
        start = int(rng.integers(0, spec.frames * 2 // 3))
        life = int(rng.integers(spec.frames // 4, spec.frames))
        x0 = rng.uniform(0, spec.width - w)
        y0 = rng.uniform(0, spec.height - h)
        vx, vy = rng.uniform(-120, 120), rng.uniform(-40, 40)
        objects.append([x0, y0, w, h, vx, vy, start, start + life, rng.uniform(), index])
    for pair in range(spec.crossing_pairs):
        # Two boxes of one class meet head-on mid-scene at the same point.
        a, b = objects[2 * pair], objects[2 * pair + 1]
        meet = rng.uniform(300, spec.width - 300), rng.uniform(200, spec.height - 200)
        b[2], b[3] = a[2] * rng.uniform(0.9, 1.1), a[3] * rng.uniform(0.9, 1.1)
        for item, sign in ((a, 1.0), (b, -1.0)):
            item[4], item[5] = sign * rng.uniform(60, 110), sign * rng.uniform(-15, 15)
            item[6], item[7] = spec.frames // 2 - 110, spec.frames // 2 + 110
            t = (spec.frames // 2 - item[6]) / FRAME_RATE
            item[0] = meet[0] - item[2] / 2 - item[4] * t
            item[1] = meet[1] - item[3] / 2 - item[5] * t
    classes = [CLASSES[0] if i < 2 * spec.crossing_pairs else int(rng.choice(CLASSES))
               for i in range(spec.objects)]
    frames = []
    for index in range(spec.frames):
        if index and rng.uniform() < spec.drop_rate:
            continue
        stamp = index / FRAME_RATE + rng.normal(0.0, 0.002)
        t_boxes = {}
        depth = {}
        for (x0, y0, w, h, vx, vy, start, end, z, oid) in objects:
            if not start <= index < end:
                continue
            t = (index - start) / FRAME_RATE
            x, y = x0 + vx * t, y0 + vy * t
            box = (max(x, 0.0), max(y, 0.0), min(x + w, spec.width), min(y + h, spec.height))
            if box[2] - box[0] > 0.4 * w and box[3] - box[1] > 0.4 * h:
                t_boxes[oid] = box
                depth[oid] = z
        frame = Frame(stamp, t_boxes)
        for oid, box in t_boxes.items():
            if _hidden(oid, box, t_boxes, depth) or rng.uniform() < spec.miss_rate:
                continue
            w, h = box[2] - box[0], box[3] - box[1]
            noisy = np.array(box) + rng.normal(0.0, spec.box_noise, 4) * [w, h, w, h]
            score = (rng.uniform(0.15, 0.45) if rng.uniform() < spec.weak_rate
                     else rng.uniform(0.55, 0.95))
            frame.detections.append(_detection(noisy, score, classes[oid]))
        for _ in range(rng.poisson(spec.false_positives_per_frame)):
            w, h = rng.uniform(30, 120), rng.uniform(30, 160)
            x, y = rng.uniform(0, spec.width - w), rng.uniform(0, spec.height - h)
            frame.detections.append(_detection(np.array([x, y, x + w, y + h]),
                                               rng.uniform(0.1, 0.7), int(rng.choice(CLASSES))))
        order = rng.permutation(len(frame.detections))
        frame.detections = [frame.detections[i] for i in order]
        frames.append(frame)
    return frames


def _hidden(oid, box, boxes, depth) -> bool:
    """Say whether a nearer box covers over 60 % of `box`."""
    area = (box[2] - box[0]) * (box[3] - box[1])
    for other, obox in boxes.items():
        if other == oid or depth[other] > depth[oid]:
            continue
        w = min(box[2], obox[2]) - max(box[0], obox[0])
        h = min(box[3], obox[3]) - max(box[1], obox[1])
        if w > 0 and h > 0 and w * h > 0.6 * area:
            return True
    return False


def _detection(box, score, class_id) -> Detection:
    return Detection(float(box[0]), float(box[1]), float(box[2]), float(box[3]), float(score),
                     class_id, 'class%d' % class_id)


SETTINGS = TrackerSettings(enabled=True)
"""The tracker's defaults; Ultralytics' tracker gets the same thresholds (`ultralytics_args`)."""


def ultralytics_args(settings: TrackerSettings = SETTINGS) -> types.SimpleNamespace:
    """Return BYTETracker's arguments matching `settings` (its buffer counts frames at 30 Hz)."""
    return types.SimpleNamespace(
        track_high_thresh=settings.high_threshold, track_low_thresh=settings.low_threshold,
        new_track_thresh=settings.new_track_threshold,
        track_buffer=int(round(settings.track_buffer * FRAME_RATE)),
        match_thresh=1.0 - settings.match_iou, fuse_score=True)


class Boxes:
    """The part of Ultralytics' Boxes that BYTETracker reads: xywh, conf, cls, [mask]."""

    def __init__(self, xywh: np.ndarray, conf: np.ndarray, cls: np.ndarray) -> None:
        self.xywh, self.conf, self.cls = xywh, conf, cls

    @classmethod
    def of(cls, detections: List[Detection]) -> 'Boxes':
        boxes = np.array([d.box for d in detections], np.float32).reshape(-1, 4)
        xywh = np.concatenate([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]],
                              axis=1)
        return cls(xywh, np.array([d.score for d in detections], np.float32),
                   np.array([d.class_id for d in detections], np.float32))

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, mask) -> 'Boxes':
        return Boxes(self.xywh[mask], self.conf[mask], self.cls[mask])


Hypotheses = List[Dict[int, Tuple[float, float, float, float]]]


def run_ours(frames: List[Frame], settings: TrackerSettings = SETTINGS,
             stage: TrackerStage = None) -> Hypotheses:
    """Our stage over the frames: per frame, track id -> box of the detection given that id."""
    stage = stage or TrackerStage(settings, lambda key, text: None)
    out = []
    for frame in frames:
        found = stage.process(FrameInfo('camera', frame.stamp, 1280, 720), frame.detections)
        out.append({d.track_id: d.box for d in found if d.track_id is not None})
    return out


def run_ultralytics(frames: List[Frame], settings: TrackerSettings = SETTINGS) -> Hypotheses:
    """Ultralytics' BYTETracker over the same frames, ids paired with the detections' boxes."""
    from ultralytics.trackers.byte_tracker import BYTETracker
    tracker = BYTETracker(ultralytics_args(settings))
    out = []
    for frame in frames:
        rows = tracker.update(Boxes.of(frame.detections))
        out.append({int(row[4]): frame.detections[int(row[7])].box for row in rows})
    return out


def score(frames: List[Frame], hypotheses: Hypotheses) -> Dict[str, float]:
    """MOTA, IDF1, ID switches and the rest, by motmetrics at IoU 0.5."""
    import motmetrics
    accumulator = motmetrics.MOTAccumulator(auto_id=True)
    for frame, found in zip(frames, hypotheses):
        truth_ids = sorted(frame.truth)
        hyp_ids = sorted(found)
        # motmetrics' own iou_matrix calls np.asfarray, gone in NumPy 2: the same matrix
        # (1 - IoU, NaN beyond 0.5) from pairwise_iou.
        distances = 1.0 - pairwise_iou(_corners([frame.truth[i] for i in truth_ids]),
                                       _corners([found[i] for i in hyp_ids]))
        distances[distances > 0.5] = np.nan
        accumulator.update(truth_ids, hyp_ids, distances)
    metrics = ['mota', 'idf1', 'num_switches', 'num_false_positives', 'num_misses',
               'mostly_tracked', 'num_unique_objects', 'num_fragmentations']
    summary = motmetrics.metrics.create().compute(accumulator, metrics=metrics)
    return {name: float(summary[name].iloc[0]) for name in metrics}


def _corners(boxes) -> np.ndarray:
    return np.array(boxes, np.float64).reshape(-1, 4)


SCENES = (
    SceneSpec('steady 30 Hz', seed=1),
    SceneSpec('20% frames dropped', seed=2, drop_rate=0.2),
    SceneSpec('crowded, 40% dropped', seed=3, objects=30, crossing_pairs=6, drop_rate=0.4,
              false_positives_per_frame=2.0),
)
