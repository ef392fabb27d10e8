# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The triton_export console script: the repository layout and config.pbtxt it writes.

That the server loads what it writes is shown by every test that starts tritonserver
(test_triton_backend.py serves a repository written by `export_repository`).
"""

import os
import subprocess
import sys

from trt_perception.core.models import find_model
from trt_perception.tools.triton_export import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_an_onnxruntime_repository_for_the_bundled_person_detector(tmp_path):
    assert main(['--repository', str(tmp_path), '--model', 'ssdlite_mobilenet_v2_person',
                 '--name', 'people', '--max-batch', '8', '--preferred-batch-sizes', '4', '8',
                 '--max-queue-delay-us', '1500']) == 0
    card = find_model('ssdlite_mobilenet_v2_person')
    with open(card.path, 'rb') as source, \
            open(str(tmp_path / 'people' / '1' / 'model.onnx'), 'rb') as copy:
        assert copy.read() == source.read()
    assert (tmp_path / 'people' / 'config.pbtxt').read_text() == """\
name: "people"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  {
    name: "images"
    data_type: TYPE_FP32
    dims: [ 3, 300, 300 ]
  }
]
output [
  {
    name: "output0"
    data_type: TYPE_FP32
    dims: [ 1917, 6 ]
  }
]
dynamic_batching {
  preferred_batch_size: [ 4, 8 ]
  max_queue_delay_microseconds: 1500
}
instance_group [
  {
    count: 1
    kind: KIND_GPU
  }
]
"""


def test_a_tensorrt_plan_repository_copies_the_server_built_engine(tmp_path):
    engine = tmp_path / 'built_on_the_server.plan'
    engine.write_bytes(b'plan bytes')
    assert main(['--repository', str(tmp_path / 'repo'), '--platform', 'tensorrt_plan',
                 '--engine', str(engine), '--max-batch', '4']) == 0
    folder = tmp_path / 'repo' / 'ssd_mobilenet_v2_coco'
    assert (folder / '1' / 'model.plan').read_bytes() == b'plan bytes'
    config = (folder / 'config.pbtxt').read_text()
    assert 'platform: "tensorrt_plan"' in config and 'preferred_batch_size: [ 2, 4 ]' in config
    assert 'dims: [ 1917, 85 ]' in config


def test_a_python_repository_names_its_package_folders(tmp_path):
    assert main(['--repository', str(tmp_path), '--model', 'ssdlite_mobilenet_v2_person',
                 '--platform', 'python', '--python-path', '/opt/numpy1', '/opt/ort']) == 0
    folder = tmp_path / 'ssdlite_mobilenet_v2_person'
    source = (folder / '1' / 'model.py').read_text()
    assert "sys.path[:0] = [p for p in ['/opt/numpy1', '/opt/ort'] if p not in sys.path]" \
        in source
    compile(source, 'model.py', 'exec')
    config = (folder / 'config.pbtxt').read_text()
    assert 'backend: "python"' in config and 'kind: KIND_CPU' in config


def test_bad_arguments_end_with_one_line_and_status_2(tmp_path):
    result = subprocess.run(
        [sys.executable, '-m', 'trt_perception.tools.triton_export', '--repository',
         str(tmp_path), '--platform', 'tensorrt_plan'], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith('triton_export: error: platform tensorrt_plan needs '
                                    '--engine: the engine built from ')
    assert 'Traceback' not in result.stderr


def test_a_batch_size_that_is_not_a_positive_whole_number_is_refused(tmp_path, capsys):
    assert main(['--repository', str(tmp_path), '--max-batch', '0']) == 2
    assert capsys.readouterr().err == ('triton_export: error: --max-batch must be a positive '
                                       'integer, got 0\n')
