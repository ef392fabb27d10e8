# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""``triton_export``: write a Triton model repository (triton/repository.py) from the shell."""

import argparse
import os
import sys
from typing import Optional, Sequence

from trt_perception.triton.repository import export_repository, PLATFORMS


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line: write the repository; 0 on success, 2 on a bad argument."""
    parser = argparse.ArgumentParser(
        prog='triton_export',
        description='Write a Triton model repository for a bundled or user ONNX model.')
    parser.add_argument('--repository', required=True, help='folder of the model repository')
    parser.add_argument('--model', default='',
                        help='bundled model name, .onnx file or card .json (default: the '
                             'bundled default)')
    parser.add_argument('--name', default='',
                        help="model name on the server (default: the card's name)")
    parser.add_argument('--version', type=int, default=1)
    parser.add_argument('--platform', choices=PLATFORMS, default='onnxruntime_onnx')
    parser.add_argument('--engine', default='',
                        help="TensorRT engine built on the server's GPU (tensorrt_plan)")
    parser.add_argument('--max-batch', type=int, default=8,
                        help='max_batch_size: most frames one execution batches')
    parser.add_argument('--preferred-batch-sizes', type=int, nargs='*', default=[],
                        help='dynamic batching targets (default: max batch and half of it)')
    parser.add_argument('--max-queue-delay-us', type=int, default=2000,
                        help='how long a request may wait for others to batch with')
    parser.add_argument('--instances', type=int, default=1, help='model instances')
    parser.add_argument('--kind', choices=('KIND_GPU', 'KIND_CPU'), default='',
                        help='instance kind (default: KIND_GPU, KIND_CPU for python)')
    parser.add_argument('--python-path', nargs='*', default=None,
                        help='python: folders with numpy and onnxruntime for model.py '
                             "(default: this interpreter's)")
    parser.add_argument('--threads', type=int, default=1,
                        help='python: ONNX Runtime threads per instance')
    args = parser.parse_args(argv)
    try:
        folder = export_repository(
            args.repository, args.model, args.name, args.version, args.platform, args.engine,
            args.max_batch, args.preferred_batch_sizes, args.max_queue_delay_us,
            args.instances, args.kind, args.python_path, args.threads)
    except (ValueError, FileNotFoundError) as error:
        print('triton_export: error: %s' % error, file=sys.stderr)
        return 2
    print('wrote %s; serve it with: tritonserver --model-repository %s'
          % (folder, os.path.abspath(args.repository)))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
