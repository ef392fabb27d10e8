# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Tracking through the node over real rclpy and DDS, with the bundled model on real photos.

A cat (skimage's chelsea) walks across 30 frames stamped at 30 Hz; a person (astronaut) comes
in at frame 10; frames 14 to 16 are never published, as the newest-frame policy drops them
under load (three skipped stamps).  The ids must be on the topic, one per object for the whole
sequence, the trails on the debug image and the counts in the engine's diagnostics.
"""

import moving_photos
import numpy as np
from ros_imports import ros_imports

with ros_imports():
    from rcl_interfaces.msg import ParameterType
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import Image

from test_detector_node import _set, engine_status, wait_for  # noqa: E402
from trt_perception.ros.image_conversion import array_to_image  # noqa: E402

COUNT = 30
PERSON_FROM = 10
DROPPED = (14, 15, 16)
RATE = 30.0


def frame_of(index):
    """Return frame `index` (BGR): the cat moved, the person there from `PERSON_FROM` on."""
    return moving_photos.frame(index, COUNT, person=index >= PERSON_FROM)


def frame_message(index):
    """Frame `index` as an Image stamped 1/30 s after the one before it."""
    msg = array_to_image(frame_of(index), 'bgr8')
    msg.header.frame_id = 'tracked_cam'
    nanoseconds = 1000 * 10 ** 9 + int(round(index * 1e9 / RATE))
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(nanoseconds, 10 ** 9)
    return msg


def test_each_object_keeps_its_own_id_across_frames_and_dropped_frames(ros):
    node = ros.detector(backend='onnxruntime', tracking=True)
    debug = []
    ros.peer.create_subscription(Image, 'detections/debug_image', debug.append, 50)
    wait_for(lambda: node.count_subscribers('detections/debug_image') == 1,
             what='the debug image subscription')
    publisher = ros.publisher('image')
    ids = {'cat': [], 'person': []}
    centres = []
    for index in range(COUNT):
        if index in DROPPED:
            continue
        msg = frame_message(index)
        found, hypotheses = ros.detections_for('detections', publisher, msg)
        # The id is in the message's own field (Detection2D.id, or tracking_id on 2.x).
        assert [h.track_id for h in hypotheses] == [
            item.id if hasattr(item, 'id') else item.tracking_id for item in found.detections]
        for label in ids:
            mine = [h for h in hypotheses if h.class_id == label]
            assert len(mine) <= 1, (index, hypotheses)
            if mine:
                ids[label].append((index, mine[0].track_id))
        cat = [h for h in hypotheses if h.class_id == 'cat']
        centres.append(((cat[0].x1 + cat[0].x2) / 2, (cat[0].y1 + cat[0].y2) / 2))
    cat_ids = {track for index, track in ids['cat'] if index >= 1}
    person_ids = {track for index, track in ids['person'] if index >= PERSON_FROM + 1}
    assert [index for index, _ in ids['cat']] == [i for i in range(COUNT) if i not in DROPPED]
    assert len(cat_ids) == 1 and '' not in cat_ids, ids['cat']
    assert len(person_ids) == 1 and '' not in person_ids, ids['person']
    assert cat_ids != person_ids
    assert not [index for index, _ in ids['person'] if index < PERSON_FROM]

    # The last debug image draws the cat's trail: the line through its recent centres.
    last = frame_message(COUNT - 1)
    image = wait_for(lambda: [m for m in debug if m.header == last.header],
                     what='the last debug image')[0]
    drawn = np.frombuffer(image.data, np.uint8).reshape(image.height, image.width, 3)
    changed = (drawn != frame_of(COUNT - 1)).any(axis=2)
    trail = centres[-10:]
    on_trail = [changed[int(round((a[1] + b[1]) / 2)) - 1:int(round((a[1] + b[1]) / 2)) + 2,
                        int(round((a[0] + b[0]) / 2)) - 1:int(round((a[0] + b[0]) / 2)) + 2].any()
                for a, b in zip(trail, trail[1:])]
    assert all(on_trail), on_trail

    _, values = engine_status(
        ros, node, lambda s, v: v.get('stage.tracking.active_tracks') == '2')
    assert int(values['stage.tracking.tracks_started']) == 2
    assert int(values['stage.tracking.tracks_ended']) == 0
    assert int(values['stage.tracking.time_gaps']) == 0
    assert float(values['stage.tracking.tracks_started_per_s']) >= 0.0

    # The tuning changes at run time through the parameter service, checked by the schema.
    stage = node._detector.stages._built[0].stage
    assert _set(ros, node, 'tracking.min_hits', 3, ParameterType.PARAMETER_INTEGER).successful
    assert stage.settings.min_hits == 3
    refused = _set(ros, node, 'tracking.match_iou', 5.0, ParameterType.PARAMETER_DOUBLE)
    assert not refused.successful and stage.settings.match_iou == 0.3

    # Deactivated, the camera's tracks end: a stream interrupted on purpose starts afresh.
    node._deactivate()
    assert node._detector.stages.health()['tracking']['active_tracks'] == 0


def test_tracking_is_off_by_default_and_ids_stay_empty(ros):
    node = ros.detector(backend='onnxruntime')
    assert node._detector.stages.names == ()
    # The switch is read at start-up only.
    (result,) = node.set_parameters([Parameter('tracking', value=True)])
    assert not result.successful
    publisher = ros.publisher('image')
    for index in range(3):
        _, hypotheses = ros.detections_for('detections', publisher, frame_message(index))
        assert hypotheses and all(h.track_id == '' for h in hypotheses)
