# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The depth settings, declared once (core.schema), and where each camera's depth topics are.

Depth is off unless `topics` is set.  A relative topic name is looked up next to the camera's
image topic, in the camera's namespace: the parent of the image topic's namespace, where
RGB-D drivers put their streams side by side (/camera/color/image_raw and
/camera/aligned_depth_to_color/image_raw).  The camera_info of a depth topic is, as
image_transport names it, its sibling ``camera_info`` unless `camera_info_topics` says else.
"""

from dataclasses import dataclass
from typing import Dict, Sequence, Tuple

from trt_perception.core.schema import setting, Settings, settings_of

PREFIX = 'depth.'
"""Outside names of the depth settings start with this ('depth.topics')."""


@dataclass(frozen=True)
class DepthSettings(Settings):
    """How depth images are found, paired with colour frames and turned into 3D boxes."""

    topics: Tuple[str, ...] = setting(
        (), 'Aligned depth image topic: one name for every camera or one per camera (in '
        'image topic order, an empty name for a camera without depth); a relative name is '
        'looked up in the camera namespace (the parent of the image topic namespace), e.g. '
        'aligned_depth_to_color/image_raw (RealSense), depth/depth_registered (ZED), '
        'stereo/image_raw (OAK-D). Empty: no depth, no 3D output.')
    camera_info_topics: Tuple[str, ...] = setting(
        (), 'camera_info topic of each depth topic, with the same rules; empty: camera_info '
        'next to the depth topic (aligned_depth_to_color/camera_info).')
    stamp_tolerance: float = setting(
        0.02, 'Largest difference in seconds between the stamp of a colour frame and the depth '
        'frame paired with it; frames with no depth that close get no 3D boxes (counted).',
        low=0.0, high=1.0, runtime=True)
    min_range: float = setting(
        0.1, 'Depths nearer than this (metres) are not measurements.', low=0.0, high=1000.0,
        runtime=True)
    max_range: float = setting(
        20.0, 'Depths farther than this (metres) are not measurements.', low=0.0,
        high=1000.0, runtime=True)
    percentile: float = setting(
        50.0, 'Percentile of the valid depths of an object taken as its distance (50: the '
        'median; lower it, e.g. to 20, when backgrounds fill much of the boxes).', low=0.0,
        high=100.0, runtime=True)
    band: float = setting(
        0.5, 'Depths farther than this (metres) from the distance of the object belong to '
        'something else (background, occluders, outliers) and are left out of its box.',
        low=0.01, high=100.0, runtime=True)
    inner_fraction: float = setting(
        0.5, 'Without a mask, the central part of a box (this fraction of its width and '
        'height) whose depths are read.', low=0.05, high=1.0, runtime=True)
    buffer: int = setting(
        10, 'Depth frames kept per camera for pairing with colour frames that arrive later '
        '(about 0.3 s at 30 Hz).', low=1, high=100)

    def __post_init__(self) -> None:
        """Check every setting, then that the valid range is not empty."""
        super().__post_init__()
        if self.min_range >= self.max_range:
            raise ValueError('%smin_range=%g is not below %smax_range=%g: no depth would be '
                             'valid' % (PREFIX, self.min_range, PREFIX, self.max_range))

    @property
    def enabled(self) -> bool:
        """Whether any camera has a depth topic."""
        return any(self.topics)


def depth_settings_described():
    """Every depth setting with its outside name ('depth.stamp_tolerance')."""
    return settings_of(DepthSettings, PREFIX)


def depth_topics_for(settings: DepthSettings,
                     image_topics: Sequence[str]) -> Dict[str, Tuple[str, str]]:
    """
    Map each camera's image topic to its (depth topic, camera_info topic).

    Cameras without depth are left out.  Raises ValueError naming the setting when a list does
    not match the cameras or one absolute name would serve several cameras.
    """
    depth = _per_camera(settings.topics, image_topics, 'topics')
    info = _per_camera(settings.camera_info_topics, image_topics, 'camera_info_topics')
    found = {}
    for image, depth_name, info_name in zip(image_topics, depth, info):
        if not depth_name:
            continue
        depth_topic = _resolve(depth_name, image)
        info_topic = _resolve(info_name, image) if info_name else _sibling_info(depth_topic)
        found[image] = (depth_topic, info_topic)
    return found


def _per_camera(names: Sequence[str], image_topics: Sequence[str], key: str) -> Sequence[str]:
    if not names:
        return [''] * len(image_topics)
    if len(names) == 1:
        if names[0].startswith('/') and len(image_topics) > 1:
            raise ValueError(
                '%s%s=%r is one absolute topic for %d cameras; give one name per camera or a '
                'relative name (looked up in the namespace of each camera)'
                % (PREFIX, key, list(names), len(image_topics)))
        return list(names) * len(image_topics)
    if len(names) != len(image_topics):
        raise ValueError('%s%s has %d names for %d cameras (%s); give one name, or one per '
                         'camera in the same order (an empty name for none)'
                         % (PREFIX, key, len(names), len(image_topics), ', '.join(image_topics)))
    return names


def _sibling_info(depth_topic: str) -> str:
    parent = depth_topic.rsplit('/', 1)
    return parent[0] + '/camera_info' if len(parent) == 2 else 'camera_info'


def _resolve(name: str, image_topic: str) -> str:
    if name.startswith('/'):
        return name
    # Drop the stream's namespace and the topic: /camera/color/image_raw -> /camera
    pieces = image_topic.split('/')
    head = pieces[:max(len(pieces) - 2, 0)] or ([''] if image_topic.startswith('/') else [])
    return '/'.join(head + [name])
