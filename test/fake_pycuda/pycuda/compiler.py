# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Present so that ``from pycuda import compiler`` imports; nothing here compiles."""
