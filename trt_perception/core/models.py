# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Where the bundled detectors live, and the cards that say how to feed and read them.

``scripts/prepare_models.py`` (run by ``scripts/setup.sh``) writes each bundled model as
``<name>.onnx`` next to a ``<name>.json`` card: where the weights came from and their licence,
the input tensor, the preprocessing the weights were trained with, the output format and the
label file.  `find_model` resolves a model parameter to a `ModelCard`; bundled models are
looked for in, in order:

1. ``$TRT_PERCEPTION_MODEL_DIR``,
2. ``<repository>/models`` when running from a source checkout,
3. the installed share folder, ``<prefix>/share/trt_perception/models``.

Label files named by a card are looked for beside the card, then in the same places'
``config`` folders (``<repository>/config``, ``<prefix>/share/trt_perception/config``).

A model file without a card describes itself where its exporter wrote metadata
(`ModelMetadata`: Ultralytics ONNX and ``.engine`` exports): its class names, its head's output
format and how its predictor resized.  Without either, it is taken for a letterboxed COCO
detector.
"""

from dataclasses import dataclass
import hashlib
import json
import os
import sys
from typing import Dict, List, Optional, Tuple

from trt_perception.core.checks import three_numbers
from trt_perception.core.decoders import DECODERS as OUTPUT_FORMATS
from trt_perception.core.model_metadata import (engine_metadata, ModelMetadata,
                                                ModelMetadataError, onnx_metadata_props)
from trt_perception.core.preprocess import RESIZE_MODES, SAMPLINGS

PACKAGE = 'trt_perception'
DEFAULT_MODEL = 'ssd_mobilenet_v2_coco'
MODEL_DIR_ENV = 'TRT_PERCEPTION_MODEL_DIR'
ENGINE_SUFFIXES = ('.engine', '.plan', '.trt')
"""Files taken as prebuilt TensorRT engines rather than ONNX models; matched in any case."""
MODEL_SUFFIXES = ('.onnx',) + ENGINE_SUFFIXES
# A model file without a card or metadata is taken for an Ultralytics-style COCO export.
DEFAULT_LABELS = 'coco.names'
_SETUP_HINT = 'run ./scripts/setup.sh (it prepares the bundled models)'


def is_engine_path(path: str) -> bool:
    """Tell whether `path` names a TensorRT engine (.engine, .plan, .trt; any case)."""
    return path.lower().endswith(ENGINE_SUFFIXES)


class ModelCardError(ValueError):
    """A model card is missing, unreadable or inconsistent."""


def _repository_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def file_sha256(path: str) -> str:
    """Hex SHA-256 of a file's bytes (how model cards and the engine cache identify models)."""
    digest = hashlib.sha256()
    with open(path, 'rb') as stream:
        for block in iter(lambda: stream.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _share_dir() -> str:
    """Return the installed package's share folder (ament index when ROS is importable)."""
    try:
        from ament_index_python.packages import (PackageNotFoundError,
                                                 get_package_share_directory)
    except ImportError:
        return os.path.join(sys.prefix, 'share', PACKAGE)
    try:
        return get_package_share_directory(PACKAGE)
    except (PackageNotFoundError, OSError):
        # OSError: AMENT_PREFIX_PATH is unset, as in a plain virtualenv.
        return os.path.join(sys.prefix, 'share', PACKAGE)


def model_dirs() -> List[str]:
    """Folders searched for bundled models, in order (existing or not)."""
    dirs = []
    override = os.environ.get(MODEL_DIR_ENV, '')
    if override:
        dirs.append(os.path.abspath(os.path.expanduser(override)))
    dirs.append(os.path.join(_repository_root(), 'models'))
    dirs.append(os.path.join(_share_dir(), 'models'))
    return dirs


def label_dirs() -> List[str]:
    """Folders searched for label files named by a card, after the card's own folder."""
    return [os.path.join(_repository_root(), 'config'), os.path.join(_share_dir(), 'config')]


def available_models() -> List[str]:
    """Names of the bundled models found, first folder first, without repeats."""
    names: List[str] = []
    for directory in model_dirs():
        if not os.path.isdir(directory):
            continue
        for entry in sorted(os.listdir(directory)):
            stem, suffix = os.path.splitext(entry)
            if suffix == '.json' and stem not in names:
                names.append(stem)
    return names


def _find_labels(name: str, card_dir: str) -> str:
    if not name:
        return ''
    if os.path.isabs(name):
        return name
    candidates = [os.path.join(card_dir, name)] + [os.path.join(d, name) for d in label_dirs()]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    # load_labels reports the missing file with its fix.
    return candidates[0]


@dataclass(frozen=True)
class ModelCard:
    """
    A detector file and how to use it: input, preprocessing, output format and labels.

    Normalisation is ``(pixel * scale - mean) / std`` per channel in `channel_order`, after
    resizing the frame to the input size (`resize`: 'letterbox' keeps the aspect ratio and
    pads with `pad_value`, 'stretch' does not).  `input_shape` is NCHW with -1 for dynamic
    dimensions; it is empty when the card does not say (the backend reads it from the model).
    """

    name: str
    path: str
    output_format: str = 'auto'
    labels_path: str = ''
    input_name: str = ''
    input_shape: Tuple[int, ...] = ()
    resize: str = 'letterbox'
    sampling: str = 'half_pixel'
    """How the resize samples the source (`preprocess.SAMPLINGS`; card key
    ``preprocessing.sampling``): 'tf_legacy' for graphs that resize with TensorFlow 1."""
    channel_order: str = 'rgb'
    scale: float = 1.0 / 255.0
    mean: Tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: Tuple[float, float, float] = (1.0, 1.0, 1.0)
    pad_value: float = 114.0
    description: str = ''
    licence: str = ''
    sources: Tuple[str, ...] = ()
    sha256: str = ''
    normalized_boxes: bool = False
    """Boxes of an efficient_nms or detr output are in 0..1 of the input size (card key
    ``output.normalized_boxes``)."""
    labels: Tuple[str, ...] = ()
    """Class names the model file itself records (its metadata); used where no label file
    is named."""
    kpt_shape: Tuple[int, ...] = ()
    """Keypoints [K, D] of a pose head, from the file's metadata; empty: COCO's [17, 3]."""

    @property
    def is_engine(self) -> bool:
        """Whether this is a serialized TensorRT engine rather than an ONNX model."""
        return is_engine_path(self.path)

    @classmethod
    def for_file(cls, path: str) -> 'ModelCard':
        """
        Card of a model file: its ``<stem>.json`` card when one lies beside it, else its own.

        A card's open fields (output format 'auto', no labels) are filled from the file's
        metadata too.

        Without a card, the file's metadata (Ultralytics exports) gives the class names, the
        output format and the resize; where it has none the model is assumed to take
        letterboxed RGB in 0..1 and to detect the 80 COCO classes (set the labels and decoder
        parameters for anything else).  RGB in 0..1 is what every Ultralytics head takes.
        """
        path = os.path.abspath(path)
        card_path = os.path.splitext(path)[0] + '.json'
        if os.path.isfile(card_path):
            return cls.from_json(card_path, model_path=path)
        name = os.path.splitext(os.path.basename(path))[0]
        metadata = read_metadata(path)
        return cls(name=name, path=path,
                   output_format=metadata.output_format() or 'auto',
                   labels_path='' if metadata.names
                   else _find_labels(DEFAULT_LABELS, os.path.dirname(path)),
                   labels=metadata.names, kpt_shape=metadata.kpt_shape,
                   resize=metadata.resize(),
                   input_shape=(-1, 3) + metadata.imgsz if len(metadata.imgsz) == 2 else (),
                   description="read from the file's metadata" if not metadata.is_empty
                   else '')

    @classmethod
    def from_json(cls, card_path: str, model_path: Optional[str] = None) -> 'ModelCard':
        """Read a card written by scripts/prepare_models.py; `model_path` overrides its file."""
        try:
            with open(card_path, encoding='utf-8') as stream:
                card = json.load(stream)
        except OSError as error:
            raise ModelCardError('cannot read model card %r (%s): %s'
                                 % (card_path, error.strerror or error, _SETUP_HINT)) from error
        except ValueError as error:
            raise ModelCardError('model card %r is not valid JSON (%s): %s'
                                 % (card_path, error, _SETUP_HINT)) from error
        if not isinstance(card, dict):
            raise ModelCardError('model card %r must hold a JSON object: %s'
                                 % (card_path, _SETUP_HINT))
        card_dir = os.path.dirname(os.path.abspath(card_path))
        name = card.get('name') or os.path.splitext(os.path.basename(card_path))[0]
        path = model_path or os.path.join(card_dir, card.get('file', name + '.onnx'))
        if not os.path.isfile(path):
            raise ModelCardError('model card %r names %r, which does not exist: %s'
                                 % (card_path, path, _SETUP_HINT))
        spec = card.get('input', {})
        pre = card.get('preprocessing', {})
        output = card.get('output', {})
        output_format = output.get('format', 'auto')
        if output_format not in OUTPUT_FORMATS:
            raise ModelCardError('%s: output format %r is not one of %s'
                                 % (card_path, output_format, ', '.join(OUTPUT_FORMATS)))
        resize = pre.get('resize', 'letterbox')
        if resize not in RESIZE_MODES:
            raise ModelCardError('%s: resize %r is not one of %s'
                                 % (card_path, resize, ', '.join(RESIZE_MODES)))
        sampling = pre.get('sampling', 'half_pixel')
        if sampling not in SAMPLINGS:
            raise ModelCardError('%s: sampling %r is not one of %s'
                                 % (card_path, sampling, ', '.join(SAMPLINGS)))
        shape = spec.get('shape', [])
        if not isinstance(shape, list) or not all(isinstance(d, int) for d in shape):
            raise ModelCardError('%s: input shape must be a list of integers, got %r'
                                 % (card_path, shape))
        try:
            mean = three_numbers('mean', pre.get('mean', [0.0] * 3))
            std = three_numbers('std', pre.get('std', [1.0] * 3))
        except ValueError as error:
            raise ModelCardError('%s: %s' % (card_path, error)) from None
        sources = tuple('%s %s (%s)' % (s.get('package', '?'), s.get('version', '?'),
                                        s.get('file', '?'))
                        for s in card.get('source', []))
        # What the card leaves open, the model file may say (an Ultralytics export's names).
        metadata = ModelMetadata()
        if output_format in ('auto', 'pose') or not card.get('labels'):
            metadata = read_metadata(path)
        return cls(
            name=name, path=os.path.abspath(path),
            output_format=output_format if output_format != 'auto'
            else metadata.output_format() or 'auto', labels=metadata.names,
            kpt_shape=metadata.kpt_shape,
            labels_path=_find_labels(card.get('labels', ''), card_dir),
            input_name=spec.get('name', ''), input_shape=tuple(shape), resize=resize,
            sampling=sampling,
            channel_order=pre.get('channel_order', 'rgb'),
            scale=float(pre.get('scale', 1.0 / 255.0)),
            mean=mean, std=std,
            pad_value=float(pre.get('pad_value', 114.0)),
            description=card.get('description', ''), licence=card.get('licence', ''),
            sources=sources, sha256=card.get('sha256', ''),
            normalized_boxes=bool(output.get('normalized_boxes', False)))


def read_metadata(path: str) -> ModelMetadata:
    """
    Read what the ONNX model or engine file `path` records about itself (maybe nothing).

    A file too damaged to read its metadata gives none: loading it says what is wrong.
    """
    try:
        raw: Dict[str, object] = dict(engine_metadata(path) if is_engine_path(path)
                                      else onnx_metadata_props(path))
    except ModelMetadataError:
        return ModelMetadata()
    return ModelMetadata.from_dict(raw)


def find_model(name_or_path: str = '') -> ModelCard:
    """Card for a model parameter: '' (the default), a bundled name, or a model/card path."""
    if not name_or_path:
        return default_model()
    looks_like_path = (os.sep in name_or_path
                       or bool(os.altsep and os.altsep in name_or_path)
                       or name_or_path.lower().endswith(MODEL_SUFFIXES + ('.json',)))
    if looks_like_path:
        path = os.path.expanduser(name_or_path)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                'model %r does not exist: pass an existing .onnx, .engine, .plan, .trt or card '
                '.json file, or a bundled model name (%s)'
                % (name_or_path, ', '.join(available_models()) or 'none prepared yet; '
                   + _SETUP_HINT))
        if path.lower().endswith('.json'):
            return ModelCard.from_json(path)
        return ModelCard.for_file(path)
    for directory in model_dirs():
        card_path = os.path.join(directory, name_or_path + '.json')
        if os.path.isfile(card_path):
            return ModelCard.from_json(card_path)
    raise FileNotFoundError(
        'no bundled model %r in %s: %s, or pick one of %s'
        % (name_or_path, ', '.join(model_dirs()), _SETUP_HINT,
           ', '.join(available_models()) or 'the models it prepares'))


def default_model() -> ModelCard:
    """Card of the default bundled detector (`DEFAULT_MODEL`)."""
    return find_model(DEFAULT_MODEL)
