# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Finding nvcc as on a fresh JetPack: on PATH, via CUDA_HOME, in /usr/local/cuda, or nowhere.

trt_perception.gpu needs pycuda to import, which CPU-only machines lack; gpu/nvcc.py imports
nothing from CUDA, so it is loaded from its file.  Each case builds its own toolkit folders.
"""

import importlib.util
import os
import stat

import pytest

PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    'trt_perception', 'gpu', 'nvcc.py')
_spec = importlib.util.spec_from_file_location('trt_perception_gpu_nvcc', PATH)
nvcc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nvcc)


def _toolkit(root, executable=True):
    """Make root/bin/nvcc and return its path."""
    path = root / 'bin' / 'nvcc'
    path.parent.mkdir(parents=True)
    path.write_text('#!/bin/sh\n')
    mode = stat.S_IRWXU if executable else stat.S_IRUSR | stat.S_IWUSR
    path.chmod(mode)
    return str(path)


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """Return an environment whose PATH has no nvcc; the default toolkit folder is empty."""
    monkeypatch.setattr(nvcc, 'DEFAULT_CUDA_HOME', str(tmp_path / 'usr-local-cuda'))
    empty = tmp_path / 'empty-bin'
    empty.mkdir()
    return {'PATH': str(empty)}


def test_path_comes_first(tmp_path, nowhere):
    on_path = _toolkit(tmp_path / 'on-path')
    _toolkit(tmp_path / 'home')
    environ = {'PATH': os.path.dirname(on_path), 'CUDA_HOME': str(tmp_path / 'home')}
    assert nvcc.find_nvcc(environ) == on_path


def test_fresh_jetpack_without_path_finds_usr_local_cuda(tmp_path, nowhere):
    default = _toolkit(tmp_path / 'usr-local-cuda')
    assert nvcc.find_nvcc(nowhere) == default


def test_cuda_home_then_cuda_path(tmp_path, nowhere):
    path_toolkit = _toolkit(tmp_path / 'cuda-path')
    environ = dict(nowhere, CUDA_HOME=str(tmp_path / 'missing'),
                   CUDA_PATH=str(tmp_path / 'cuda-path'))
    assert nvcc.find_nvcc(environ) == path_toolkit
    home_toolkit = _toolkit(tmp_path / 'cuda-home')
    environ['CUDA_HOME'] = str(tmp_path / 'cuda-home')
    assert nvcc.find_nvcc(environ) == home_toolkit


def test_none_says_where_it_looked_and_what_to_install(tmp_path, nowhere):
    _toolkit(tmp_path / 'usr-local-cuda', executable=False)
    environ = dict(nowhere, CUDA_HOME=str(tmp_path / 'home'))
    with pytest.raises(nvcc.NvccNotFoundError) as raised:
        nvcc.find_nvcc(environ)
    message = str(raised.value)
    assert 'PATH, %s, %s;' % (os.path.join(str(tmp_path / 'home'), 'bin', 'nvcc'),
                              os.path.join(nvcc.DEFAULT_CUDA_HOME, 'bin', 'nvcc')) in message
    assert 'sudo apt install nvidia-cuda' in message and 'preprocess: cpu' in message
    assert isinstance(raised.value, RuntimeError)
