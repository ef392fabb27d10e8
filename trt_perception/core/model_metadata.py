# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
What an exported model file says about itself: Ultralytics metadata in ONNX and .engine files.

Ultralytics writes the same facts into every export: class ``names``, ``imgsz``, ``stride``,
``task``, the ``head`` class, ``batch``, ``end2end`` (an NMS-free head) and the export
``args`` (``nms``).  In an ONNX file they are string entries of ``ModelProto.metadata_props``,
each value Python's ``str()`` of the object; an ``.engine`` export puts them in front of the
TensorRT plan as a 4-byte little-endian length and that many bytes of JSON.

The ONNX reader walks the protobuf's top-level fields itself (seeking past the graph), so it
needs neither the onnx package nor an ONNX Runtime session and costs microseconds on a
100 MB model.
"""

import ast
from dataclasses import dataclass
import io
import json
import struct
from typing import BinaryIO, Dict, Optional, Tuple

_METADATA_PROPS = 14
"""Field number of ``ModelProto.metadata_props`` (repeated StringStringEntryProto)."""
_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


class ModelMetadataError(ValueError):
    """A model file whose metadata block is present but unreadable."""


def _varint(stream: BinaryIO) -> Optional[int]:
    """Read one protobuf varint; None at the end of the stream."""
    value = shift = 0
    while True:
        byte = stream.read(1)
        if not byte:
            if shift:
                raise ModelMetadataError('truncated varint')
            return None
        value |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return value
        shift += 7
        if shift > 63:
            raise ModelMetadataError('varint longer than 64 bits')


def _entry(payload: bytes) -> Tuple[str, str]:
    """Key and value of one StringStringEntryProto (fields 1 and 2, both strings)."""
    fields = {}
    stream = io.BytesIO(payload)
    while True:
        tag = _varint(stream)
        if tag is None:
            break
        if tag & 7 != _LENGTH:
            raise ModelMetadataError('metadata entry field %d has wire type %d'
                                     % (tag >> 3, tag & 7))
        length = _varint(stream) or 0
        fields[tag >> 3] = stream.read(length).decode('utf-8', 'replace')
    return fields.get(1, ''), fields.get(2, '')


def onnx_metadata_props(path: str) -> Dict[str, str]:
    """Every ``metadata_props`` entry of the ONNX file `path` (key to string value)."""
    props = {}
    with open(path, 'rb') as stream:
        size = stream.seek(0, 2)
        stream.seek(0)
        while True:
            tag = _varint(stream)
            if tag is None:
                break
            field, wire = tag >> 3, tag & 7
            if wire == _VARINT:
                _varint(stream)
            elif wire == _FIXED64:
                stream.seek(8, 1)
            elif wire == _FIXED32:
                stream.seek(4, 1)
            elif wire == _LENGTH:
                length = _varint(stream) or 0
                if stream.tell() + length > size:
                    raise ModelMetadataError('%r is not an ONNX model: a field of %d bytes '
                                             'runs past its end' % (path, length))
                if field == _METADATA_PROPS:
                    key, value = _entry(stream.read(length))
                    props[key] = value
                else:
                    stream.seek(length, 1)
            else:
                raise ModelMetadataError('%r is not an ONNX model (protobuf wire type %d)'
                                         % (path, wire))
    return props


def split_engine_header(data: bytes) -> Tuple[Dict[str, object], bytes]:
    """
    Split an Ultralytics ``.engine`` file into its JSON metadata and the TensorRT plan.

    Ultralytics writes ``len(json)`` as 4 little-endian bytes, the JSON, then the plan; a plain
    plan starts with TensorRT's own magic, whose first 4 bytes read as a length that either
    overruns the file or is not followed by JSON, so it comes back whole with no metadata.
    """
    if len(data) < 4:
        return {}, data
    length = struct.unpack('<i', data[:4])[0]
    if not 0 < length <= len(data) - 4 or data[4:5] != b'{':
        return {}, data
    try:
        metadata = json.loads(data[4:4 + length].decode('utf-8'))
    except ValueError:
        return {}, data
    if not isinstance(metadata, dict):
        return {}, data
    return metadata, data[4 + length:]


def with_engine_header(metadata: Dict[str, object], plan: bytes) -> bytes:
    """Put `metadata` in front of `plan` as Ultralytics does; the plan alone if it is empty."""
    if not metadata:
        return plan
    text = json.dumps(metadata).encode('utf-8')
    return struct.pack('<i', len(text)) + text + plan


def onnx_metadata(path: str) -> Dict[str, object]:
    """Read the ONNX file's metadata entries, each value parsed back from Python's str()."""
    return {key: _literal(value) for key, value in onnx_metadata_props(path).items()}


def engine_metadata(path: str) -> Dict[str, object]:
    """Read the Ultralytics metadata in front of the plan in engine file `path`; {} if none."""
    with open(path, 'rb') as stream:
        head = stream.read(4)
        if len(head) < 4:
            return {}
        length = struct.unpack('<i', head)[0]
        if length <= 0 or length > (1 << 24):
            return {}
        return split_engine_header(head + stream.read(length))[0]


def _literal(text: str) -> object:
    """Parse back a metadata value written with Python's str(); else keep the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


