# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The self-check: its report, the photo through a backend, and loud failures.

The CPU run is the real pipeline on the bundled model and photo, compared with the recorded
detections; the GPU run (`--backend onnxruntime --preprocess gpu`) is for the device and
skips here.  A backend that cannot run must end the check with status 2 and its reason.
"""

import os
import subprocess
import sys

import pytest

from trt_perception.core.detection import Detection
from trt_perception.tensorrt import tensorrt_unavailable_reason
from trt_perception.tools import doctor

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(capsys, *argv):
    status = doctor.main(list(argv))
    return status, capsys.readouterr().out


def test_the_cpu_run_reports_every_fact_and_finds_the_expected_detections(capsys):
    status, out = run(capsys, '--backend', 'onnxruntime', '--preprocess', 'cpu')
    assert status == 0, out
    for name, _ in doctor.PROBES:
        assert '\n%-12s ' % name in '\n' + out
    assert 'detection    person' in out
    assert out.rstrip().endswith('OK: onnxruntime found the expected detections')


def test_a_demanded_backend_that_cannot_run_fails_with_its_reason(capsys):
    reason = tensorrt_unavailable_reason()
    if reason is None:
        pytest.skip('TensorRT can run here; the failure path is shown where it cannot')
    status, out = run(capsys, '--backend', 'tensorrt')
    assert status == 2
    last = out.rstrip().splitlines()[-1]
    assert last.startswith('FAIL: backend tensorrt with auto preprocessing did not start: ')
    assert 'TensorRT' in last


def test_demanded_gpu_preprocessing_without_a_gpu_fails(capsys):
    try:
        import pycuda.driver  # noqa: F401
        pytest.skip('pycuda is importable: the device test covers --preprocess gpu')
    except ImportError:
        pass
    status, out = run(capsys, '--backend', 'onnxruntime', '--preprocess', 'gpu')
    assert status == 2 and 'FAIL: backend onnxruntime with gpu preprocessing' in out


@pytest.mark.gpu
def test_onnxruntime_with_gpu_preprocessing_on_the_device(capsys):
    pytest.importorskip('pycuda.driver', reason='pycuda is not installed (device test)')
    status, out = run(capsys, '--backend', 'onnxruntime', '--preprocess', 'gpu')
    assert status == 0, out


def test_the_console_entry_point_runs_as_a_module():
    env = dict(os.environ, PYTHONPATH=REPO)
    done = subprocess.run([sys.executable, '-m', 'trt_perception.doctor', '--help'],
                          stdout=subprocess.PIPE, universal_newlines=True, env=env,
                          timeout=120, check=False)
    assert done.returncode == 0 and '--backend' in done.stdout


def detection(label, class_id, score, box):
    return Detection(*box, score=score, class_id=class_id, label=label)


CHECK = doctor.PhotoCheck([detection('person', 0, 0.7, [10, 10, 200, 300]),
                           detection('mouse', 64, 0.45, [210, 250, 380, 380])])


def test_matching_detections_pass_and_a_weak_one_may_be_missing():
    assert CHECK.differences([detection('person', 0, 0.66, [12, 11, 201, 298])]) == []


@pytest.mark.parametrize('found, problem', [
    ([detection('person', 0, 0.7, [60, 10, 250, 300])], 'expected person 0.70'),
    ([detection('person', 0, 0.9, [10, 10, 200, 300])], 'expected person 0.70'),
    ([detection('cat', 15, 0.7, [10, 10, 200, 300])], 'unexpected cat 0.70'),
    ([detection('person', 0, 0.7, [10, 10, 200, 300]),
      detection('dog', 16, 0.8, [0, 0, 50, 50])], 'unexpected dog 0.80'),
])
def test_moved_boxes_changed_scores_or_other_objects_are_named(found, problem):
    assert any(p.startswith(problem) for p in CHECK.differences(found))


@pytest.mark.parametrize('line, release, jetpack', [
    ('# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t186ref, EABI: aarch64',
     '32.7.1', '4.6.1'),
    ('# R32 (release), REVISION: 6.1, GCID: 27863751, BOARD: t186ref', '32.6.1', '4.6'),
    ('# R35 (release), REVISION: 2.1, GCID: 32413640, BOARD: t186ref', '35.2.1', '5.1'),
    ('# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic', '36.4.0', '6.1'),
])
def test_l4t_release_and_its_jetpack(line, release, jetpack):
    assert doctor.l4t_release(line) == release
    assert doctor.JETPACK_OF_L4T[release] == jetpack


def test_an_unreadable_release_line_gives_no_release():
    assert doctor.l4t_release('') == '' and doctor.l4t_release('hello') == ''
