# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Settings described once, as dataclass fields.

A field made by `setting` carries its default, bounds, documentation and whether it may change
while the detector runs.  A settings class is a frozen dataclass whose fields are made with
`setting`, and which calls `validate` in its ``__post_init__`` (or inherits `Settings`, which
does).  Everything that needs to know a setting (the ROS parameter table, the ``detect``
flags, the generated docs and the commented YAML) reads `settings_of`; no bound is written a
second time.  Imports nothing of ROS.
"""

from dataclasses import dataclass, field, fields
import math
import numbers
from typing import Any, List, Optional, Tuple

import numpy as np

_KINDS = (
    (bool, 'bool'),
    (int, 'integer'),
    (float, 'double'),
    (str, 'string'),
    (tuple, 'string array'),
)


@dataclass(frozen=True)
class SettingInfo:
    """What `setting` records about one field (kept in the field's metadata)."""

    doc: str
    low: Optional[float] = None
    high: Optional[float] = None
    choices: Tuple[str, ...] = ()
    runtime: bool = False
    """May change while the detector runs (``ros2 param set``)."""
    name: str = ''
    """The parameter's outside name where it differs from the field's ('triton.url')."""

    def constraints(self) -> str:
        """Human-readable allowed values ('' when any value of the type goes)."""
        if self.choices:
            return 'one of: ' + ', '.join(self.choices)
        if self.low is not None and self.high is not None:
            return '%s to %s' % (_number(self.low), _number(self.high))
        if self.low is not None:
            return 'at least %s' % _number(self.low)
        return ''


def _number(value: float) -> str:
    return '%d' % value if value == int(value) else '%g' % value


_METADATA_KEY = 'trt_perception.setting'


def setting(default: Any, doc: str, low: Optional[float] = None,
            high: Optional[float] = None, choices: Tuple[str, ...] = (),
            runtime: bool = False, name: str = '') -> Any:
    """
    Declare one setting as a dataclass field.

    The setting's type is the type of `default` (a tuple means a list of strings).  `low` and
    `high` bound a number (both inclusive), `choices` a string; `runtime` marks it changeable
    while the detector runs; `name` is its outside name where that differs from the field's.
    """
    info = SettingInfo(doc=doc, low=low, high=high, choices=tuple(choices), runtime=runtime,
                       name=name)
    kind_of(default)  # refuse an unsupported type where it is declared
    if choices and default not in choices:
        raise ValueError('default %r is not one of %s' % (default, ', '.join(choices)))
    return field(default=default, metadata={_METADATA_KEY: info})


def info_of(item) -> Optional[SettingInfo]:
    """Return the `SettingInfo` of a dataclass field (None for a field not made by `setting`)."""
    return item.metadata.get(_METADATA_KEY)


@dataclass(frozen=True)
class Described:
    """One setting of a settings class: its field name, outside name, default and info."""

    attribute: str
    name: str
    default: Any
    info: SettingInfo

    @property
    def python_type(self) -> type:
        """bool, int, float, str or tuple."""
        return kind_of(self.default)[0]

    @property
    def type_name(self) -> str:
        """Type as the docs write it ('double', 'string array', ...)."""
        return kind_of(self.default)[1]


def settings_of(cls, prefix: str = '') -> List[Described]:
    """Every `setting` field of dataclass `cls`, in declaration order; `prefix` names them."""
    found = []
    for item in fields(cls):
        info = info_of(item)
        if info is not None:
            found.append(Described(item.name, prefix + (info.name or item.name), item.default,
                                   info))
    return found


def kind_of(value: Any) -> Tuple[type, str]:
    """(python type, docs name) of a setting's default; TypeError for anything else."""
    # bool first: it is a subclass of int.
    for python_type, name in _KINDS:
        if isinstance(value, python_type):
            return python_type, name
    raise TypeError('a setting cannot have a default of type %s' % type(value).__name__)


def check(described: Described, value: Any) -> Any:
    """
    Return `value` as the setting's type if it is allowed, else raise ValueError naming it.

    A whole number is taken where a double is wanted (as float); numpy scalars are taken as
    the Python number they hold; a list is taken where a string array is wanted (as tuple).
    """
    python_type = described.python_type
    info = described.info
    allowed = info.constraints()
    if python_type is tuple and isinstance(value, list):
        value = tuple(value)
    if python_type is float:
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    elif python_type is int:
        ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    elif python_type is bool:
        ok = isinstance(value, (bool, np.bool_))
    elif python_type is tuple:
        ok = isinstance(value, tuple) and all(isinstance(v, str) for v in value)
    else:
        ok = isinstance(value, str)
    if not ok:
        raise ValueError('%s=%r has type %s; %s takes %s%s' % (
            described.name, value, type(value).__name__, described.name,
            _with_article(described.type_name), ' (%s)' % allowed if allowed else ''))
    if python_type is float:
        value = float(value)
        if not math.isfinite(value):
            raise ValueError('%s=%r must be a finite number' % (described.name, value))
    elif python_type is int:
        value = int(value)
    elif python_type is bool:
        value = bool(value)
    if info.choices and value not in info.choices:
        raise ValueError('%s=%r is not allowed; use %s' % (described.name, value, allowed))
    if (info.low is not None and value < info.low) or (
            info.high is not None and value > info.high):
        raise ValueError('%s=%r is out of range; use %s' % (described.name, value, allowed))
    return value


def _with_article(type_name: str) -> str:
    return ('an ' if type_name[0] in 'aeiou' else 'a ') + type_name


def validate(instance, prefix: str = '') -> None:
    """Check every `setting` field of a (frozen) dataclass instance, storing coerced values."""
    for described in settings_of(type(instance), prefix):
        value = check(described, getattr(instance, described.attribute))
        object.__setattr__(instance, described.attribute, value)


class Settings:
    """Mixin for frozen settings dataclasses: validates every `setting` field on creation."""

    def __post_init__(self) -> None:
        """Check and coerce each setting; ValueError names the offending one."""
        validate(self)

