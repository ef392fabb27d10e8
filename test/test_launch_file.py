# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Static checks of launch/detector.launch.py, config/detector.yaml and config/detector.rviz.

launch and launch_ros cannot be installed here, so the launch file is parsed, not run: every
parameter it sets must be one the node declares, every argument it reads must be declared,
every file it references must exist and be installed by setup.py.
"""

import ast
import glob
import os

import pytest
from ros_imports import ros_imports

yaml = pytest.importorskip('yaml')
with ros_imports():
    import rcl_interfaces.msg  # noqa: F401 (trt_perception.ros.parameters needs it)

from trt_perception.ros.camera_stream import output_prefix  # noqa: E402
from trt_perception.ros.parameters import DETECTOR_PARAMETERS  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCH = os.path.join(ROOT, 'launch', 'detector.launch.py')
SPECS = {spec.name: spec for spec in DETECTOR_PARAMETERS}


@pytest.fixture(scope='module')
def tree():
    with open(LAUNCH, encoding='utf-8') as stream:
        return ast.parse(stream.read(), LAUNCH)


def _calls(tree, name):
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, 'id', getattr(node.func, 'attr', None)) == name]


def _keyword(call, name):
    return next(k.value for k in call.keywords if k.arg == name)


def _string_args(call):
    return [a.value for a in call.args if isinstance(a, ast.Constant)]


def _assigned(tree, name):
    """Return the value assigned to variable `name` in the launch file (one assignment)."""
    (value,) = [node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                and [getattr(target, 'id', None) for target in node.targets] == [name]]
    return value


def _detector_nodes(tree):
    """Return the plain and the managed node's actions, {executable: call}."""
    calls = _calls(tree, 'Node') + _calls(tree, 'LifecycleNode')
    return {ast.literal_eval(_keyword(call, 'executable')): call for call in calls
            if ast.literal_eval(_keyword(call, 'package')) == 'trt_perception'}


def test_arguments_read_are_declared(tree):
    declared = {_string_args(call)[0] for call in _calls(tree, 'DeclareLaunchArgument')}
    used = {_string_args(call)[0] for call in _calls(tree, 'LaunchConfiguration')}
    assert used == declared
    assert {'params_file', 'image', 'namespace', 'backend', 'model', 'rviz', 'lifecycle',
            'autostart'} <= declared


def test_node_parameters_are_declared_by_the_node(tree):
    nodes = _detector_nodes(tree)
    assert set(nodes) == {'detector_node', 'lifecycle_detector_node'}
    for call in nodes.values():
        # Both run with the same parameters and remappings, under the same name.
        assert getattr(_keyword(call, 'parameters'), 'id', None) == 'parameters'
        assert getattr(_keyword(call, 'remappings'), 'id', None) == 'remappings'
        assert ast.literal_eval(_keyword(call, 'name')) == 'detector_node'
    parameters = _assigned(tree, 'parameters')
    overrides = [element for element in parameters.elts if isinstance(element, ast.Dict)]
    keys = {ast.literal_eval(key) for d in overrides for key in d.keys}
    assert keys and keys <= set(SPECS) and 'autostart' in keys
    for d in overrides:
        for key, value in zip(d.keys, d.values):
            # Launch substitutions are strings: each override goes through ParameterValue
            # with the parameter's own type.
            assert value.func.id == 'ParameterValue'
            value_type = _keyword(value, 'value_type').id
            default = SPECS[ast.literal_eval(key)].default
            assert value_type == type(default).__name__
    remappings = _assigned(tree, 'remappings').elts
    remapped = {ast.literal_eval(pair.elts[0]) for pair in remappings}
    assert remapped == {'image', 'image/compressed'}


def test_lifecycle_argument_picks_exactly_one_node(tree):
    nodes = _detector_nodes(tree)
    conditions = {executable: (_keyword(call, 'condition').func.id,
                               _keyword(call, 'condition').args[0].id)
                  for executable, call in nodes.items()}
    assert conditions == {'detector_node': ('UnlessCondition', 'lifecycle'),
                          'lifecycle_detector_node': ('IfCondition', 'lifecycle')}
    assert ast.literal_eval(_assigned(tree, 'lifecycle').args[0]) == 'lifecycle'


def test_executables_are_console_scripts(tree):
    with open(os.path.join(ROOT, 'setup.py'), encoding='utf-8') as stream:
        setup = stream.read()
    for executable in _detector_nodes(tree):
        assert "'%s = trt_perception." % executable in setup


def test_referenced_files_exist_and_are_installed(tree):
    joins = [call for call in _calls(tree, 'join')
             if isinstance(call.args[0], ast.Name) and call.args[0].id == 'share']
    referenced = [os.path.join(*(ast.literal_eval(a) for a in call.args[1:])) for call in joins]
    assert sorted(referenced) == ['config/detector.rviz', 'config/detector.yaml']
    with open(os.path.join(ROOT, 'setup.py'), encoding='utf-8') as stream:
        setup = stream.read()
    assert "_files('config/*')" in setup and "_files('launch/*.py')" in setup
    for path in referenced:
        assert os.path.isfile(os.path.join(ROOT, path))
        assert os.path.join(ROOT, path) in glob.glob(os.path.join(ROOT, 'config', '*'))


def _flatten(tree, prefix=''):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _flatten(value, prefix + key + '.')
        else:
            yield prefix + key, value


def test_params_file_sets_every_parameter_with_its_type_and_default():
    with open(os.path.join(ROOT, 'config', 'detector.yaml'), encoding='utf-8') as stream:
        document = yaml.safe_load(stream)
    values = dict(_flatten(document['/**']['ros__parameters']))
    assert set(values) == set(SPECS)
    for name, value in values.items():
        spec = SPECS[name]
        assert type(value) is type(spec.default), name
        assert value == spec.default, name


def test_rviz_shows_the_debug_image_of_the_default_camera():
    with open(os.path.join(ROOT, 'config', 'detector.rviz'), encoding='utf-8') as stream:
        config = yaml.safe_load(stream)
    displays = config['Visualization Manager']['Displays']
    images = [d for d in displays if d['Class'] == 'rviz_default_plugins/Image']
    default_topic = SPECS['image_topics'].default[0]
    assert [d['Topic']['Value'] for d in images] == [
        output_prefix(default_topic) + '/debug_image']
