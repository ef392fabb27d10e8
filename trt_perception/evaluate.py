# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m trt_perception.evaluate``: the mAP tool's short address; see tools/evaluate.py."""

import sys

from trt_perception.tools.evaluate import main

if __name__ == '__main__':
    sys.exit(main())
