# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The one tritonclient import, URLs and the settings the node passes on."""

import os
import subprocess
import sys

import pytest

from trt_perception.triton.client import split_url
from trt_perception.triton.settings import TritonSettings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WITHOUT_TRITONCLIENT = """
import importlib.abc, sys

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'tritonclient':
            raise ImportError('No module named %r' % name)
        return None

sys.meta_path.insert(0, Refuse())
from trt_perception.core.backend import BackendError
from trt_perception.triton.client import ServerConnection
try:
    ServerConnection('grpc://127.0.0.1:8001', 1.0)
except BackendError as error:
    print(error)
"""


def test_without_tritonclient_the_backend_says_what_to_install():
    result = subprocess.run([sys.executable, '-c', WITHOUT_TRITONCLIENT], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=120)
    assert result.returncode == 0, result.stderr
    missing = "backend 'triton' needs the tritonclient package (No module named 'tritonclient')"
    if sys.version_info >= (3, 8):
        assert result.stdout.strip() == missing + (
            ': install it with pip install -r requirements/triton.txt (or pip install '
            "'tritonclient[grpc,http]')")
    else:  # JetPack 4.6: requirements/triton.txt does not install there
        assert result.stdout.strip() == missing + (
            ": on Python < 3.8 (JetPack 4.6) pip install 'tritonclient[grpc,http]==2.17.0', "
            'the newest with wheels for it on Jetson, which this package was not tested with '
            '(docs/triton.md); or run the robot on JetPack 5 or later')


def test_urls_name_the_protocol_and_address():
    assert split_url('grpc://gpu-box:8001') == ('grpc', 'gpu-box:8001')
    assert split_url('http://127.0.0.1:8000') == ('http', '127.0.0.1:8000')
    for bad in ('127.0.0.1:8001', 'https://x:1', 'grpc://', 'http://x:8000/v2'):
        with pytest.raises(ValueError, match='must look like grpc://host:8001'):
            split_url(bad)


@pytest.mark.parametrize('fields, text', [
    ({'url': 'gpu-box:8001'}, "url='gpu-box:8001'"),
    ({'timeout': 0.0}, 'timeout=0.0'),
    ({'shared_memory': 'nvlink'},
     "shared_memory='nvlink' is not allowed; use one of: none, system, cuda"),
])
def test_bad_settings_are_refused_naming_the_value(fields, text):
    with pytest.raises(ValueError, match=text):
        TritonSettings(**fields)
