# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Served model metadata read into a signature and checked against the local model."""

import numpy as np
import pytest

from trt_perception.core.backend import BackendError, TensorSpec
from trt_perception.triton.signature import (check_signature, ModelSignature, served_signature,
                                             signature_problems)

F32 = np.dtype(np.float32)
LOCAL = ModelSignature(TensorSpec('images', (None, 3, 300, 300), F32),
                       (TensorSpec('output0', (None, 1917, 6), F32),), 4)
TYPES = {'FP32': np.float32, 'FP16': np.float16}.get


def metadata(input_shape=('-1', '3', '300', '300'), output='output0', dtype='FP32'):
    # As gRPC's JSON spells it: int64 dimensions as strings.
    return {'name': 'det', 'inputs': [{'name': 'images', 'datatype': dtype,
                                       'shape': list(input_shape)}],
            'outputs': [{'name': output, 'datatype': 'FP32', 'shape': ['-1', '1917', '6']}]}


def test_metadata_and_config_make_the_signature():
    served = served_signature(metadata(), {'max_batch_size': 8}, TYPES)
    assert served == ModelSignature(LOCAL.input, LOCAL.outputs, 8)
    assert signature_problems(LOCAL, served, 4) == []


def test_without_triton_batching_the_fixed_first_dimension_is_the_batch():
    served = served_signature(metadata(('1', '3', '300', '300')), {'max_batch_size': 0}, TYPES)
    assert served.max_batch == 1
    assert signature_problems(LOCAL, served, 2) == [
        'batches of up to 2 are needed (max_batch) but the model takes at most 1']


def test_every_mismatch_is_named_with_the_fix():
    served = served_signature(metadata(('-1', '3', '320', '320'), 'boxes', 'FP16'),
                              {'max_batch_size': 8}, TYPES)
    with pytest.raises(BackendError) as error:
        check_signature(LOCAL, served, 4, "model 'det' on grpc://127.0.0.1:8001")
    text = str(error.value)
    assert text.startswith("model 'det' on grpc://127.0.0.1:8001 does not fit the local model: "
                           'input images[N,3,300,300]:float32 is served as '
                           'images[N,3,320,320]:float16; output output0[N,1917,6]:float32 is '
                           'not served (served: boxes)')
    assert 'triton_export --model' in text


def test_a_model_with_two_inputs_is_refused():
    two = metadata()
    two['inputs'].append(dict(two['inputs'][0], name='scale'))
    with pytest.raises(BackendError, match='has 2 inputs .images, scale.'):
        served_signature(two, {'max_batch_size': 8}, TYPES)
