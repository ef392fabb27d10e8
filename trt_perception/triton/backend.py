# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Backend 'triton': the model runs on a Triton Inference Server, the robot only sends tensors.

The preprocessor and decoder are built from the local model card before the server may be up,
so the backend knows the tensors it must exchange (`expected`) from the start; each time it
(re)connects it checks the served model against them.  While the server is down, restarting,
or its model is not ready, `infer` waits out an exponential backoff and raises `BackendError`
with the reason, so the caller (the node's worker) reports it and keeps going; newer frames
meanwhile replace older ones in the node's mailbox.
"""

import logging
import threading
import time
from typing import Callable, Dict, List, Optional

import numpy as np

from trt_perception.core.backend import BackendError, InferenceBackend, TensorSpec
from trt_perception.core.checks import positive_int
from trt_perception.triton.client import ServerConnection
from trt_perception.triton.retry import Backoff, RetryPolicy
from trt_perception.triton.signature import check_signature, ModelSignature, served_signature
from trt_perception.triton.transport import make_transport


class ServerUnavailable(BackendError):
    """The server cannot be reached, is not ready, or does not have the model ready."""


class TritonBackend(InferenceBackend):
    """
    Runs one batch at a time on a Triton server, reconnecting with backoff after faults.

    Not thread-safe for `infer` (one worker thread sends); `describe` may be read from any
    thread.  Use as a context manager or call `close()`.
    """

    name = 'triton'

    def __init__(self, url: str, model: str, expected: ModelSignature, version: str = '',
                 timeout: float = 1.0, shared_memory: str = 'none', max_batch: int = 1,
                 retry: RetryPolicy = RetryPolicy(), log: Optional[logging.Logger] = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """
        Connect to `url` (grpc://host:port or http://host:port) for `model`.

        A server that is down or not ready yet is retried later (logged as a warning); a
        served model that does not fit `expected` raises BackendError, since waiting cannot
        fix a wrong deployment.
        """
        if not model:
            raise ValueError('the Triton model name is empty: set it to the name of the model '
                             "in the server's repository")
        max_batch = positive_int('max_batch', max_batch, ' (frames in one request)')
        self._log = log or logging.getLogger('trt_perception')
        self._model = model
        self._version = version
        self._expected = expected
        self._max_batch = max_batch
        self._where = 'model %r%s on %s' % (model, ' version %s' % version if version else '',
                                            url)
        self._connection = ServerConnection(url, timeout)
        self._faults = self._connection.faults
        self._backoff = Backoff(retry, clock)
        self._closed = threading.Event()
        self._ready = False
        self._reconnects = 0
        try:
            self._transport = make_transport(shared_memory, self._connection, expected,
                                             max_batch)
        except BaseException:
            self._connection.close()
            raise
        try:
            self._connect()
        except ServerUnavailable as error:
            delay = self._backoff.failed(str(error))
            self._log.warning('%s; detection starts once it is (first retry in %.1f s)'
                              % (error, delay))
        except BaseException:
            self.close()
            raise

    def _connect(self) -> None:
        connection = self._connection
        try:
            if not connection.server_ready():
                raise ServerUnavailable('Triton server %s is not ready' % connection.url)
            if not connection.model_ready(self._model, self._version):
                raise ServerUnavailable(
                    "%s is not ready (still loading, failed to load, or not in the server's "
                    'repository)' % self._where)
            served = served_signature(connection.metadata(self._model, self._version),
                                      connection.config(self._model, self._version),
                                      connection.np_dtype)
            check_signature(self._expected, served, self._max_batch, self._where)
            self._transport.register()
        except self._faults as error:
            raise ServerUnavailable('Triton server %s is unreachable: %s'
                                    % (connection.url, _message(error))) from error
        self._ready = True
        self._backoff.succeeded()

    def _reconnect(self) -> None:
        wait = self._backoff.remaining()
        if wait > 0 and self._closed.wait(wait):
            raise BackendError('the Triton backend was closed')
        try:
            self._connect()
        except BackendError as error:
            delay = self._backoff.failed(str(error))
            raise ServerUnavailable('%s; retry %d in %.1f s'
                                    % (error, self._backoff.failures, delay)) from error
        self._reconnects += 1
        self._log.info('connected to %s; detecting again' % self._where)

    @property
    def input(self) -> TensorSpec:  # noqa: A003 (an attribute hides no builtin)
        """Image tensor of the local model, checked against the served one."""
        return self._expected.input

    @property
    def outputs(self) -> List[TensorSpec]:
        """Output tensors of the local model, in its order."""
        return list(self._expected.outputs)

    @property
    def max_batch(self) -> int:
        """Largest batch one request carries."""
        return self._max_batch

    @property
    def ready(self) -> bool:
        """Whether the last attempt reached the server and its model."""
        return self._ready

    def infer(self, batch: np.ndarray) -> Dict[str, np.ndarray]:
        """
        Send one batch and return the outputs by name.

        Raises ServerUnavailable (a BackendError) with the reason while the server is away;
        the call first waits out the backoff, so a caller that loops does not spin.
        """
        if not 0 < batch.shape[0] <= self._max_batch:
            raise BackendError('batch of %d is outside 1..%d (max_batch)'
                               % (batch.shape[0], self._max_batch))
        if not self._ready:
            self._reconnect()
        try:
            inputs, outputs = self._transport.request(batch)
            result = self._connection.infer(self._model, self._version, inputs, outputs)
            return self._transport.read(result, batch.shape[0])
        except self._faults as error:
            self._ready = False
            reason = 'request to %s failed: %s' % (self._where, _message(error))
            delay = self._backoff.failed(reason)
            raise ServerUnavailable('%s; reconnecting in %.1f s' % (reason, delay)) from error

    def describe(self) -> Dict[str, str]:
        """Backend facts plus the server, the transport and the connection state."""
        info = super().describe()
        state = 'ready' if self._ready else 'unavailable: %s' % self._backoff.reason
        info.update({
            'model': self._where,
            'device': 'remote (%s)' % self._connection.url,
            'shared_memory': getattr(self._transport, 'name', 'none'),
            'server_state': state,
            'reconnects': str(self._reconnects),
        })
        return info

    def close(self) -> None:
        """Stop waiting, release the transport's regions and the client; idempotent."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._transport.close()
        self._connection.close()


def _message(error: BaseException) -> str:
    # InferenceServerException keeps its text in message(); str() adds the status code.
    message = getattr(error, 'message', None)
    text = message() if callable(message) else str(error)
    return text or type(error).__name__
