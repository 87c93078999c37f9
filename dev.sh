#!/usr/bin/env bash
# One entry point for a fresh machine:  ./dev.sh demo   (set up, then start the app on the embedded demo)
#                                       ./dev.sh test   (set up, then run the whole test suite)
# Set-up is idempotent and skips what is already there. Extra arguments go to the app / to pytest.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
VENV=${SM_STUDIO_VENV:-$ROOT/.venv}
# System libraries: Qt's xcb/EGL plug-in needs, EGL + Mesa (llvmpipe) for offscreen pyrender, Xvfb for the
# screenshot script, assimp-utils as an independent FBX reader in the tests.
APT_PACKAGES="libegl1 libgl1 libgl1-mesa-dri libegl-mesa0 libglx-mesa0 libxkbcommon0 libxkbcommon-x11-0
libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0
libxcb-image0 libfontconfig1 libdbus-1-3 xvfb xauth assimp-utils"

install_system() {
    local missing=()
    for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return
    echo "Installing system packages: ${missing[*]}"
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install_python() {
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    local stamp="$VENV/.sm-studio-installed" want
    want=$(cat pyproject.toml | sha1sum | cut -d' ' -f1)
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return
    # torch first, alone, so nothing later resolves the CUDA build. TORCH_PIP_ARGS can name a CUDA index.
    "$VENV/bin/pip" install -q ${TORCH_PIP_ARGS:-} "torch==2.13.0"
    "$VENV/bin/pip" install -q -e ".[test,pose]"
    # BlazePose runtime without its opencv-contrib dependency (see the `pose` extra in pyproject.toml)
    "$VENV/bin/pip" install -q --no-deps "mediapipe==1.2.3"
    echo "$want" > "$stamp"
}

# Readers we did not write, used by the export tests: Blender (bpy needs numpy < 2, so it lives in its own venv
# and runs as a subprocess) and the Khronos glTF validator (npm).
install_test_readers() {
    if [ ! -f "$ROOT/.venv-blender/.bpy-installed" ]; then
        python3 -m venv "$ROOT/.venv-blender"
        "$ROOT/.venv-blender/bin/pip" install -q "bpy==5.0.1" && touch "$ROOT/.venv-blender/.bpy-installed"
    fi
    if [ ! -d "$VENV/node/node_modules/gltf-validator" ]; then
        command -v npm >/dev/null || APT_PACKAGES="nodejs npm" install_system
        npm install --silent --prefix "$VENV/node" gltf-validator@2.0.0-dev.3.10 >/dev/null
    fi
}

cmd=${1:-}; shift || true
case "$cmd" in
    demo)
        install_system; install_python
        exec "$VENV/bin/sm-studio" demo "$@" ;;
    test)
        install_system; install_python; install_test_readers
        export QT_QPA_PLATFORM=offscreen PYOPENGL_PLATFORM=egl
        exec "$VENV/bin/python" -m pytest -q "$@" ;;
    *)
        echo "usage: ./dev.sh demo [app args] | ./dev.sh test [pytest args]" >&2; exit 2 ;;
esac
