# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Peer implementations the benchmarks compare against (shared by every script in bench/)."""

import cv2
import numpy as np

from trt_perception.core.letterbox import Letterbox


def opencv_letterbox_blob(frame: np.ndarray, box: Letterbox, pad: int = 114) -> np.ndarray:
    """Letterbox the usual OpenCV way: resize, copyMakeBorder, blobFromImage (BGR->RGB, /255)."""
    resized = cv2.resize(frame, (box.resized_width, box.resized_height),
                         interpolation=cv2.INTER_LINEAR)
    padded = cv2.copyMakeBorder(resized, box.pad_top, box.pad_bottom, box.pad_left,
                                box.pad_right, cv2.BORDER_CONSTANT, value=(pad, pad, pad))
    return cv2.dnn.blobFromImage(padded, 1 / 255.0, swapRB=True)
