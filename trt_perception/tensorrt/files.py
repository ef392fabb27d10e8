# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Files that several processes share: atomic replacement and an exclusive lock.

Two detector nodes started together on one robot resolve the same engine at the same time;
these are what let the first build it while the second waits and then reads it.
"""

import contextlib
import fcntl
import os
import tempfile
from typing import Iterator


def write_atomic(path: str, data: bytes) -> None:
    """
    Write `data` to `path` so that readers see the old file or the whole new one.

    Temporary file in the same directory, fsync, rename over the target, fsync the directory:
    a crash at any point leaves no partial file under `path`.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', suffix='.tmp',
                               dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # directories cannot be opened for fsync on every platform
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def exclusive_lock(path: str) -> Iterator[None]:
    """
    Hold an exclusive advisory lock on `path` (created if missing) for the with-block.

    The lock is `flock` on an open file, so the kernel releases it when the holder dies: a
    crashed build never leaves the next start waiting.  Raises OSError when the file cannot
    be created (a read-only directory).
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor drops the lock
