# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The tracker against Ultralytics' BYTETracker: MOT scores on synthetic scenes, and cost per frame.

Scores: every scene of test/tracking_scenes.py (the ones test/test_tracking_mot.py asserts on)
and `--seeds` more seeds of each, both trackers on the same detections, motmetrics at IoU 0.5.
Cost: `--frames` frames of 10, 50 and 200 objects drifting on a 1920x1080 view (one in ten
detections low-score), per-frame time of our stage (SciPy's solver and the NumPy one) and of
BYTETracker.update on the same detections; medians after the first 20 frames, the trackers
taking turns for `--repeats` rounds::

    python bench/tracking.py [--seeds 4] [--frames 300] [--repeats 3] [--part mot|cost]
"""

import argparse
import dataclasses
import os
import platform
import statistics
import sys
import time
from typing import Callable, Dict, List, Tuple

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for folder in (ROOT, os.path.join(ROOT, 'test')):
    if folder not in sys.path:
        sys.path.insert(0, folder)

from tracking_scenes import Boxes, make_scene, run_ours, run_ultralytics  # noqa: E402
from tracking_scenes import SCENES, score, SETTINGS, ultralytics_args  # noqa: E402
from trt_perception.core.detection import Detection  # noqa: E402
from trt_perception.core.stages import FrameInfo  # noqa: E402
from trt_perception.core.tracking import TrackerSettings, TrackerStage  # noqa: E402
from trt_perception.core.tracking.assignment import GatedMatcher  # noqa: E402
from trt_perception.core.tracking.assignment import numpy_linear_sum_assignment  # noqa: E402

Frames = List[Tuple[float, List[Detection]]]


def mot_table(extra_seeds: int, settings: TrackerSettings) -> None:
    """Print MOTA / IDF1 / ID switches of both trackers, one row per scene and seed."""
    print('| scene | seed | frames | truths | detections | ours MOTA | ours IDF1 | ours IDsw '
          '| Ultralytics MOTA | Ultralytics IDF1 | Ultralytics IDsw |')
    print('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    totals = {'ours': [], 'ultralytics': []}
    for base in SCENES:
        for seed in [base.seed] + [100 + base.seed * 10 + i for i in range(extra_seeds)]:
            frames = make_scene(dataclasses.replace(base, seed=seed))
            ours = score(frames, run_ours(frames, settings))
            theirs = score(frames, run_ultralytics(frames, settings))
            totals['ours'].append(ours)
            totals['ultralytics'].append(theirs)
            print('| %s%s | %d | %d | %d | %d | %.3f | %.3f | %d | %.3f | %.3f | %d |' % (
                base.name, ' (test)' if seed == base.seed else '', seed, len(frames),
                sum(len(f.truth) for f in frames), sum(len(f.detections) for f in frames),
                ours['mota'], ours['idf1'], ours['num_switches'], theirs['mota'],
                theirs['idf1'], theirs['num_switches']))
    mean = {name: {key: statistics.mean(r[key] for r in rows) for key in rows[0]}
            for name, rows in totals.items()}
    print('| mean of %d scenes | | | | | %.3f | %.3f | %.1f | %.3f | %.3f | %.1f |' % (
        len(totals['ours']), mean['ours']['mota'], mean['ours']['idf1'],
        mean['ours']['num_switches'], mean['ultralytics']['mota'],
        mean['ultralytics']['idf1'], mean['ultralytics']['num_switches']))
    wins = sum(o['mota'] >= u['mota'] and o['idf1'] >= u['idf1']
               for o, u in zip(totals['ours'], totals['ultralytics']))
    print('\nours at least as good on both MOTA and IDF1 in %d of %d scenes'
          % (wins, len(totals['ours'])))


def drifting(count: int, frames: int, seed: int = 0) -> Frames:
    """`count` boxes on a grid drifting slowly, at 30 Hz; one detection in ten low-score."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(count)))
    start = np.array([[(i % side) * 1880.0 / side, (i // side) * 1000.0 / side]
                      for i in range(count)])
    velocity = rng.uniform(-20, 20, (count, 2))
    out = []
    for k in range(frames):
        stamp = k / 30.0
        corners = start + velocity * stamp + rng.normal(0, 0.5, (count, 2))
        scores = np.where(rng.uniform(size=count) < 0.1, 0.3, 0.85)
        out.append((stamp, [Detection(float(x), float(y), float(x) + 30.0, float(y) + 50.0,
                                      float(s), 0, 'person')
                            for (x, y), s in zip(corners, scores)]))
    return out


def time_ours(frames: Frames, matcher: GatedMatcher) -> List[float]:
    """Seconds per frame of our stage."""
    stage = TrackerStage(SETTINGS, lambda key, text: None, matcher)
    times = []
    for stamp, detections in frames:
        info = FrameInfo('camera', stamp, 1920, 1080)
        begin = time.perf_counter()
        stage.process(info, detections)
        times.append(time.perf_counter() - begin)
    return times


def time_ultralytics(frames: Frames) -> List[float]:
    """Seconds per frame of BYTETracker.update (the Boxes are built outside the timing)."""
    from ultralytics.trackers.byte_tracker import BYTETracker
    tracker = BYTETracker(ultralytics_args())
    inputs = [Boxes.of(detections) for _, detections in frames]
    times = []
    for boxes in inputs:
        begin = time.perf_counter()
        tracker.update(boxes)
        times.append(time.perf_counter() - begin)
    return times


def cost_table(frame_count: int, repeats: int) -> None:
    """Print the median per-frame time of each tracker at 10, 50 and 200 objects."""
    runners: List[Tuple[str, Callable[[Frames], List[float]]]] = [
        ('ours (SciPy solver)', lambda f: time_ours(f, GatedMatcher())),
        ('ours (NumPy solver)', lambda f: time_ours(f, GatedMatcher(numpy_linear_sum_assignment))),
        ('Ultralytics BYTETracker', time_ultralytics),
    ]
    print('| objects | ' + ' | '.join('%s (ms)' % name for name, _ in runners)
          + ' | Ultralytics / ours |')
    print('| ---: |' + ' ---: |' * (len(runners) + 1))
    for count in (10, 50, 200):
        frames = drifting(count, frame_count)
        samples: Dict[str, List[float]] = {name: [] for name, _ in runners}
        for _ in range(repeats):
            for name, run in runners:
                samples[name].extend(run(frames)[20:])
        medians = [statistics.median(samples[name]) * 1e3 for name, _ in runners]
        print('| %d | %s | %.2fx |' % (count, ' | '.join('%.3f' % m for m in medians),
                                       medians[2] / medians[0]))


def main(argv=None) -> int:
    """Print the machine, the MOT table and the cost table."""
    parser = argparse.ArgumentParser(description=__doc__.strip().split('\n\n')[0])
    parser.add_argument('--seeds', type=int, default=4, help='extra seeds per scene')
    parser.add_argument('--frames', type=int, default=300, help='frames per cost run')
    parser.add_argument('--repeats', type=int, default=3, help='cost rounds per tracker')
    parser.add_argument('--track-buffer', type=float, default=SETTINGS.track_buffer,
                        help='seconds (ours), x 30 frames (Ultralytics)')
    parser.add_argument('--part', choices=('all', 'mot', 'cost'), default='all',
                        help='print both tables, or one')
    args = parser.parse_args(argv)
    import ultralytics
    print('%s, %d cores visible, Python %s, numpy %s, ultralytics %s, load average %s' % (
        platform.processor() or platform.machine(), os.cpu_count() or 0,
        platform.python_version(), np.__version__, ultralytics.__version__,
        ' '.join('%.2f' % v for v in os.getloadavg())))
    if args.part in ('all', 'mot'):
        print()
        print('track buffer %g s (Ultralytics: %d frames)'
              % (args.track_buffer, round(args.track_buffer * 30)))
        mot_table(args.seeds, dataclasses.replace(SETTINGS, track_buffer=args.track_buffer))
    if args.part in ('all', 'cost'):
        print()
        cost_table(args.frames, args.repeats)
    print('\nload average after: %s' % ' '.join('%.2f' % v for v in os.getloadavg()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
