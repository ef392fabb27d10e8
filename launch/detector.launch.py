# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Launch detector_node (and optionally rviz2 showing its debug image).

    ros2 launch trt_perception detector.launch.py image:=/camera/image_raw namespace:=front \
        backend:=auto model:=/path/to/model.onnx rviz:=true

With ``lifecycle:=true`` the node is lifecycle_detector_node, a managed node (Humble and
later) that configures and activates itself when ``autostart:=true`` (the default there) and
otherwise waits for lifecycle transitions (``ros2 lifecycle set /detector_node configure``).

`image` is remapped onto the node's ``image`` input (and ``image/compressed``); outputs are
``<namespace>/detections``, ``<namespace>/detections/debug_image`` and
``<namespace>/detections/timing``.  Everything else comes from ``params_file``, and so do
``backend`` and ``model`` unless they are passed here: only arguments given on the command
line override the file (`trt_perception.ros.launch_arguments`).
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.conditions import IfCondition, UnlessCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import LifecycleNode, Node
from trt_perception.assembly import BACKENDS
from trt_perception.ros.launch_arguments import OVERRIDES, parameter_overrides


def detector_nodes(context):
    """Return the plain and the managed node, parameters from the file then given arguments."""
    given = {name: LaunchConfiguration(name).perform(context) for name, _ in OVERRIDES}
    parameters = [LaunchConfiguration('params_file').perform(context),
                  parameter_overrides(given)]
    image = LaunchConfiguration('image')
    namespace = LaunchConfiguration('namespace')
    lifecycle = LaunchConfiguration('lifecycle')
    remappings = [('image', image), ('image/compressed', [image, '/compressed'])]
    return [
        Node(
            package='trt_perception', executable='detector_node', name='detector_node',
            namespace=namespace, output='screen', parameters=parameters,
            remappings=remappings, condition=UnlessCondition(lifecycle)),
        LifecycleNode(
            package='trt_perception', executable='lifecycle_detector_node',
            name='detector_node', namespace=namespace, output='screen', parameters=parameters,
            remappings=remappings, condition=IfCondition(lifecycle)),
    ]


def generate_launch_description():
    """Declare the arguments, the detector node and rviz2."""
    share = get_package_share_directory('trt_perception')
    return LaunchDescription([
        DeclareLaunchArgument(
            'params_file', default_value=os.path.join(share, 'config', 'detector.yaml'),
            description='detector_node parameters (a ros__parameters YAML file)'),
        DeclareLaunchArgument('image', default_value='image',
                              description='camera image topic to detect on'),
        DeclareLaunchArgument('namespace', default_value='',
                              description='namespace of the node and its outputs'),
        DeclareLaunchArgument('backend', default_value='',
                              description="%s; empty: the params file's backend"
                                          % ', '.join(BACKENDS)),
        DeclareLaunchArgument('model', default_value='',
                              description='.onnx/.engine path or bundled model name; '
                                          "empty: the params file's model"),
        DeclareLaunchArgument('rviz', default_value='false',
                              description='also start rviz2 showing the debug image'),
        DeclareLaunchArgument('lifecycle', default_value='false',
                              description='run the managed (lifecycle) node; Humble or later'),
        DeclareLaunchArgument('autostart', default_value='true',
                              description='lifecycle:=true only: configure and activate at '
                                          'start; false waits for lifecycle transitions'),
        OpaqueFunction(function=detector_nodes),
        Node(
            package='rviz2', executable='rviz2', name='rviz2',
            namespace=LaunchConfiguration('namespace'),
            arguments=['-d', os.path.join(share, 'config', 'detector.rviz')],
            condition=IfCondition(LaunchConfiguration('rviz'))),
    ])
