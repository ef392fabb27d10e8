# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m trt_perception.detect``: the offline runner's old address; see tools/detect.py."""

import sys

from trt_perception.tools.detect import main

if __name__ == '__main__':
    sys.exit(main())
