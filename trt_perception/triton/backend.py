# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Backend 'triton': the model runs on a Triton Inference Server, the robot only sends tensors.

The preprocessor and decoder are built from the local model card before the server may be up,
so the backend knows the tensors it must exchange (`expected`) from the start; each time it
(re)connects it checks the served model against them.  Requests are asynchronous: up to
`slots` are in flight at once, each with its own shared-memory regions, so the server runs
one batch while the robot prepares the next and decodes the previous.  While the server is
down, restarting, or its model is not ready, `send` waits out an exponential backoff and
raises `BackendError` with the reason, so the caller (the node's worker) reports it and keeps
going; newer frames meanwhile replace older ones in the node's mailbox.
"""

from concurrent import futures
from dataclasses import dataclass
import logging
import threading
import time
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from trt_perception.core.backend import BackendError, Fact, RequestBackend, TensorSpec
from trt_perception.core.checks import positive_int
from trt_perception.triton.client import ServerConnection
from trt_perception.triton.retry import Backoff, RetryPolicy
from trt_perception.triton.signature import check_signature, ModelSignature, served_signature
from trt_perception.triton.transport import make_transport


class ServerUnavailable(BackendError):
    """The server cannot be reached, is not ready, or does not have the model ready."""


@dataclass
class _Request:
    """A slot's request in flight."""

    future: 'futures.Future[Any]'
    count: int
    connection: int
    """Which connection (count of successful connects) it was sent on."""


class TritonBackend(RequestBackend):
    """
    Runs batches on a Triton server, `slots` requests at once, reconnecting after faults.

    Not thread-safe for `send`/`collect`/`infer` (one worker thread runs requests);
    `describe` may be read from any thread.  Use as a context manager or call `close()`.
    """

    name = 'triton'

    def __init__(self, url: str, model: str, expected: ModelSignature, version: str = '',
                 timeout: float = 1.0, shared_memory: str = 'none', max_batch: int = 1,
                 slots: int = 1, retry: RetryPolicy = RetryPolicy(),
                 log: Optional[logging.Logger] = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """
        Connect to `url` (grpc://host:port or http://host:port) for `model`.

        A server that is down or not ready yet is retried later (logged as a warning); a
        served model that does not fit `expected` raises BackendError, since waiting cannot
        fix a wrong deployment.  `slots` requests may be in flight at once.
        """
        if not model:
            raise ValueError('the Triton model name is empty: set it to the name of the model '
                             "in the server's repository")
        max_batch = positive_int('max_batch', max_batch, ' (frames in one request)')
        slots = positive_int('slots', slots, ' (requests in flight)')
        self._log = log or logging.getLogger('trt_perception')
        self._model = model
        self._version = version
        self._expected = expected
        self._max_batch = max_batch
        self._where = 'model %r%s on %s' % (model, ' version %s' % version if version else '',
                                            url)
        self._timeout = float(timeout)
        self._connection = ServerConnection(url, timeout, requests=slots)
        self._faults = self._connection.faults
        self._backoff = Backoff(retry, clock)
        self._closed = threading.Event()
        self._ready = False
        self._connects = 0
        self._reconnects = 0
        self._requests: List[Optional[_Request]] = [None] * slots
        try:
            self._transport = self._make_transport(shared_memory, max_batch, slots)
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

    def _make_transport(self, shared_memory: str, max_batch: int, slots: int):
        return make_transport(shared_memory, self._connection, self._expected, max_batch,
                              slots)

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
        self._connects += 1
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

    @property
    def slots(self) -> int:
        """Count the requests that may be in flight at once."""
        return len(self._requests)

    def _send_impl(self, batch: np.ndarray, slot: int) -> None:
        """
        Start a request for `batch` in `slot` and return; `collect(slot)` waits for it.

        Raises ServerUnavailable (a BackendError) with the reason while the server is away;
        the call first waits out the backoff, so a caller that loops does not spin.
        """
        self._check_free(slot)
        self._start(slot, batch.shape[0], lambda: self._transport.request(batch, slot))

    def _free_slot(self, slot: int, count: int) -> None:
        """Check that `slot` exists and has no request, and that `count` images fit."""
        self._check_request(slot, count)
        self._check_free(slot)

    def _check_free(self, slot: int) -> None:
        if self._requests[slot] is not None:
            raise BackendError('slot %d still holds a request: collect() it first' % slot)

    def _start(self, slot: int, count: int, describe: Callable[[], Any]) -> None:
        """Send the request `describe` returns (inputs, outputs) for `count` images in `slot`."""
        if not self._ready:
            self._reconnect()
        try:
            inputs, outputs = describe()
            future = self._connection.start_infer(self._model, self._version, inputs, outputs)
        except self._faults as error:
            raise self._failed(error, self._connects) from error
        self._requests[slot] = _Request(future, count, self._connects)

    def _collect_impl(self, slot: int) -> Dict[str, np.ndarray]:
        """
        Wait for `slot`'s request and return its outputs by name.

        Raises ServerUnavailable when the request failed or no answer came within the
        timeout; the slot is free again either way.
        """
        request = self._requests[slot]
        if request is None:
            raise BackendError('collect(slot=%d) with no request sent in that slot' % slot)
        self._requests[slot] = None
        try:
            # The client's own deadline ends the request first; this bound is for a response
            # that never comes back at all.
            result = request.future.result(timeout=self._timeout + 1.0)
            return self._transport.read(result, slot)
        except futures.TimeoutError as error:
            request.future.cancel()
            raise self._failed(error, request.connection,
                               'no response within %.1f s' % (self._timeout + 1.0)) from error
        except self._faults as error:
            raise self._failed(error, request.connection) from error

    def _failed(self, error: BaseException, connection: int, text: str = ''
                ) -> ServerUnavailable:
        """
        Return the error to raise for a failed request sent on `connection`.

        Only the first failure of a connection counts towards the backoff: the other
        requests in flight on it fail for the same reason.
        """
        reason = 'request to %s failed: %s' % (self._where, text or _message(error))
        if self._ready and connection == self._connects:
            self._ready = False
            delay = self._backoff.failed(reason)
            return ServerUnavailable('%s; reconnecting in %.1f s' % (reason, delay))
        return ServerUnavailable('%s; reconnecting' % reason)

    def describe(self) -> Dict[str, str]:
        """Backend facts plus the server, the transport and the connection state."""
        info = super().describe()
        state = 'ready' if self._ready else 'unavailable: %s' % self._backoff.reason
        info.update({
            'model': self._where,
            'device': 'remote (%s)' % self._connection.url,
            'shared_memory': getattr(self._transport, 'name', 'none'),
            Fact.SERVER_STATE: state,
            'reconnects': str(self._reconnects),
            'requests_in_flight': str(sum(r is not None for r in self._requests)),
        })
        return info

    def close(self) -> None:
        """Stop waiting, release the transport's regions and the client; idempotent."""
        if self._closed.is_set():
            return
        self._closed.set()
        for request in self._requests:
            if request is not None:
                request.future.cancel()
        self._requests = [None] * len(self._requests)
        self._transport.close()
        self._connection.close()


def _message(error: BaseException) -> str:
    # InferenceServerException keeps its text in message(); str() adds the status code.
    message = getattr(error, 'message', None)
    text = message() if callable(message) else str(error)
    return text or type(error).__name__
