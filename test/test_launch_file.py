# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Static checks of launch/detector.launch.py, config/detector.yaml and config/detector.rviz.

launch and launch_ros cannot be installed here, so the launch file is parsed, and run with
small stand-ins for the launch classes it uses (they record what they are given): every
parameter it sets must be one the node declares, every argument it reads must be declared,
every file it references must exist and be installed by setup.py, and a params file's
`backend` and `model` win unless the user passes those arguments.
"""

import ast
import glob
import importlib.util
import os
import sys
import types

import pytest
from ros_imports import ros_imports

yaml = pytest.importorskip('yaml')
with ros_imports():
    import rcl_interfaces.msg  # noqa: F401 (trt_perception.ros.parameters needs it)

from trt_perception.ros.camera_stream import output_prefix  # noqa: E402
from trt_perception.ros.launch_arguments import OVERRIDES, parameter_overrides  # noqa: E402
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


class Recorded:
    """Stands in for a launch class: keeps its arguments."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


class LaunchConfiguration(Recorded):
    """Substitutes the argument's value from the launch context (a dict here)."""

    def perform(self, context):
        return context[self.args[0]]


@pytest.fixture
def launch_file(monkeypatch):
    """Import the launch file with the stand-ins for launch and launch_ros."""
    modules = {
        'launch': {'LaunchDescription': lambda actions: actions},
        'launch.actions': {'DeclareLaunchArgument': Recorded, 'OpaqueFunction': Recorded},
        'launch.conditions': {'IfCondition': Recorded, 'UnlessCondition': Recorded},
        'launch.substitutions': {'LaunchConfiguration': LaunchConfiguration},
        'launch_ros': {},
        'launch_ros.actions': {'Node': Recorded, 'LifecycleNode': Recorded},
    }
    for name, members in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(members)
        monkeypatch.setitem(sys.modules, name, module)
    spec = importlib.util.spec_from_file_location('detector_launch', LAUNCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _launch(launch_file, **given):
    """Run the launch file as `ros2 launch ... name:=value` would; return the node actions."""
    actions = launch_file.generate_launch_description()
    arguments = {a.args[0]: a for a in actions if isinstance(a, Recorded) and 'default_value'
                 in a.kwargs}
    context = {name: a.kwargs['default_value'] for name, a in arguments.items()}
    unknown = set(given) - set(context)
    assert not unknown, 'not declared: %s' % unknown
    context.update(given)
    (opaque,) = [a for a in actions if 'function' in a.kwargs]
    return arguments, opaque.kwargs['function'](context)


def _resolve(parameters, node_name='detector_node'):
    """Return the values the node starts with: files then dicts, the later winning."""
    values = {}
    for source in parameters:
        if isinstance(source, dict):
            values.update(source)
            continue
        with open(source, encoding='utf-8') as stream:
            document = yaml.safe_load(stream)
        for key in ('/**', node_name, '/' + node_name):
            values.update(dict(_flatten(document.get(key, {}).get('ros__parameters', {}))))
    return values


def test_arguments_read_are_declared(tree, launch_file):
    declared = {_string_args(call)[0] for call in _calls(tree, 'DeclareLaunchArgument')}
    used = {_string_args(call)[0] for call in _calls(tree, 'LaunchConfiguration')
            if _string_args(call)}
    assert used | {name for name, _ in OVERRIDES} == declared
    assert {'params_file', 'image', 'namespace', 'backend', 'model', 'rviz', 'lifecycle',
            'autostart'} <= declared
    arguments, _ = _launch(launch_file)
    assert 'triton' in arguments['backend'].kwargs['description']


def test_node_parameters_are_declared_by_the_node(tree, launch_file):
    nodes = _detector_nodes(tree)
    assert set(nodes) == {'detector_node', 'lifecycle_detector_node'}
    _, actions = _launch(launch_file, backend='tensorrt', model='m.onnx', autostart='false')
    for action in actions:
        # Both run with the same parameters and remappings, under the same name.
        assert action.kwargs['name'] == 'detector_node'
        params_file, overrides = action.kwargs['parameters']
        assert overrides == {'backend': 'tensorrt', 'model': 'm.onnx', 'autostart': False}
        remapped = {source for source, _ in action.kwargs['remappings']}
        assert remapped == {'image', 'image/compressed'}
    for name, kind in OVERRIDES:
        # Launch arguments are text: each is turned into the parameter's own type.
        assert name in SPECS and kind is type(SPECS[name].default), name


def test_a_params_file_backend_and_model_win_unless_passed(launch_file, tmp_path):
    user_file = tmp_path / 'mine.yaml'
    user_file.write_text(yaml.safe_dump({'/**': {'ros__parameters': {
        'backend': 'triton', 'model': '/engines/x.plan'}}}))
    _, actions = _launch(launch_file, params_file=str(user_file))
    for action in actions:
        values = _resolve(action.kwargs['parameters'])
        assert (values['backend'], values['model']) == ('triton', '/engines/x.plan')
    _, actions = _launch(launch_file, params_file=str(user_file), backend='onnxruntime')
    values = _resolve(actions[0].kwargs['parameters'])
    assert (values['backend'], values['model']) == ('onnxruntime', '/engines/x.plan')


def test_only_given_arguments_become_parameters():
    assert parameter_overrides({'backend': '', 'model': ' ', 'autostart': 'True'}) == {
        'autostart': True}
    with pytest.raises(ValueError, match="autostart:='yes' must be true or false"):
        parameter_overrides({'autostart': 'yes'})


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
