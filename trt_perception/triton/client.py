# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The one place that imports tritonclient, and the per-protocol differences of its clients.

tritonclient is optional: only backend 'triton' needs it.  gRPC and HTTP clients answer the
same questions in different shapes (protobuf or dict, timeouts per call or per client); a
`ServerConnection` decides that once, at construction, and hands the rest of the package plain
dicts.
"""

from concurrent import futures
import http.client
import sys
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

from trt_perception.core.backend import BackendError

PROTOCOLS = ('grpc', 'http')

_INSTALL_HINT = ("backend 'triton' needs the tritonclient package (%s): install it with "
                 'pip install -r requirements/triton.txt (or pip install '
                 "'tritonclient[grpc,http]')")
if sys.version_info < (3, 8):
    # requirements/triton.txt needs Python 3.8+; on JetPack 4.6's Python 3.6 pip finds
    # tritonclient 2.17.0 and grpcio 1.38.0 for aarch64, with which this package never ran.
    _INSTALL_HINT = ("backend 'triton' needs the tritonclient package (%s): on Python < 3.8 "
                     "(JetPack 4.6) pip install 'tritonclient[grpc,http]==2.17.0', the newest "
                     'with wheels for it on Jetson, which this package was not tested with '
                     '(docs/triton.md); or run the robot on JetPack 5 or later')


def tritonclient_modules(protocol: str):
    """Return (client module for `protocol`, tritonclient.utils); BackendError when missing."""
    if protocol not in PROTOCOLS:
        raise ValueError('protocol=%r is not one of %s' % (protocol, ', '.join(PROTOCOLS)))
    try:
        if protocol == 'grpc':
            import tritonclient.grpc as module
        else:
            import tritonclient.http as module
        import tritonclient.utils as utils
    except ImportError as error:
        raise BackendError(_INSTALL_HINT % error) from error
    return module, utils


def shared_memory_module():
    """Return tritonclient.utils.shared_memory (system shared memory regions)."""
    try:
        import tritonclient.utils.shared_memory as shm
    except ImportError as error:
        raise BackendError(_INSTALL_HINT % error) from error
    return shm


def split_url(url: str) -> Tuple[str, str]:
    """Split 'grpc://host:port' or 'http://host:port' into (protocol, 'host:port')."""
    protocol, sep, address = url.partition('://')
    if not sep or protocol not in PROTOCOLS or not address or '/' in address:
        raise ValueError('triton url=%r must look like grpc://host:8001 or http://host:8000'
                         % (url,))
    return protocol, address


class ServerConnection:
    """A tritonclient client for one server URL, answering in dicts whatever the protocol."""

    def __init__(self, url: str, timeout: float, requests: int = 1) -> None:
        """
        Create the client (no traffic yet); `timeout` bounds every call, in seconds.

        `requests` is how many `start_infer` requests may be in flight at once.
        """
        self.url = url
        self.protocol, address = split_url(url)
        self.timeout = float(timeout)
        module, utils = tritonclient_modules(self.protocol)
        self.module = module
        # What a call raises when the server is down or answers with an error: gRPC reports
        # everything as InferenceServerException; the HTTP client a refused connection as
        # OSError, and one closed mid-request as geventhttpclient's HTTPConnectionClosed, an
        # http.client.HTTPException.
        self.faults = (utils.InferenceServerException, OSError, http.client.HTTPException)
        self.np_dtype = utils.triton_to_np_dtype
        self.triton_dtype = utils.np_to_triton_dtype
        self._clients: List[Any] = []
        self._lock = threading.Lock()
        self._client: Callable[[], Any]
        if self.protocol == 'grpc':
            self._call = {'client_timeout': self.timeout}
            self._json = {'as_json': True}
            client = module.InferenceServerClient(address)
            self._clients.append(client)
            self._client = lambda: client
            self._senders: Optional[futures.ThreadPoolExecutor] = None
        else:
            self._call = {}
            self._json = {}
            # The HTTP client runs on gevent, whose hub belongs to one thread: a client made
            # on the node's main thread fails on its worker ('Cannot switch to a different
            # thread'), so each thread gets its own.
            local = threading.local()

            def client_of_this_thread():
                client = getattr(local, 'client', None)
                if client is None:
                    client = local.client = module.InferenceServerClient(
                        address, connection_timeout=self.timeout,
                        network_timeout=self.timeout)
                    with self._lock:
                        self._clients.append(client)
                return client
            self._client = client_of_this_thread
            # Its async_infer is a greenlet that only runs while this thread waits in gevent,
            # not while it preprocesses the next batch: a request in flight needs a thread.
            self._senders = futures.ThreadPoolExecutor(
                max_workers=requests, thread_name_prefix='triton-http')

    def model_ready(self, model: str, version: str) -> bool:
        """Whether the server has `model` (`version`, '' for its policy's) ready."""
        return self._client().is_model_ready(model, version, **self._call)

    def server_ready(self) -> bool:
        """Whether the server answers and is ready."""
        return self._client().is_server_ready(**self._call)

    def metadata(self, model: str, version: str) -> Dict:
        """Return the model's metadata: name, versions, platform, inputs, outputs."""
        return self._client().get_model_metadata(model, version, **self._json, **self._call)

    def config(self, model: str, version: str) -> Dict:
        """Return the model's configuration (max_batch_size, input, output, batching)."""
        config = self._client().get_model_config(model, version, **self._json, **self._call)
        # gRPC wraps the configuration in a ModelConfigResponse.
        return config.get('config', config) if self.protocol == 'grpc' else config

    def repository_index(self) -> List[Dict]:
        """Models in the server's repository, with state and reason where one was loaded."""
        index = self._client().get_model_repository_index(**self._json, **self._call)
        return list(index.get('models', [])) if self.protocol == 'grpc' else list(index)

    def statistics(self, model: str, version: str = '') -> Dict:
        """Inference statistics of `model` (counts, batch sizes, cumulative times)."""
        return self._client().get_inference_statistics(
            model, version, **self._json, **self._call)

    def infer(self, model: str, version: str, inputs: List, outputs: List):
        """Run one request and return the tritonclient result."""
        return self._client().infer(model, inputs, model_version=version, outputs=outputs,
                                    **self._call)

    def start_infer(self, model: str, version: str, inputs: List, outputs: List
                    ) -> 'futures.Future[Any]':
        """
        Send one request and return at once; the future holds the tritonclient result.

        The future raises what `infer` would have raised (an error of `faults`).
        """
        if self._senders is not None:
            return self._senders.submit(self.infer, model, version, inputs, outputs)
        future: 'futures.Future[Any]' = futures.Future()

        def done(result, error):
            # Runs on a gRPC thread once the response, an error or the deadline arrives.
            if future.cancelled():
                return  # the backend gave up on it (closed, or stopped waiting)
            try:
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(result)
            except Exception:  # cancelled in between: nobody waits for it any more
                pass
        self._client().async_infer(model, inputs, done, model_version=version,
                                   outputs=outputs, **self._call)
        return future

    def output_shape(self, result, name: str) -> Optional[Tuple[int, ...]]:
        """Shape of output `name` in `result`, None when the response lacks it."""
        output = result.get_output(name)
        if output is None:
            return None
        shape = output.shape if self.protocol == 'grpc' else output['shape']
        return tuple(int(d) for d in shape)

    def register_system_memory(self, region: str, key: str, byte_size: int) -> None:
        """Register a system shared-memory region, replacing one of the same name."""
        self._client().unregister_system_shared_memory(region, **self._call)
        self._client().register_system_shared_memory(region, key, byte_size, **self._call)

    def unregister_system_memory(self, region: str) -> None:
        """Forget a region on the server."""
        self._client().unregister_system_shared_memory(region, **self._call)

    def register_cuda_memory(self, region: str, raw_handle: str, device_id: int,
                             byte_size: int) -> None:
        """Register a CUDA shared-memory region (a base64 IPC handle), replacing one."""
        self._client().unregister_cuda_shared_memory(region, **self._call)
        self._client().register_cuda_shared_memory(region, raw_handle, device_id, byte_size,
                                                   **self._call)

    def unregister_cuda_memory(self, region: str) -> None:
        """Forget a CUDA region on the server (it closes its IPC mapping)."""
        self._client().unregister_cuda_shared_memory(region, **self._call)

    def close(self) -> None:
        """Close the clients' channel or connection pools."""
        if self._senders is not None:
            self._senders.shutdown(wait=False)
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()
