# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
A host-memory stand-in for pycuda, for slot-protocol tests on machines without a GPU.

Only test/test_slots.py puts it on the path, in a subprocess of its own: a process that can
import it believes it has pycuda, so it must never share a process with the other tests.
"""