@dataclass(frozen=True)
class ModelMetadata:
    """
    The facts an Ultralytics export records about its model, where it records them.

    `names` are the class names by id, `imgsz` the (height, width) it was exported at,
    `head` the detection head's class (``Detect``, ``v10Detect``, ``RTDETRDecoder``, ...),
    `end2end` whether the head ends in its own top-k (no NMS needed), `nms` whether the export
    embedded NMS.  Empty for a file that carries no Ultralytics metadata.
    """

    names: Tuple[str, ...] = ()
    imgsz: Tuple[int, ...] = ()
    stride: int = 0
    task: str = ''
    head: str = ''
    batch: int = 0
    end2end: bool = False
    nms: bool = False
    kpt_shape: Tuple[int, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Whether the file said nothing this package uses."""
        return self == ModelMetadata()

    @classmethod
    def from_dict(cls, raw: Dict[str, object]) -> 'ModelMetadata':
        """Read the facts from a metadata mapping (values parsed or still as strings)."""
        values = {key: _literal(value) if isinstance(value, str) else value
                  for key, value in raw.items()}
        names = values.get('names') or {}
        if isinstance(names, dict):
            try:
                ordered = sorted((int(k), str(v)) for k, v in names.items())
            except (TypeError, ValueError):
                ordered = []
            # Ids must run 0..n-1 for a name list; gaps are filled with the id as text.
            label_list = [str(i) for i in range(ordered[-1][0] + 1)] if ordered else []
            for class_id, name in ordered:
                if class_id >= 0:
                    label_list[class_id] = name
            names = label_list
        elif not isinstance(names, (list, tuple)):
            names = []
        imgsz = values.get('imgsz') or ()
        if isinstance(imgsz, int):
            imgsz = (imgsz, imgsz)
        args = values.get('args') if isinstance(values.get('args'), dict) else {}
        kpt_shape = values.get('kpt_shape') or ()
        return cls(
            names=tuple(str(n) for n in names),
            imgsz=tuple(int(d) for d in imgsz) if isinstance(imgsz, (list, tuple)) else (),
            stride=_int(values.get('stride')), task=str(values.get('task') or ''),
            head=str(values.get('head') or ''), batch=_int(values.get('batch')),
            end2end=values.get('end2end') is True,
            nms=isinstance(args, dict) and args.get('nms') is True,
            kpt_shape=tuple(int(d) for d in kpt_shape)
            if isinstance(kpt_shape, (list, tuple)) else ())

    def output_format(self) -> str:
        """
        Name the decoder the head needs (rtdetr, end2end, segment, pose, yolov8) or ''.

        '' where the file won't say.  NMS embedded on export (``nms=True``) ends in [N, K, 6]
        boxes like an end2end head.
        """
        if self.head == 'RTDETRDecoder':
            return 'rtdetr'
        if self.end2end or self.nms:
            return 'end2end'
        if self.task in ('segment', 'pose'):
            return self.task
        if self.head and self.task == 'detect':
            return 'yolov8'
        return ''

    def resize(self) -> str:
        """How the exporter's own predictor resizes: RT-DETR stretches, YOLO letterboxes."""
        return 'stretch' if self.head == 'RTDETRDecoder' else 'letterbox'


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
