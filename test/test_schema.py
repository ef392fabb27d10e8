# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The settings schema: a field declared once carries its type, bounds and documentation."""

from dataclasses import dataclass, field, FrozenInstanceError

import numpy as np
import pytest

from trt_perception.core.schema import check, setting, Settings, settings_of


@dataclass(frozen=True)
class Example(Settings):
    """A throwaway settings class."""

    ratio: float = setting(0.5, 'A fraction.', low=0.0, high=1.0, runtime=True)
    count: int = setting(3, 'At least one.', low=1)
    mode: str = setting('fast', 'A choice.', choices=('fast', 'exact'))
    topics: tuple = setting(('image',), 'Names.', name='image_topics')
    flag: bool = setting(False, 'A switch.')
    plain: int = field(default=7)


def test_settings_are_listed_in_order_with_outside_names():
    described = settings_of(Example, prefix='x.')
    assert [d.name for d in described] == ['x.ratio', 'x.count', 'x.mode', 'x.image_topics',
                                           'x.flag']
    assert [d.type_name for d in described] == ['double', 'integer', 'string', 'string array',
                                                'bool']
    assert described[0].info.runtime and not described[1].info.runtime
    assert described[0].info.constraints() == '0 to 1'
    assert described[1].info.constraints() == 'at least 1'


def test_values_are_coerced_once_on_creation():
    made = Example(ratio=1, count=np.int64(4), topics=['a', 'b'], flag=np.bool_(True))
    assert made.ratio == 1.0 and isinstance(made.ratio, float)
    assert made.count == 4 and type(made.count) is int
    assert made.topics == ('a', 'b') and made.flag is True
    with pytest.raises(FrozenInstanceError):
        made.ratio = 0.1


@pytest.mark.parametrize('changes, message', [
    ({'ratio': 1.5}, 'ratio=1.5 is out of range; use 0 to 1'),
    ({'ratio': True}, 'ratio=True has type bool; ratio takes a double (0 to 1)'),
    ({'ratio': float('nan')}, 'must be a finite number'),
    ({'count': 0}, 'count=0 is out of range; use at least 1'),
    ({'count': 2.0}, 'count takes an integer'),
    ({'mode': 'slow'}, "mode='slow' is not allowed; use one of: fast, exact"),
    ({'topics': ('a', 3)}, 'image_topics takes a string array'),
])
def test_a_bad_value_is_refused_naming_the_setting(changes, message):
    with pytest.raises(ValueError, match=message.replace('(', r'\(').replace(')', r'\)')):
        Example(**changes)


def test_declaring_a_bad_default_fails_where_it_is_declared():
    with pytest.raises(ValueError, match='not one of'):
        setting('other', 'x', choices=('a', 'b'))
    with pytest.raises(TypeError, match='dict'):
        setting({}, 'x')


def test_check_uses_the_outside_name():
    described = settings_of(Example)[3]
    with pytest.raises(ValueError, match='^image_topics='):
        check(described, 'not a list')


def test_entries_list_every_setting_with_its_prefix_and_refuse_a_name_twice():
    from trt_perception.core.schema import settings_of_all
    names = [d.name for d in settings_of_all([('', Example), ('stage.', Example)])]
    assert names[:2] == ['ratio', 'count'] and names[5:7] == ['stage.ratio', 'stage.count']
    with pytest.raises(ValueError,
                       match='settings count, flag, image_topics, mode, ratio are declared twice'):
        settings_of_all([('', Example), ('', Example)])


def test_from_values_takes_outside_names_and_keeps_defaults():
    from trt_perception.core.schema import from_values
    made = from_values(Example, {'x.ratio': 0.75, 'x.image_topics': ['a'], 'other': 1}, 'x.',
                       plain=9)
    assert (made.ratio, made.topics, made.count, made.plain) == (0.75, ('a',), 3, 9)
    with pytest.raises(ValueError, match='ratio=2.0 is out of range'):
        from_values(Example, {'ratio': 2.0})
