# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
``build_engine``: build a TensorRT engine from an ONNX detector, a focused trtexec.

    build_engine --onnx yolov8n.onnx --engine yolov8n.plan --fp16 --max-batch 2

is what ``trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.plan --fp16
--minShapes=images:1x3x640x640 --optShapes=images:2x3x640x640 --maxShapes=images:2x3x640x640``
does, with INT8 calibration through the pipeline's own preprocessing, a timing cache, and
build progress logged.  Run it on the device that will run the engine.  The ONNX file's
metadata (an Ultralytics export's class names, head, image size) goes in front of the plan
as Ultralytics writes its own ``.engine`` files, so the engine describes itself too.
"""

import argparse
import contextlib
import json
import logging
import os
import sys
from typing import Optional, Sequence

from trt_perception.core.backend import BackendError
from trt_perception.core.model_metadata import onnx_metadata, with_engine_header
from trt_perception.core.models import ModelCard
from trt_perception.core.preprocess import PreprocessSpec, RESIZE_MODES
from trt_perception.tensorrt.api import FLAVOURS, TensorRTApi, TensorRTUnavailable
from trt_perception.tensorrt.builder import BuildOptions, EngineBuilder
from trt_perception.tensorrt.files import write_atomic


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='build_engine', description=__doc__.strip().split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--onnx', required=True, help='ONNX model to build from')
    parser.add_argument('--engine', help='output plan (default: the ONNX path with .plan)')
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument('--fp16', action='store_true',
                           help='allow FP16 kernels (only where the GPU has fast FP16)')
    precision.add_argument('--int8', action='store_true',
                           help='INT8 with entropy calibration (needs --calib-images or an '
                           'existing --calib-cache)')
    parser.add_argument('--calib-images', metavar='DIR',
                        help='directory of representative frames for INT8 calibration')
    parser.add_argument('--calib-cache', metavar='FILE',
                        help='calibration table: reused when present, written after calibrating')
    parser.add_argument('--calib-max-images', type=int, default=500, metavar='N',
                        help='calibrate on at most N images (default 500)')
    card = parser.add_argument_group(
        'calibration preprocessing', "default: the model card's (the .json beside the ONNX "
        "model, else YOLO's: letterbox, RGB, 1/255, pad 114), which inference uses too")
    card.add_argument('--resize', choices=RESIZE_MODES,
                      help='letterbox (keep the aspect ratio) or stretch')
    card.add_argument('--channel-order', choices=('rgb', 'bgr'),
                      help='model input channel order')
    card.add_argument('--scale', type=float,
                      help='pixel scale, y = (x*scale - mean)/std')
    card.add_argument('--mean', type=float, nargs=3)
    card.add_argument('--std', type=float, nargs=3)
    card.add_argument('--pad-value', type=float, help='letterbox padding pixel value')
    parser.add_argument('--min-batch', type=int, default=1)
    parser.add_argument('--opt-batch', type=int, help='default: --max-batch')
    parser.add_argument('--max-batch', type=int, default=1,
                        help='largest batch (number of cameras run together), default 1')
    parser.add_argument('--slots', type=int, default=1, metavar='N',
                        help="optimization profiles, one per batch in flight (the node's "
                        'pipeline_depth; 2 when it is 0 on a GPU backend), default 1')
    parser.add_argument('--workspace', type=int, metavar='MiB',
                        help="workspace ceiling in MiB (default: TensorRT's)")
    parser.add_argument('--dla-core', type=int, help='build for this DLA core (Xavier/Orin)')
    parser.add_argument('--timing-cache', metavar='FILE',
                        help='reuse and update tactic timings across builds')
    parser.add_argument('--target-sm', action='append', default=[], metavar='X.Y',
                        help='TensorRT-RTX: build for this compute capability (repeatable)')
    parser.add_argument('--module', choices=FLAVOURS,
                        help='TensorRT module to use (default: the first importable)')
    parser.add_argument('--verbose', action='store_true', help="log TensorRT's own messages")
    return parser


def _options(args: argparse.Namespace) -> BuildOptions:
    precision = 'int8' if args.int8 else 'fp16' if args.fp16 else 'fp32'
    return BuildOptions(
        precision=precision, min_batch=args.min_batch,
        opt_batch=args.opt_batch or args.max_batch, max_batch=args.max_batch,
        profiles=args.slots, workspace_mib=args.workspace, dla_core=args.dla_core,
        timing_cache=args.timing_cache,
        target_compute_capabilities=tuple(args.target_sm))


def calibration_spec(args: argparse.Namespace, shape: Sequence[int]) -> PreprocessSpec:
    """
    Preprocessing of the calibration frames for an input of NCHW `shape`: the model card's.

    Inference preprocesses with the card beside the ONNX model (`ModelCard.for_file`), so
    calibration does too, or its activation ranges would be measured on other inputs (a
    letterboxed frame for a model that stretches); options given on the command line win.
    """
    card = ModelCard.for_file(args.onnx)

    def given(option, from_card):
        return from_card if option is None else option

    return PreprocessSpec(
        width=int(shape[3]), height=int(shape[2]),
        channel_order=given(args.channel_order, card.channel_order),
        pad_value=given(args.pad_value, card.pad_value), scale=given(args.scale, card.scale),
        mean=tuple(given(args.mean, card.mean)), std=tuple(given(args.std, card.std)),
        resize=given(args.resize, card.resize), sampling=card.sampling)


def _calibration(args: argparse.Namespace, api: TensorRTApi, log: logging.Logger,
                 stack: contextlib.ExitStack):
    """Return a calibrator factory for the builder, or None when not building INT8."""
    if not args.int8:
        return None
    if not args.calib_images and not (args.calib_cache and os.path.isfile(args.calib_cache)):
        raise BackendError('--int8 needs --calib-images DIR (or an existing --calib-cache '
                           'FILE from an earlier calibration)')
    from trt_perception.core.preprocess import CpuPreprocessor
    from trt_perception.gpu.context import CudaContext
    from trt_perception.tensorrt.calibrator import CalibrationBatches, make_entropy_calibrator

    context = stack.enter_context(CudaContext(0))
    stack.enter_context(context.activated())

    def make(shape) -> object:
        preprocessor = CpuPreprocessor(calibration_spec(args, shape))
        stack.callback(preprocessor.close)
        if args.calib_images:
            batches = CalibrationBatches.from_directory(
                args.calib_images, preprocessor, shape[0], args.calib_cache,
                args.calib_max_images, log)
        else:
            batches = CalibrationBatches.from_cache(preprocessor, shape[0], args.calib_cache,
                                                    log)
        return make_entropy_calibrator(api, batches)

    return make


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Build the engine; exit status 0 on success, 1 with a message on failure."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format='%(asctime)s %(levelname)s %(message)s', stream=sys.stderr)
    log = logging.getLogger('trt_perception.build_engine')
    engine_path = args.engine or os.path.splitext(args.onnx)[0] + '.plan'
    try:
        options = _options(args)
        api = TensorRTApi.load((args.module,) if args.module else None)
        log.info('using %s', api.describe())
        with contextlib.ExitStack() as stack:
            make_calibrator = _calibration(args, api, log, stack)
            result = EngineBuilder(api, log).build(args.onnx, options, make_calibrator)
        directory = os.path.dirname(os.path.abspath(engine_path))
        os.makedirs(directory, exist_ok=True)
        write_atomic(engine_path, with_engine_header(onnx_metadata(args.onnx), result.plan))
        summary = dict(result.details(), engine=engine_path, tensorrt=api.describe())
    except (BackendError, TensorRTUnavailable, ValueError, OSError) as exc:
        log.error('%s', exc)
        return 1
    print(json.dumps(summary, indent=2, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
