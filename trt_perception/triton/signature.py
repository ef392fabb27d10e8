# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
What a served model takes and returns, and whether that fits the local model card.

The preprocessor and the decoder are built from the local model (its card and ONNX file)
before the server may even be up; when the server answers, its model metadata and
configuration must describe the same tensors, or requests would fail or, worse, be decoded
wrongly.
"""

from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

from trt_perception.core.backend import BackendError, Dim, TensorSpec


@dataclass(frozen=True)
class ModelSignature:
    """
    The image input and the outputs of a model, with batch dimensions first.

    `max_batch` is the largest batch the model takes (for a served model: the configuration's
    max_batch_size, or the fixed batch dimension of a model served without batching).
    """

    input: TensorSpec  # noqa: A003 (an attribute hides no builtin)
    outputs: Tuple[TensorSpec, ...]
    max_batch: int

    @classmethod
    def of_backend(cls, backend) -> 'ModelSignature':
        """Return the signature of a loaded local `InferenceBackend`."""
        return cls(backend.input, tuple(backend.outputs), backend.max_batch)

    def describe(self) -> str:
        """Text such as 'images[N,3,320,320]:float32 -> boxes[N,100,4]:float32, ...'."""
        return '%s -> %s (max batch %d)' % (
            self.input.describe(), ', '.join(o.describe() for o in self.outputs),
            self.max_batch)


def _dims(shape: Sequence) -> Tuple[Dim, ...]:
    # gRPC's JSON spells int64 dimensions as strings; -1 is Triton's dynamic dimension.
    return tuple(None if int(d) < 0 else int(d) for d in shape)


def served_signature(metadata: Dict, config: Dict,
                     np_dtype: Callable[[str], type]) -> ModelSignature:
    """Build the signature from Triton model metadata and configuration (as dicts)."""
    inputs = metadata.get('inputs', [])
    if len(inputs) != 1:
        raise BackendError('served model %r has %d inputs (%s); a detector with one NCHW image '
                           'input is expected' % (metadata.get('name'), len(inputs),
                                                  ', '.join(i['name'] for i in inputs)))

    def spec(tensor: Dict) -> TensorSpec:
        dtype = np_dtype(tensor['datatype'])
        if dtype is None:
            raise BackendError('served tensor %r has unsupported type %s'
                               % (tensor['name'], tensor['datatype']))
        return TensorSpec(tensor['name'], _dims(tensor['shape']), np.dtype(dtype))

    image = spec(inputs[0])
    outputs = tuple(spec(o) for o in metadata.get('outputs', []))
    max_batch = int(config.get('max_batch_size', 0))
    if max_batch <= 0:
        # Without Triton's batching the first dimension is the model's own, fixed or not.
        first = image.shape[0] if image.shape else None
        max_batch = first if isinstance(first, int) else 1
    return ModelSignature(image, outputs, max_batch)


def _fits(expected: TensorSpec, served: TensorSpec) -> bool:
    if np.dtype(expected.dtype) != np.dtype(served.dtype) \
            or len(expected.shape) != len(served.shape):
        return False
    # The batch dimension may differ (it is the request's); every other fixed one must agree.
    return all(a is None or b is None or a == b
               for a, b in zip(expected.shape[1:], served.shape[1:]))


def signature_problems(expected: ModelSignature, served: ModelSignature,
                       batch: int) -> List[str]:
    """List what keeps `served` from standing in for `expected` at batches up to `batch`."""
    problems = []
    if expected.input.name != served.input.name or not _fits(expected.input, served.input):
        problems.append('input %s is served as %s'
                        % (expected.input.describe(), served.input.describe()))
    served_outputs = {o.name: o for o in served.outputs}
    for output in expected.outputs:
        other = served_outputs.get(output.name)
        if other is None:
            problems.append('output %s is not served (served: %s)' % (
                output.describe(), ', '.join(sorted(served_outputs)) or 'none'))
        elif not _fits(output, other):
            problems.append('output %s is served as %s'
                            % (output.describe(), other.describe()))
    if served.max_batch < batch:
        problems.append('batches of up to %d are needed (max_batch) but the model takes at '
                        'most %d' % (batch, served.max_batch))
    return problems


def check_signature(expected: ModelSignature, served: ModelSignature, batch: int,
                    where: str) -> None:
    """Raise BackendError listing every mismatch between the local and the served model."""
    problems = signature_problems(expected, served, batch)
    if problems:
        raise BackendError(
            '%s does not fit the local model: %s. Export the repository from the same model '
            '(triton_export --model ...), or point the model parameter at the '
            'model the server serves, or lower max_batch' % (where, '; '.join(problems)))
