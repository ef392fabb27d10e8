# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The package's floors: what each one may import, read from the source with `ast`.

core (preprocessing, backends, decoding) is the ground floor and imports nothing of the
package above it; gpu builds on core, tensorrt on both; assembly on all three; the offline
runner and ros on top.  Imports inside functions count: a lazy import is still an arrow.
"""

import ast
import os
import subprocess
import sys
import textwrap

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(REPO, 'trt_perception')

# What each top-level part of the package may import of the others.  Floors, bottom up:
# core; gpu; tensorrt (runs engines on gpu's context); assembly; engine_builds (assembles in
# the background); runtime (the detector apart from ROS: worker, hot-swap, result stages); the
# command-line tools (tools/: detect, build_engine, triton_export, the local Triton launcher;
# detect.py is the runner's old `python -m` address), the demo and the ROS layer.
# fastdds_profile only finds a file.  A new part must be given its place here.
MAY_IMPORT = {
    'core': set(),
    'gpu': {'core'},
    'tensorrt': {'core', 'gpu'},
    'triton': {'core', 'gpu'},
    'assembly': {'core', 'gpu', 'tensorrt', 'triton'},
    'engine_builds': {'core', 'tensorrt', 'assembly'},
    'runtime': {'core', 'assembly', 'engine_builds'},
    'fastdds_profile': set(),
    'tools': {'core', 'gpu', 'tensorrt', 'triton', 'assembly', 'runtime'},
    'detect': {'tools'},
    'evaluate': {'tools'},
    'demo': {'core', 'assembly', 'fastdds_profile'},
    'doctor': {'tools'},
    'ros': {'core', 'gpu', 'tensorrt', 'triton', 'assembly', 'engine_builds', 'runtime'},
}


def part_of(module):
    """'trt_perception.core.nms' -> 'core'; None outside the package or for its root."""
    pieces = module.split('.')
    if pieces[0] != 'trt_perception' or len(pieces) < 2:
        return None
    return pieces[1]


def package_modules():
    """(dotted module name, path) of every .py file of the package."""
    for folder, _, files in os.walk(PACKAGE):
        for name in sorted(files):
            if name.endswith('.py'):
                path = os.path.join(folder, name)
                relative = os.path.relpath(path, REPO)[:-3].split(os.sep)
                if relative[-1] == '__init__':
                    relative = relative[:-1]
                yield '.'.join(relative), path


def imports_of(module, path):
    """Every module `path` imports, absolute, including imports inside functions."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
    is_package = path.endswith('__init__.py')
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = module.split('.')
                anchor = anchor[:len(anchor) - node.level + (1 if is_package else 0)]
                base = '.'.join(anchor + ([base] if base else []))
            found.add(base)
            found.update(base + '.' + alias.name for alias in node.names)
    return found


def arrows():
    """Yield (importing part, imported part, importing module) for in-package imports."""
    for module, path in package_modules():
        source = part_of(module)
        for imported in imports_of(module, path):
            target = part_of(imported)
            if source and target and target != source:
                yield source, target, module


def test_every_part_of_the_package_has_a_place():
    parts = {part_of(module) for module, _ in package_modules()} - {None}
    assert parts <= set(MAY_IMPORT), 'give %s a place in MAY_IMPORT' % (parts - set(MAY_IMPORT))


def test_no_import_runs_up_a_floor():
    wrong = sorted('%s imports trt_perception.%s' % (module, target)
                   for source, target, module in arrows()
                   if target not in MAY_IMPORT.get(source, ()))
    assert wrong == []


def test_the_walker_sees_lazy_and_relative_imports(tmp_path):
    path = tmp_path / 'x.py'
    path.write_text(textwrap.dedent("""
        from . import letterbox
        def late():
            from trt_perception.gpu.context import CudaContext
    """))
    found = imports_of('trt_perception.core.x', str(path))
    assert 'trt_perception.core.letterbox' in found
    assert 'trt_perception.gpu.context.CudaContext' in found


BLOCKED_RUN = '''
import importlib.abc, sys

class Refuse(importlib.abc.MetaPathFinder):
    """Makes the GPU and TensorRT floors (and ROS) unimportable."""
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[:2] in (['trt_perception', 'gpu'], ['trt_perception', 'tensorrt']) \\
                or name.split('.')[0] in ('rclpy', 'pycuda', 'tensorrt', 'tensorrt_rtx'):
            raise ImportError('%s is blocked for this test' % name)
        return None

sys.meta_path.insert(0, Refuse())
import cv2
import numpy as np
from trt_perception.core.decoders import make_decoder
from trt_perception.core.detection import load_labels
from trt_perception.core.image import RawImage
from trt_perception.core.models import default_model
from trt_perception.core.onnxruntime_backend import OnnxRuntimeBackend
from trt_perception.core.pipeline import DetectionPipeline, preprocess_spec
from trt_perception.core.preprocess import CpuPreprocessor

card = default_model()
backend = OnnxRuntimeBackend(card.path)
decoder = make_decoder(card.output_format, backend.outputs, load_labels(card.labels_path),
                       normalized_boxes=card.normalized_boxes)
frame = cv2.imread(sys.argv[1])
with DetectionPipeline(backend, CpuPreprocessor(preprocess_spec(card, backend)),
                       decoder) as pipeline:
    result = pipeline.detect([RawImage.from_array(frame, 'bgr8')])
print(sorted(d.label for d in result.detections[0] if d.score > 0.5))
print(sorted(m for m in sys.modules if m.startswith('trt_perception.')))
'''


def test_the_core_runs_the_cpu_pipeline_with_gpu_and_tensorrt_unimportable(tmp_path):
    from skimage import data
    import cv2
    photo = str(tmp_path / 'chelsea.png')
    cv2.imwrite(photo, cv2.cvtColor(data.chelsea(), cv2.COLOR_RGB2BGR))
    env = dict(os.environ, PYTHONPATH=REPO)
    result = subprocess.run([sys.executable, '-c', BLOCKED_RUN, photo], cwd=str(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    labels, modules = result.stdout.strip().splitlines()[-2:]
    assert 'cat' in labels
    assert all(part_of(m) == 'core' for m in ast.literal_eval(modules)), modules
