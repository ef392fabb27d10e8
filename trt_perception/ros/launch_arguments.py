# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The launch file's node-parameter arguments, turned into parameters only when given.

ROS applies a node's parameter sources in order, the later winning, so a launch argument that
always became a parameter would silently replace the params file's value with the argument's
default.  `backend` and `model` therefore default to '' (not given) and override the params
file only when the user passes them; `autostart` is the launch file's own switch and always
applies.  Imports no rclpy: the launch file and the tests use it as it is.
"""

from typing import Dict, Mapping, Tuple, Union

OVERRIDES: Tuple[Tuple[str, type], ...] = (('backend', str), ('model', str),
                                           ('autostart', bool))
"""Launch arguments that set the node parameter of the same name, with its type."""

ParameterValue = Union[str, bool]


def parameter_overrides(given: Mapping[str, str]) -> Dict[str, ParameterValue]:
    """
    Return {parameter: typed value} for the `OVERRIDES` arguments given a non-empty value.

    `given` maps argument names to their text, as launch substitutes it; raises ValueError
    naming the argument for a boolean that is neither true nor false.
    """
    overrides: Dict[str, ParameterValue] = {}
    for name, kind in OVERRIDES:
        text = given.get(name, '').strip()
        if not text:
            continue
        if kind is bool:
            if text.lower() not in ('true', 'false'):
                raise ValueError('launch argument %s:=%r must be true or false'
                                 % (name, text))
            overrides[name] = text.lower() == 'true'
        else:
            overrides[name] = text
    return overrides
