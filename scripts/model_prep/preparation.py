# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
What every prepared model has in common: its card, the up-to-date check and the writing.

Each model is described by ``<models_dir>/<name>.json`` (read by `trt_perception.core.models`);
a model whose ONNX file and sources match the hashes recorded there is left alone.
"""

import abc
from dataclasses import dataclass
import json
import os
from pathlib import Path
import tempfile
import time
from typing import Dict, List, Tuple

import onnx

from trt_perception.core.models import file_sha256

from .packaged_file import PackagedFile

CONVERTER_VERSION = 2
"""Bump when a translation changes, so that setup rebuilds models made by an older one."""


@dataclass(frozen=True)
class Preparation(abc.ABC):
    """One model to prepare: its name, its sources and the card fields that describe it."""

    name: str
    sources: Tuple[PackagedFile, ...]
    licence: str
    labels: str
    description: str

    def card_path(self, models_dir: Path) -> Path:
        """Where the model's JSON card goes."""
        return models_dir / (self.name + '.json')

    def onnx_path(self, models_dir: Path) -> Path:
        """Where the model's ONNX file goes."""
        return models_dir / (self.name + '.onnx')

    def source_record(self) -> List[Dict[str, str]]:
        """Return the card's record of where the weights came from."""
        return [{'package': s.distribution, 'version': s.version, 'file': s.member,
                 'sha256': s.sha256} for s in self.sources]

    def up_to_date(self, models_dir: Path) -> bool:
        """Tell whether the ONNX file and card exist and match this preparation and each other."""
        card_path, onnx_path = self.card_path(models_dir), self.onnx_path(models_dir)
        if not (card_path.is_file() and onnx_path.is_file()):
            return False
        try:
            card = json.loads(card_path.read_text())
        except ValueError:
            return False
        return (card.get('converter_version') == CONVERTER_VERSION
                and card.get('source') == self.source_record()
                and card.get('sha256') == file_sha256(onnx_path))

    def missing(self) -> str:
        """Return what building needs but is not installed, or '' when nothing is missing."""
        return ''

    @abc.abstractmethod
    def build(self, work_dir: Path) -> Tuple[onnx.ModelProto, Dict[str, object]]:
        """Return the ONNX model and the card fields that depend on it."""


def prepare(preparation: Preparation, models_dir: Path, force: bool) -> str:
    """Build one model unless it is up to date; return what happened."""
    if not force and preparation.up_to_date(models_dir):
        return 'up to date'
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix='prepare_models_') as work:
        model, fields = preparation.build(Path(work))
    onnx.checker.check_model(model)
    models_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = preparation.onnx_path(models_dir)
    partial = onnx_path.with_suffix('.onnx.partial')
    onnx.save(model, str(partial))
    os.replace(str(partial), str(onnx_path))
    card = {
        'name': preparation.name,
        'file': onnx_path.name,
        'sha256': file_sha256(onnx_path),
        'description': preparation.description,
        'source': preparation.source_record(),
        'licence': preparation.licence,
        'labels': preparation.labels,
        'converter_version': CONVERTER_VERSION,
    }
    card.update(fields)
    preparation.card_path(models_dir).write_text(json.dumps(card, indent=2) + '\n')
    return 'built in %.1f s (%.1f MB)' % (
        time.monotonic() - started, onnx_path.stat().st_size / 1e6)
