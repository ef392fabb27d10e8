# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Frames from a folder of images, one image or a video (no ROS)."""

import os

import cv2
import numpy as np
import pytest

from trt_perception.core.frame_source import (IMAGE_EXTENSIONS, ImageFolderReader, list_images,
                                              open_source, VideoReader)


def test_folder_reader_reads_images_in_name_order_and_rewinds(photos):
    folder, images = photos
    reader = open_source(str(folder))
    assert isinstance(reader, ImageFolderReader)
    names = []
    for _ in range(3):
        name, frame = reader.read()
        names.append(name)
        np.testing.assert_array_equal(frame, images[name])
    assert names == ['a.png', 'b.png', 'c.png'] and reader.read() is None
    reader.rewind()
    assert reader.read()[0] == 'a.png'


def test_video_reader_reads_frames_and_rewinds(tmp_path):
    path = str(tmp_path / 'clip.avi')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 10, (64, 48))
    levels = [20, 120, 220]
    for level in levels:
        writer.write(np.full((48, 64, 3), level, np.uint8))
    writer.release()
    reader = open_source(path)
    assert isinstance(reader, VideoReader)
    seen, seconds = [], []
    frame = reader.read()
    while frame is not None:
        seen.append((frame[0], int(round(frame[1].mean()))))
        seconds.append(reader.seconds())
        frame = reader.read()
    assert [name for name, _ in seen] == ['clip.avi#0', 'clip.avi#1', 'clip.avi#2']
    assert seconds == pytest.approx([0.0, 0.1, 0.2]), 'written at 10 Hz'
    assert all(abs(mean - level) <= 3 for (_, mean), level in zip(seen, levels))
    reader.rewind()
    assert reader.read()[0] == 'clip.avi#0'
    reader.close()


@pytest.mark.parametrize('source, message', [('', 'source is empty'),
                                             ('/no/such/place', 'does not exist')])
def test_bad_sources_say_what_to_do(source, message):
    with pytest.raises(ValueError, match=message):
        open_source(source)


def test_empty_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match='no image files'):
        open_source(str(tmp_path))


def test_list_images_keeps_image_files_in_name_order(photos):
    folder, images = photos
    (folder / 'D.JPG').write_bytes(b'')
    assert [os.path.basename(p) for p in list_images(str(folder))] == \
        ['D.JPG', 'a.png', 'b.png', 'c.png']
    assert '.png' in IMAGE_EXTENSIONS and '.txt' not in IMAGE_EXTENSIONS
