"""The ONNX Runtime embedder: pooling, agreement with sentence-transformers, the export cache,
a query path without torch, and one clear line when a model cannot be exported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.embed import make_embedder
from index.errors import EmbedderUnavailable
from index.onnx_embed import OnnxEmbedder, pool

TEXTS = [
    "Ferry",
    "The harbour ferry to the island resumed sailing on Monday after two weeks of repairs.",
    "Parliament passed the budget late on Thursday, after a night of amendments to the "
    "health and education chapters that the opposition had fought line by line. " * 3,
]


def test_mean_pooling_ignores_padding_and_normalises():
    hidden = np.array([[[1.0, 0.0], [3.0, 0.0], [99.0, 99.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]])
    out = pool(hidden, mask, "mean")
    assert np.allclose(out, [[1.0, 0.0]])  # mean of the two real tokens, then unit length


def test_cls_pooling_takes_the_first_token():
    hidden = np.array([[[0.0, 2.0], [5.0, 0.0]]], dtype=np.float32)
    assert np.allclose(pool(hidden, np.array([[1, 1]]), "cls"), [[0.0, 1.0]])


@pytest.fixture(scope="module")
def torch_minilm():
    return make_embedder("all-MiniLM-L6-v2", backend="torch")


@pytest.mark.slow
def test_fp32_onnx_gives_the_torch_vectors(model_cache: Path, torch_minilm):
    onnx = make_embedder("all-MiniLM-L6-v2", backend="onnx", cache_dir=model_cache)
    assert onnx.name == torch_minilm.name  # interchangeable: one index serves both
    # Texts of very different lengths in one batch: padding must not change a vector.
    assert np.abs(onnx.embed(TEXTS) - torch_minilm.embed(TEXTS)).max() < 1e-4


@pytest.mark.slow
def test_int8_stays_close_to_torch_and_keeps_the_ranking(minilm, torch_minilm):
    assert minilm.name == "all-MiniLM-L6-v2+int8"  # the default backend
    int8, ref = minilm.embed(TEXTS), torch_minilm.embed(TEXTS)
    assert (int8 * ref).sum(axis=1).min() > 0.97
    query = minilm.embed(["when did the island ferry start sailing again?"])[0]
    assert int(np.argmax(int8 @ query)) == 1


@pytest.mark.slow
def test_the_export_is_cached_and_the_query_path_never_imports_torch(minilm, model_cache: Path):
    exported = minilm.model_file
    assert exported.is_file() and exported.is_relative_to(model_cache)
    stamp = exported.stat().st_mtime_ns
    probe = (
        "import sys, json; from pathlib import Path; from index.embed import make_embedder; "
        f"e = make_embedder('all-MiniLM-L6-v2', cache_dir=Path({str(model_cache)!r})); "
        "v = e.embed(['a question']); "
        "print(json.dumps([v.shape[1], 'torch' in sys.modules, 'sentence_transformers' in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [384, False, False]
    assert exported.stat().st_mtime_ns == stamp  # reused, not exported again


def test_a_folder_that_cannot_be_exported_is_one_line_naming_the_setting(tmp_path: Path):
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "no-such-architecture"}')
    (folder / "tokenizer.json").write_text("{}")
    embedder = OnnxEmbedder("broken", str(folder), tmp_path / "cache", int8=True)
    with pytest.raises(EmbedderUnavailable) as err:
        embedder.embed(["text"])
    message = str(err.value)
    assert "NEWSDESK_EMBED_BACKEND=torch" in message and str(folder) in message
    assert "\n" not in message
    assert not embedder.model_file.exists()  # nothing half-written left in the cache


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="onnx-int8"):
        make_embedder("all-MiniLM-L6-v2", backend="tensorrt")


@pytest.mark.slow
def test_a_long_batch_runs_on_spinning_workers_with_the_same_numbers(minilm):
    # A call longer than one batch runs on the session whose idle workers spin (builds), a
    # short one on the session whose workers block (questions); the numbers are the same.
    texts = [f"{t} (copy {i})" for i in range(3) for t in TEXTS] * 4
    assert len(texts) > minilm._batch_size
    minilm.embed(["a question"])
    spun = minilm.embed(texts)
    spinning, blocking = minilm._sessions[True], minilm._sessions[False]
    assert spinning is not blocking
    minilm._sessions[True] = blocking  # the same batches on the blocking session
    try:
        blocked = minilm.embed(texts)
    finally:
        minilm._sessions[True] = spinning
    assert np.array_equal(spun, blocked)
