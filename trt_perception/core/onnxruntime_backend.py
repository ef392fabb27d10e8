# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""ONNX Runtime backend: the embedded default that runs on any CPU."""

import os
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from trt_perception.core.backend import BackendError, InferenceBackend, TensorSpec

_ORT_TYPES = {
    'tensor(float)': np.float32,
    'tensor(float16)': np.float16,
    'tensor(double)': np.float64,
    'tensor(int32)': np.int32,
    'tensor(int64)': np.int64,
    'tensor(uint8)': np.uint8,
    'tensor(bool)': np.bool_,
}

Provider = Union[str, Tuple[str, Dict[str, str]]]
"""An execution provider's name, or its name and options."""

PROVIDER_PREFERENCE = (
    'TensorrtExecutionProvider', 'CUDAExecutionProvider', 'CPUExecutionProvider')
"""Providers tried in this order when the caller asks for 'auto'."""


def _spec(node) -> TensorSpec:
    try:
        dtype = np.dtype(_ORT_TYPES[node.type])
    except KeyError:
        raise BackendError('tensor %r has unsupported type %s' % (node.name, node.type)) from None
    shape = tuple(d if isinstance(d, int) else (d or None) for d in node.shape)
    return TensorSpec(node.name, shape, dtype)


class OnnxRuntimeBackend(InferenceBackend):
    """Runs an ONNX model with ONNX Runtime, preferring GPU providers only where installed."""

    name = 'onnxruntime'

    def __init__(self, model_path: str, providers: Optional[Sequence[Provider]] = None,
                 max_batch: int = 1, intra_op_threads: int = 0) -> None:
        """
        Load `model_path`; `max_batch` caps a dynamic batch dimension.

        `providers` are tried in order, each a name or (name, options); the default prefers
        TensorRT, then CUDA, then the CPU, of those installed.
        """
        import onnxruntime as ort

        if not os.path.isfile(model_path):
            raise BackendError(
                'ONNX model %r not found; pass an existing .onnx file or run '
                './scripts/setup.sh to prepare the bundled models' % model_path)
        available = ort.get_available_providers()
        wanted = list(providers) if providers else list(PROVIDER_PREFERENCE)
        chosen = [p for p in wanted if (p if isinstance(p, str) else p[0]) in available]
        if not chosen:
            raise BackendError(
                'none of the requested ONNX Runtime providers %s is available (installed: %s)'
                % (wanted, available))
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        try:
            self._session = ort.InferenceSession(model_path, options, providers=chosen)
        except Exception as exc:  # onnxruntime raises its own exception family
            raise BackendError('ONNX Runtime cannot load %r: %s' % (model_path, exc)) from exc
        self._model_path = model_path
        self._version = ort.__version__
        inputs = self._session.get_inputs()
        if len(inputs) != 1:
            raise BackendError(
                '%r has %d inputs (%s); a detector with one NCHW image input is expected'
                % (model_path, len(inputs), ', '.join(i.name for i in inputs)))
        self._input = _spec(inputs[0])
        if len(self._input.shape) != 4:
            raise BackendError(
                'input %s of %r is not NCHW' % (self._input.describe(), model_path))
        self._outputs = [_spec(o) for o in self._session.get_outputs()]
        self._output_names = [o.name for o in self._outputs]
        batch_dim = self._input.shape[0]
        self._max_batch = batch_dim if isinstance(batch_dim, int) and batch_dim > 0 \
            else max(1, max_batch)

    @property
    def input(self) -> TensorSpec:  # noqa: A003 (an attribute hides no builtin)
        """Image input of the model."""
        return self._input

    @property
    def outputs(self) -> List[TensorSpec]:
        """Output tensors of the model."""
        return self._outputs

    @property
    def max_batch(self) -> int:
        """Batch size of the model: fixed, or the configured cap for a dynamic one."""
        return self._max_batch

    @property
    def providers(self) -> List[str]:
        """ONNX Runtime providers the session actually uses, best first."""
        return list(self._session.get_providers())

    def infer(self, batch: np.ndarray) -> Dict[str, np.ndarray]:
        """Run one batch and return outputs by name."""
        if batch.shape[0] > self._max_batch:
            raise BackendError('batch of %d exceeds max_batch %d'
                               % (batch.shape[0], self._max_batch))
        results = self._session.run(self._output_names, {self._input.name: batch})
        return dict(zip(self._output_names, results))

    def describe(self) -> Dict[str, str]:
        """Backend facts plus the providers and ONNX Runtime version."""
        info = super().describe()
        info.update({
            'model': self._model_path,
            'runtime_version': 'onnxruntime ' + self._version,
            'device': ','.join(self.providers),
        })
        return info

    @property
    def closed(self) -> bool:
        """Whether close() dropped the session."""
        return self._session is None

    def close(self) -> None:
        """Drop the session."""
        self._session = None
