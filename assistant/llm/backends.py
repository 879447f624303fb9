"""Which chat model answers: one factory, `get_backends`, returning the ordered fallback chain.

auto: openai when an endpoint or key is configured, then local when llama.cpp and the model are present,
then none (always last: search and analysis still work without a model). An explicit choice gives
[that, none]. Chat models are created on first use of `Backend.chat_model`, so listing the chain imports
nothing heavy and loads no model.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..errors import AssistantError, ConfigError, LLMError, MissingDependencyError
from ..settings import Settings
from . import gguf
from .endpoint import openai_configured, openai_label

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

BackendName = Literal["openai", "local", "none"]


@dataclass
class Backend:
    """One way of answering: a name, a human label, a chat model (None for "none") made on first use.

    `strong` backends (remote endpoints) may be given tools to call freely; weak ones (small local
    models) are driven step by step through schema-checked calls. Give either `factory` (called once, on
    first use of `chat_model`) or a ready `model` (e.g. a scripted fake in tests).
    """

    name: BackendName
    label: str
    strong: bool = False
    factory: Callable[[], BaseChatModel | None] | None = field(default=None, repr=False, compare=False)
    model: BaseChatModel | None = field(default=None, repr=False, compare=False)

    @property
    def chat_model(self) -> BaseChatModel | None:
        """The LangChain chat model, made now if needed; LLMError (naming the backend) if it cannot be."""
        if self.model is None and self.factory is not None:
            try:
                self.model = self.factory()
            except LLMError:
                raise
            except AssistantError as exc:  # missing runtime or part package, bad model path: fall back
                raise LLMError(f"{self.label}: {exc}", backend=self.label) from exc
        return self.model


# ------------------------------------------------------------------ local model choice
def llama_cpp_installed() -> bool:
    """llama-cpp-python is importable (checked without importing it)."""
    return importlib.util.find_spec("llama_cpp") is not None


def local_model_kind(settings: Settings) -> Literal["packaged", "gguf", "huggingface"]:
    """What settings.local_model names: nothing (the packaged GGUF), a GGUF file, or a model folder."""
    if not settings.local_model:
        return "packaged"
    path = Path(settings.local_model).expanduser()
    if path.is_dir():
        return "huggingface"
    if path.suffix.lower() == ".gguf" or path.is_file():
        return "gguf"
    raise ConfigError(f"ASSISTANT_LOCAL_MODEL: '{settings.local_model}' is neither a .gguf file nor a model folder")


def local_label(settings: Settings) -> str:
    """The label "local:NAME" with the model file or folder name (never raises; a bad path fails later)."""
    if not settings.local_model:
        return f"local:{gguf.PACKAGED_MODEL.filename}"
    return f"local:{Path(settings.local_model).expanduser().name}"


def local_available(settings: Settings) -> bool:
    """Whether the local backend can run here, judged without loading anything."""
    try:
        kind = local_model_kind(settings)
    except ConfigError:
        return False
    if kind == "huggingface":
        return importlib.util.find_spec("transformers") is not None
    if not llama_cpp_installed():
        return False
    if kind == "gguf":
        return Path(settings.local_model).expanduser().is_file()
    return gguf.model_path(settings).is_file() or not gguf.missing_parts()


def _make_local_chat(settings: Settings, label: str) -> BaseChatModel:
    kind = local_model_kind(settings)
    if kind == "huggingface":
        from .huggingface import make_huggingface_chat

        return make_huggingface_chat(Path(settings.local_model).expanduser(), settings)
    if not llama_cpp_installed():
        raise MissingDependencyError("the local model needs llama-cpp-python: run make local-llm")
    if kind == "gguf":
        path = Path(settings.local_model).expanduser()
        if not path.is_file():
            raise ConfigError(f"ASSISTANT_LOCAL_MODEL: no file at {path}")
    else:
        path = gguf.ensure_local_model(settings)
    from .llama import LlamaChatModel

    return LlamaChatModel(model_path=str(path), label=label, n_ctx=settings.local_context,
                          n_threads=settings.local_threads or os.cpu_count(), temperature=settings.llm_temperature)


# ------------------------------------------------------------------ the factory
def make_backend(name: BackendName, settings: Settings) -> Backend:
    """The backend called `name` (its chat model is made on first use)."""
    if name == "openai":
        label = openai_label(settings)

        def factory():
            from .remote import make_openai_chat

            return make_openai_chat(settings, label)

        return Backend("openai", label, True, factory=factory)
    if name == "local":
        label = local_label(settings)
        return Backend("local", label, False, factory=lambda: _make_local_chat(settings, label))
    if name == "none":
        return Backend("none", "none (no language model: search and analysis only)", False)
    raise ConfigError(f"unknown LLM backend '{name}'; choose auto, openai, local or none")


def get_backends(settings: Settings) -> list[Backend]:
    """The ordered fallback chain for `settings.llm_backend`; "none" is always last."""
    if settings.llm_backend == "none":
        return [make_backend("none", settings)]
    if settings.llm_backend != "auto":
        return [make_backend(settings.llm_backend, settings), make_backend("none", settings)]
    chain = []
    if openai_configured(settings):
        chain.append(make_backend("openai", settings))
    if local_available(settings):
        chain.append(make_backend("local", settings))
    chain.append(make_backend("none", settings))
    return chain
