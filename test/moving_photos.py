# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Frames the bundled detector really detects objects in: real photos pasted onto a canvas.

A cat (skimage's chelsea) moves left to right across the frames; a person (astronaut) stands
still on the right.  Used by the tracking tests of `detect` and of the node.
"""

import cv2
import numpy as np
from skimage import data

WIDTH, HEIGHT = 960, 540
CAT_SIZE = (300, 200)
PERSON_SIZE = (300, 300)


def _photo(name, size):
    return cv2.resize(cv2.cvtColor(getattr(data, name)(), cv2.COLOR_RGB2BGR), size,
                      interpolation=cv2.INTER_AREA)


CAT = _photo('chelsea', CAT_SIZE)
PERSON = _photo('astronaut', PERSON_SIZE)


CAT_TRAVEL = 200
"""Pixels the cat moves over all the frames; it stops well left of the person, whose score
falls when the two come close."""


def cat_x(index, count):
    """Left edge of the cat in frame `index` of `count`: from 20 px, `CAT_TRAVEL` px right."""
    return 20 + int(round(index * CAT_TRAVEL / max(count - 1, 1)))


def frame(index, count, person=True):
    """Frame `index` of `count` (BGR, uint8): the cat moved, the person (if any) still."""
    canvas = np.full((HEIGHT, WIDTH, 3), 128, np.uint8)
    x = cat_x(index, count)
    canvas[170:170 + CAT_SIZE[1], x:x + CAT_SIZE[0]] = CAT
    if person:
        canvas[120:120 + PERSON_SIZE[1], WIDTH - PERSON_SIZE[0] - 20:WIDTH - 20] = PERSON
    return canvas
