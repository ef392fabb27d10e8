# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Writing a Triton model repository for a bundled or user model (``triton_export``).

One command sets up a fleet's server: the model file, and a ``config.pbtxt`` with its tensors
(read from the ONNX model, so they match what the robots' preprocessor and decoder expect),
dynamic batching with preferred batch sizes, and the instance group.  Platforms:

- ``onnxruntime_onnx``: the ONNX model, run by Triton's ONNX Runtime backend;
- ``tensorrt_plan``: a TensorRT engine built *on the server's GPU* from that ONNX model
  (``build_engine`` there, or trtexec), given with ``--engine``;
- ``python``: Triton's Python backend running the ONNX model with ONNX Runtime inside the
  server (a ``model.py``), for servers without the ONNX Runtime backend, such as the
  tritonserver of the nvidia-pytriton wheel the tests use.
"""

import os
import shutil
from typing import List, Optional, Sequence

import numpy as np

from trt_perception.core.backend import TensorSpec
from trt_perception.core.checks import positive_int
from trt_perception.core.models import find_model
from trt_perception.core.onnxruntime_backend import OnnxRuntimeBackend
from trt_perception.triton.signature import ModelSignature

PLATFORMS = ('onnxruntime_onnx', 'tensorrt_plan', 'python')

_TYPES = {'float32': 'TYPE_FP32', 'float16': 'TYPE_FP16', 'float64': 'TYPE_FP64',
          'int32': 'TYPE_INT32', 'int64': 'TYPE_INT64', 'uint8': 'TYPE_UINT8',
          'bool': 'TYPE_BOOL'}

# The Python backend's stub does not see PYTHONPATH, so the model puts the folders holding
# numpy and onnxruntime on sys.path itself.
_MODEL_PY = '''\
"""Triton Python-backend model written by triton_export: runs {onnx!r} with
ONNX Runtime on the CPU, one session run per dynamically batched execution."""

import json
import os
import sys

sys.path[:0] = [p for p in {paths!r} if p not in sys.path]

import numpy as np  # noqa: E402
import onnxruntime  # noqa: E402
import triton_python_backend_utils as pb_utils  # noqa: E402


class TritonPythonModel:
    """Concatenates the requests Triton batched, runs them at once and splits the outputs."""

    def initialize(self, args):
        config = json.loads(args['model_config'])
        folder = os.path.join(args['model_repository'], args['model_version'])
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = {threads}
        self.session = onnxruntime.InferenceSession(
            os.path.join(folder, {onnx!r}), options, providers=['CPUExecutionProvider'])
        self.input = config['input'][0]['name']
        self.outputs = [output['name'] for output in config['output']]

    def execute(self, requests):
        arrays = [pb_utils.get_input_tensor_by_name(r, self.input).as_numpy() for r in requests]
        results = self.session.run(self.outputs, {{self.input: np.concatenate(arrays)}})
        responses = []
        start = 0
        for array in arrays:
            end = start + array.shape[0]
            responses.append(pb_utils.InferenceResponse(output_tensors=[
                pb_utils.Tensor(name, np.ascontiguousarray(result[start:end]))
                for name, result in zip(self.outputs, results)]))
            start = end
        return responses
'''


def _dims(spec: TensorSpec) -> str:
    # Triton's dims leave out the batch dimension when max_batch_size > 0; -1 is dynamic.
    return ', '.join(str(d) if isinstance(d, int) and d >= 0 else '-1' for d in spec.shape[1:])


def _tensor(spec: TensorSpec) -> str:
    name = np.dtype(spec.dtype).name
    if name not in _TYPES:
        raise ValueError('tensor %s has a type Triton configs here do not cover (%s)'
                         % (spec.describe(), ', '.join(sorted(_TYPES))))
    return '  {\n    name: "%s"\n    data_type: %s\n    dims: [ %s ]\n  }' % (
        spec.name, _TYPES[name], _dims(spec))


def model_config(name: str, platform: str, signature: ModelSignature, max_batch: int,
                 preferred_batch_sizes: Sequence[int], max_queue_delay_us: int,
                 instances: int, kind: str) -> str:
    """Return the text of config.pbtxt for a model with `signature`."""
    if platform not in PLATFORMS:
        raise ValueError('platform=%r is not one of %s' % (platform, ', '.join(PLATFORMS)))
    if any(not 1 <= size <= max_batch for size in preferred_batch_sizes):
        raise ValueError('preferred batch sizes %s must lie in 1..%d (max batch)'
                         % (list(preferred_batch_sizes), max_batch))
    engine = 'backend: "python"' if platform == 'python' else 'platform: "%s"' % platform
    return '\n'.join([
        'name: "%s"' % name,
        engine,
        'max_batch_size: %d' % max_batch,
        'input [\n%s\n]' % _tensor(signature.input),
        'output [\n%s\n]' % ',\n'.join(_tensor(o) for o in signature.outputs),
        'dynamic_batching {',
        '  preferred_batch_size: [ %s ]' % ', '.join(str(s) for s in preferred_batch_sizes),
        '  max_queue_delay_microseconds: %d' % max_queue_delay_us,
        '}',
        'instance_group [\n  {\n    count: %d\n    kind: %s\n  }\n]' % (instances, kind),
        '',
    ])


def onnx_signature(path: str, max_batch: int) -> ModelSignature:
    """Read the tensors of an ONNX model; its batch dimension must be dynamic to batch."""
    with OnnxRuntimeBackend(path, providers=['CPUExecutionProvider'],
                            max_batch=max_batch) as backend:
        batch_dim = backend.input.shape[0]
        if max_batch > 1 and isinstance(batch_dim, int) and batch_dim > 0:
            raise ValueError('%s has a fixed batch of %d, so Triton cannot batch it: export '
                             'it with a dynamic batch dimension, or pass --max-batch 1'
                             % (path, batch_dim))
        return ModelSignature.of_backend(backend)


def default_python_path() -> List[str]:
    """Folders holding numpy and onnxruntime for this interpreter (the model.py's sys.path)."""
    import onnxruntime
    folders = []
    for module in (np, onnxruntime):
        folder = os.path.dirname(os.path.dirname(os.path.abspath(str(module.__file__))))
        if folder not in folders:
            folders.append(folder)
    return folders


def export_repository(repository: str, model: str = '', name: str = '', version: int = 1,
                      platform: str = 'onnxruntime_onnx', engine: str = '',
                      max_batch: int = 8, preferred_batch_sizes: Sequence[int] = (),
                      max_queue_delay_us: int = 2000, instances: int = 1, kind: str = '',
                      python_path: Optional[Sequence[str]] = None, threads: int = 1) -> str:
    """
    Write `repository`/<name>/ for `model`; return the model folder.

    `model` is a bundled name or an .onnx path/card ('' for the default), always the ONNX
    model the robots' card describes; `engine` is the server-built plan for tensorrt_plan.
    """
    card = find_model(model)
    if card.is_engine:
        raise ValueError('--model must be the ONNX model (%s is an engine): the config is read '
                         'from it; pass the engine built on the server as --engine' % card.path)
    if platform == 'tensorrt_plan' and not os.path.isfile(engine):
        raise ValueError('platform tensorrt_plan needs --engine: the engine built from %s on '
                         "the server's GPU (got %r)" % (card.path, engine))
    max_batch = positive_int('--max-batch', max_batch)
    version = positive_int('--version', version)
    instances = positive_int('--instances', instances)
    name = name or card.name
    signature = onnx_signature(card.path, max_batch)
    preferred = list(preferred_batch_sizes) or sorted({max(1, max_batch // 2), max_batch})
    kind = kind or ('KIND_CPU' if platform == 'python' else 'KIND_GPU')
    folder = os.path.join(repository, name)
    version_dir = os.path.join(folder, str(version))
    os.makedirs(version_dir, exist_ok=True)
    with open(os.path.join(folder, 'config.pbtxt'), 'w') as stream:
        stream.write(model_config(name, platform, signature, max_batch, preferred,
                                  max_queue_delay_us, instances, kind))
    if platform == 'tensorrt_plan':
        shutil.copyfile(engine, os.path.join(version_dir, 'model.plan'))
        return folder
    shutil.copyfile(card.path, os.path.join(version_dir, 'model.onnx'))
    if platform == 'python':
        paths = list(python_path) if python_path else default_python_path()
        with open(os.path.join(version_dir, 'model.py'), 'w') as stream:
            stream.write(_MODEL_PY.format(onnx='model.onnx', paths=paths, threads=threads))
    return folder
