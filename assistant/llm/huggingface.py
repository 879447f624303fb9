"""A local Hugging Face model folder as a chat model: ChatHuggingFace over a transformers pipeline.

For models that have no GGUF. Slower than llama.cpp on a CPU, and ChatHuggingFace parses no tool calls,
so the agent drives such a model in routed mode (schema-checked steps), as it does every local model.
The pipeline is loaded once per folder and process.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ..errors import ConfigError, MissingDependencyError
from ..settings import Settings

_PIPELINES: dict[str, Any] = {}
_LOCK = threading.Lock()


def load_pipeline(folder: Path, *, max_new_tokens: int = 512, temperature: float = 0.0) -> Any:
    """The process-wide text-generation pipeline for a local model folder (the first caller's settings).

    Generation defaults live on the pipeline: HuggingFacePipeline passes only per-call `pipeline_kwargs`.
    """
    key = str(folder.resolve())
    with _LOCK:
        if key not in _PIPELINES:
            try:
                import transformers
            except ImportError as exc:
                raise MissingDependencyError("a Hugging Face model folder needs transformers: "
                                             "pip install transformers") from exc
            try:
                sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
                _PIPELINES[key] = transformers.pipeline("text-generation", model=key, tokenizer=key, device="cpu",
                                                        max_new_tokens=max_new_tokens, return_full_text=False,
                                                        **sampling)
            except (OSError, ValueError) as exc:
                raise ConfigError(f"ASSISTANT_LOCAL_MODEL: cannot load the model folder {folder}: "
                                  f"{exc}".splitlines()[0]) from exc
        return _PIPELINES[key]


def make_huggingface_chat(folder: Path, settings: Settings) -> Any:
    """ChatHuggingFace over the folder's pipeline; sampling only when the temperature asks for it."""
    from langchain_huggingface import ChatHuggingFace, HuggingFacePipeline

    pipe = load_pipeline(folder, temperature=settings.llm_temperature)
    if pipe.tokenizer is None or not getattr(pipe.tokenizer, "chat_template", None):
        raise ConfigError(f"ASSISTANT_LOCAL_MODEL: {folder} has no chat template in its tokenizer; "
                          "use an instruction-tuned (chat) model")
    llm = HuggingFacePipeline(pipeline=pipe, model_id=str(folder))
    return ChatHuggingFace(llm=llm, tokenizer=pipe.tokenizer, model_id=str(folder))
