# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m trt_perception.doctor``: the self-check's short address; see tools/doctor.py."""

import sys

from trt_perception.tools.doctor import main

if __name__ == '__main__':
    sys.exit(main())
