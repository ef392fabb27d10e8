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


def is_size_input(spec: TensorSpec) -> bool:
    """
    Tell an image-size input ``[N, 2]`` (width, height) beside the image, as DETR exports have.

    D-FINE and DEIM scale their boxes by ``orig_target_sizes``; fed the network input's size,
    their boxes are in input pixels like every other detector's.
    """
    return len(spec.shape) == 2 and spec.shape[1] == 2 and 'size' in spec.name.lower()


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
        inputs = [_spec(i) for i in self._session.get_inputs()]
        images = [i for i in inputs if len(i.shape) == 4]
        self._size_inputs = [i for i in inputs if is_size_input(i)]
        others = [i for i in inputs if i not in images and i not in self._size_inputs]
        if len(images) != 1 or others:
            raise BackendError(
                '%r has inputs %s; a detector with one NCHW image input (and optionally '
                "[N, 2] image-size inputs such as D-FINE's orig_target_sizes) is expected"
                % (model_path, ', '.join(i.describe() for i in inputs)))
        self._input = images[0]
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

    def size_feeds(self, batch_size: int, width: int, height: int) -> Dict[str, np.ndarray]:
        """
        Values of the model's image-size inputs (`is_size_input`) for a batch.

        Each row is the network input's (width, height), so boxes come in input pixels.
        """
        return {spec.name: np.tile(np.array([width, height], dtype=spec.dtype),
                                   (batch_size, 1)) for spec in self._size_inputs}

    @property
    def providers(self) -> List[str]:
        """ONNX Runtime providers the session actually uses, best first."""
        return list(self._session.get_providers())

    def infer(self, batch: np.ndarray) -> Dict[str, np.ndarray]:
        """Run one batch and return outputs by name."""
        if batch.shape[0] > self._max_batch:
            raise BackendError('batch of %d exceeds max_batch %d'
                               % (batch.shape[0], self._max_batch))
        feeds = self.size_feeds(batch.shape[0], batch.shape[3], batch.shape[2])
        feeds[self._input.name] = batch
        results = self._session.run(self._output_names, feeds)
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
