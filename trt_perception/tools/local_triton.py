# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
A tritonserver from the nvidia-pytriton wheel on this machine's loopback, for tests.

The wheel ships a tritonserver binary, its libraries and the Python backend, with one
backend stub per Python version.  `LocalTritonServer` lays out a backend folder with the stub
of the running interpreter's version, starts the server on 127.0.0.1 with free ports, waits
until ``/v2/health/ready`` answers, and can kill and restart it on the same ports (a crash
mid-stream).  It is not how a fleet runs Triton: docs/triton.md shows that.
"""

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import List, Optional, Sequence, Tuple
import urllib.error
import urllib.request

LOOPBACK = '127.0.0.1'


class LocalServerError(RuntimeError):
    """The wheel is missing, or the server did not start; the message says why."""


def wheel_paths() -> Tuple[str, str]:
    """
    Return (the wheel's tritonserver folder, its library folder) without importing pytriton.

    Importing pytriton would pull in its own client stack; only its files are needed.
    """
    spec = importlib.util.find_spec('pytriton')
    if spec is None or not spec.submodule_search_locations:
        raise LocalServerError('the nvidia-pytriton wheel is not installed: pip install -r '
                               'requirements/triton.txt (it carries the tritonserver binary)')
    package = list(spec.submodule_search_locations)[0]
    server = os.path.join(package, 'tritonserver')
    libs = os.path.join(os.path.dirname(package), 'nvidia_pytriton.libs')
    if not os.path.isfile(os.path.join(server, 'bin', 'tritonserver')):
        raise LocalServerError('%s has no bin/tritonserver: reinstall nvidia-pytriton' % server)
    return server, libs


def free_ports(count: int) -> List[int]:
    """`count` distinct TCP ports on the loopback that are free right now."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOOPBACK, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class LocalTritonServer:
    """One tritonserver process serving `repository` on 127.0.0.1; use as a context manager."""

    def __init__(self, repository: str, workdir: str, log_path: Optional[str] = None,
                 startup_timeout: float = 120.0, options: Sequence[str] = ()) -> None:
        """
        Prepare the backend folder under `workdir`; `start` runs the server.

        `options` are added to tritonserver's command line.
        """
        self.repository = os.path.abspath(repository)
        self._server_dir, self._libs = wheel_paths()
        self._backends = os.path.join(workdir, 'backends')
        self._log_path = log_path or os.path.join(workdir, 'tritonserver.log')
        self._startup_timeout = startup_timeout
        self._options = list(options)
        self._process: Optional[subprocess.Popen] = None
        self.http_port, self.grpc_port = free_ports(2)
        self._prepare_backends()

    def _prepare_backends(self) -> None:
        if os.path.isdir(self._backends):
            return
        version = '%d.%d' % sys.version_info[:2]
        stub = os.path.join(self._server_dir, 'python_backend_stubs', version,
                            'triton_python_backend_stub')
        if not os.path.isfile(stub):
            raise LocalServerError('the nvidia-pytriton wheel has no Python backend stub for '
                                   'Python %s (%s); run under a Python it supports' % (
                                       version, os.path.dirname(os.path.dirname(stub))))
        shutil.copytree(os.path.join(self._server_dir, 'backends'), self._backends)
        shutil.copy(stub, os.path.join(self._backends, 'python', 'triton_python_backend_stub'))

    @property
    def grpc_url(self) -> str:
        """grpc://127.0.0.1:<port>, the backend's url parameter."""
        return 'grpc://%s:%d' % (LOOPBACK, self.grpc_port)

    @property
    def http_url(self) -> str:
        """http://127.0.0.1:<port>."""
        return 'http://%s:%d' % (LOOPBACK, self.http_port)

    def start(self) -> None:
        """Start the server (on the same ports as before) and wait until it is ready."""
        if self._process is not None and self._process.poll() is None:
            raise LocalServerError('the server is already running (pid %d)' % self._process.pid)
        command = [
            os.path.join(self._server_dir, 'bin', 'tritonserver'),
            '--model-repository', self.repository,
            '--backend-directory', self._backends,
            '--cache-directory', os.path.join(self._server_dir, 'caches'),
            '--http-address', LOOPBACK, '--http-port', str(self.http_port),
            '--grpc-address', LOOPBACK, '--grpc-port', str(self.grpc_port),
            '--allow-metrics', 'false', '--allow-sagemaker', 'false',
            '--allow-vertex-ai', 'false', '--exit-timeout-secs', '5',
        ] + self._options
        env = dict(os.environ)
        env['LD_LIBRARY_PATH'] = os.pathsep.join(
            p for p in (self._libs, env.get('LD_LIBRARY_PATH')) if p)
        log = open(self._log_path, 'ab')
        try:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()
        self._process = process
        self._wait_ready(process)

    def _wait_ready(self, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + self._startup_timeout
        url = 'http://%s:%d/v2/health/ready' % (LOOPBACK, self.http_port)
        # Never through a proxy named in the environment: the server is on this machine.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise LocalServerError('tritonserver exited with code %d during start-up; its '
                                       'log: %s\n%s' % (process.returncode,
                                                        self._log_path, self.log_tail()))
            try:
                with opener.open(url, timeout=1.0) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        self.kill()
        raise LocalServerError('tritonserver was not ready within %.0f s; its log: %s\n%s'
                               % (self._startup_timeout, self._log_path, self.log_tail()))

    def log_tail(self, lines: int = 30) -> str:
        """Return the last lines of the server's log."""
        try:
            with open(self._log_path, 'rb') as stream:
                return b''.join(stream.readlines()[-lines:]).decode('utf-8', 'replace')
        except OSError:
            return ''

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def kill(self) -> None:
        """End the server at once, as a crash would (SIGKILL)."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        """Shut the server down cleanly (SIGTERM; SIGKILL after 30 s)."""
        self._end(signal.SIGTERM)

    def _end(self, signum: int) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signum)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> 'LocalTritonServer':
        """Start the server for a with-block."""
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        """Stop the server on leaving the with-block."""
        self.stop()


STUB_NUMPY_DIR = os.path.join(sys.prefix, 'triton-python-backend')
"""Where scripts/setup.sh installs numpy 1.x for Python-backend models (requirements/
triton-server-python.txt)."""


def stub_python_path() -> List[str]:
    """
    Folders a Python-backend model.py under this wheel's stub puts first on sys.path.

    numpy 1.x comes first: the wheel's stub was built against numpy 1, and under numpy 2 its
    output tensors arrive empty without any error.  Then the folders with onnxruntime.
    """
    if not os.path.isdir(os.path.join(STUB_NUMPY_DIR, 'numpy')):
        raise LocalServerError('no numpy 1.x for the Python backend in %s: run '
                               './scripts/setup.sh (it installs requirements/'
                               'triton-server-python.txt there)' % STUB_NUMPY_DIR)
    import onnxruntime
    return [STUB_NUMPY_DIR, os.path.dirname(os.path.dirname(onnxruntime.__file__))]
