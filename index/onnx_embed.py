"""A sentence-transformers model (BERT-like, mean or CLS pooling) on ONNX Runtime, without torch.

The ONNX graph is exported from the model folder once, optionally quantised to int8 (dynamic,
per-channel weights), and cached under ``cache_dir``; exporting imports torch and transformers,
every later process loads only onnxruntime and tokenizers (a fraction of a second instead of
the ~6 s sentence-transformers takes to import). Batches are sorted by length so that little
time goes to padding.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import EmbedderUnavailable

logger = logging.getLogger(__name__)

# Bump when the export or quantisation recipe changes: caches of an older recipe are ignored.
# 2: eager attention (faster graph). An index embedded by recipe 1 still serves: the two int8
# recipes' vectors agree more closely (mean cosine 0.998) than either does with fp32's.
EXPORT_RECIPE = 2
OPSET = 17


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class OnnxEmbedder:
    """Embeds with an ONNX export of a sentence-transformers folder; exports on first use."""

    def __init__(
        self,
        name: str,
        model_path: str,
        cache_dir: Path,
        *,
        int8: bool,
        batch_size: int = 16,
        threads: int | None = None,
    ) -> None:
        self.name = name
        self._model_path = Path(model_path)
        self._cache_dir = cache_dir
        self._int8 = int8
        self._batch_size = batch_size
        self._threads = threads or _cpu_count()
        # By whether idle workers spin (see _new_session): each made when first needed, so a
        # serving process holds only the blocking one and a build only the spinning one.
        self._sessions: dict[bool, Any] = {}
        self._loading = threading.Lock()  # the bot's worker threads may all ask at once
        self._tokenizer: Any = None
        self._input_names: frozenset[str] = frozenset()
        self._pooling = "mean"
        self.max_seq_length = 256

    # -- loading -------------------------------------------------------------------------

    @property
    def model_file(self) -> Path:
        """Where the exported graph of this model and recipe lives (exists once exported)."""
        return (
            self._cache_dir
            / self._cache_key()
            / ("model-int8.onnx" if self._int8 else "model.onnx")
        )

    def _cache_key(self) -> str:
        # The folder's config and the weights' sizes identify a model cheaply (no 90 MB hash on
        # every start); the recipe number invalidates exports made by an older newsdesk.
        digest = hashlib.sha256(f"recipe={EXPORT_RECIPE}".encode())
        for path in sorted(self._model_path.iterdir()):
            if path.suffix in {".json", ".txt"} and path.is_file():
                digest.update(path.name.encode() + path.read_bytes())
            elif path.suffix in {".safetensors", ".bin"}:
                digest.update(f"{path.name}:{path.stat().st_size}".encode())
        return f"{self._model_path.name}-{digest.hexdigest()[:16]}"

    def _load(self) -> None:
        if self._tokenizer is not None:
            return
        with self._loading:
            if self._tokenizer is None:
                self._load_locked()

    def _load_locked(self) -> None:
        from tokenizers import Tokenizer

        self._read_config()
        path = self.model_file
        if not path.is_file():
            from index.onnx_export import export

            logger.info("exporting %s to ONNX%s in %s", self.name, " (int8)" * self._int8, path)
            try:
                export(self._model_path, path, int8=self._int8)
            except Exception as exc:  # any export failure is one line naming the setting
                first = (str(exc).strip().splitlines() or [""])[0][:200]
                raise EmbedderUnavailable(
                    f"could not export {self._model_path} to ONNX ({type(exc).__name__}: {first}); "
                    "set NEWSDESK_EMBED_BACKEND=torch to use sentence-transformers"
                ) from exc
        tokenizer = Tokenizer.from_file(str(self._model_path / "tokenizer.json"))
        tokenizer.enable_truncation(self.max_seq_length)
        tokenizer.no_padding()
        self._tokenizer = tokenizer  # last: other threads take a set tokenizer as "loaded"

    def _new_session(self, *, spin: bool) -> Any:
        """An inference session on both cores. Whether idle workers spin is the one difference:
        between the runs of a long batch, spinning workers start the next run at once (a build
        embeds ~15% faster: bench/build_speed.py, 1.26x -> 1.48x LlamaIndex on one day's
        machine); after a question's one short run, a spinning worker holds the core the rest
        of the question needs (warm ask p50 ~45% lower with blocking workers). Same numbers
        either way."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # warnings about unused initialisers are noise
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
        return ort.InferenceSession(
            str(self.model_file), options, providers=["CPUExecutionProvider"]
        )

    def _session_for(self, n_texts: int) -> Any:
        """The blocking session for a call of one batch or less (a question), else the
        spinning one (a build)."""
        spin = n_texts > self._batch_size
        session = self._sessions.get(spin)
        if session is None:
            with self._loading:
                session = self._sessions.get(spin)
                if session is None:
                    session = self._new_session(spin=spin)
                    self._input_names = frozenset(i.name for i in session.get_inputs())
                    self._sessions[spin] = session
        return session

    def _read_config(self) -> None:
        """Pooling and sequence length from the sentence-transformers files of the folder."""
        st_config = self._model_path / "sentence_bert_config.json"
        if st_config.is_file():
            self.max_seq_length = int(json.loads(st_config.read_text())["max_seq_length"])
        pooling = self._model_path / "1_Pooling" / "config.json"
        if pooling.is_file():
            cfg = json.loads(pooling.read_text())
            if cfg.get("pooling_mode_cls_token"):
                self._pooling = "cls"
            elif not cfg.get("pooling_mode_mean_tokens", True):
                raise EmbedderUnavailable(
                    f"{self._model_path}: only mean or CLS pooling runs on ONNX; "
                    "set NEWSDESK_EMBED_BACKEND=torch"
                )

    # -- embedding -----------------------------------------------------------------------

    def count_wordpieces(self, text: str) -> int:
        self._load()
        return len(self._tokenizer.encode(text).ids)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        self._load()
        session = self._session_for(len(texts))
        encodings = self._tokenizer.encode_batch(list(texts))
        # Longest first, so a batch pads to a similar length and the slowest batch comes first.
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        out: np.ndarray | None = None
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            vectors = self._run(session, [encodings[i] for i in batch])
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[batch] = vectors
        assert out is not None
        return out

    def _run(self, session: Any, encodings: Sequence[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run(None, feed)[0]
        return pool(hidden, mask, self._pooling)


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Sentence vectors from token states: masked mean (or the CLS token), L2-normalised."""
    if mode == "cls":
        vectors = hidden[:, 0, :]
    else:
        weights = mask[..., None].astype(np.float32)
        vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
