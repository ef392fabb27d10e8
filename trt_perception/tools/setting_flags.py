# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Command-line flags generated from settings schemas, and their values read back by name.

``--max-batch`` for ``max_batch``, ``--triton-url`` for ``triton.url``: each flag has the
setting's type, default, choices and documentation; a number out of range is refused by the
schema when the settings are built.  A false-by-default switch is ``--name``; a true-by-default
one is ``--no-name``.
"""

import argparse
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

from trt_perception.core.schema import Described, SchemaEntry, settings_of_all


def flag_of(name: str) -> str:
    """Return the flag of setting `name`: 'triton.model_version' -> '--triton-model-version'."""
    return '--' + name.replace('.', '-').replace('_', '-')


FLAG_ALIASES = {'conf_threshold': ('--conf',), 'iou_threshold': ('--iou',),
                'max_detections': ('--max-det',), 'engine_cache_dir': ('--engine-cache',)}
"""Flags the offline tools had before they were generated, kept for scripts that use them."""

NOT_OFFLINE = ('serve_while_building',)
"""Settings the offline tools do not offer: they wait for a TensorRT engine, having no ONNX
Runtime pipeline to serve with meanwhile."""


def flag_dest(name: str) -> str:
    """Return where argparse keeps the value of setting `name` (for ``set_defaults``)."""
    return 'setting:' + name


def _dest(described: Described) -> str:
    return flag_dest(described.name)


class _Joined(argparse.Action):
    """Store several words as one comma-separated value."""

    def __call__(self, parser, namespace, values, option_string=None):
        """Join the words given to the flag."""
        setattr(namespace, self.dest, ','.join(values))


def add_setting_flags(parser: 'argparse._ActionsContainer', entries: Sequence[SchemaEntry],
                      aliases: Optional[Mapping[str, Tuple[str, ...]]] = None,
                      skip: Sequence[str] = (), joined: Sequence[str] = ()) -> None:
    """
    Add one flag per setting of `entries` (prefix, schema) to `parser`, in order.

    `aliases` gives a setting's other flags (kept from before the flags were generated);
    settings named in `skip` get none; a text setting named in `joined` takes several words,
    joined with commas (``--classes 0 2`` is ``classes: "0,2"``).
    """
    aliases = aliases or {}
    for described in settings_of_all(entries):
        if described.name in skip:
            continue
        info = described.info
        help_text = info.doc.replace('%', '%%')
        allowed = info.constraints()
        if allowed and not info.choices:
            help_text += ' (%s)' % allowed
        names = [flag_of(described.name)] + list(aliases.get(described.name, ()))
        dest = _dest(described)
        python_type = described.python_type
        if python_type is bool:
            if described.default:
                names = ['--no-' + name[2:] for name in names]
            parser.add_argument(*names, dest=dest, action='store_false' if described.default
                                else 'store_true', default=described.default, help=help_text)
        elif described.name in joined:
            parser.add_argument(*names, dest=dest, nargs='+', action=_Joined, metavar='WORD',
                                default=described.default, help=help_text)
        elif python_type is tuple:
            parser.add_argument(*names, dest=dest, nargs='*', default=described.default,
                                help=help_text + ' (default: %s)' % ' '.join(described.default))
        else:
            parser.add_argument(*names, dest=dest, type=python_type, default=described.default,
                                choices=info.choices or None, metavar=None if info.choices
                                else described.type_name.upper().replace(' ', '_'),
                                help=help_text + (' (default: %(default)s)'
                                                  if described.default != '' else ''))


def setting_values(args: argparse.Namespace, entries: Sequence[SchemaEntry]) -> Dict[str, Any]:
    """Return the values of the flags `add_setting_flags` added, keyed by setting name."""
    found = vars(args)
    return {described.name: found[_dest(described)] for described in settings_of_all(entries)
            if _dest(described) in found}
