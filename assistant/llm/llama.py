"""A LangChain chat model around an in-process `llama_cpp.Llama` (any GGUF file).

The Llama object is loaded lazily on the first call and shared by every chat model of the process that
names the same file (loading costs seconds and ~2 GB of memory), behind a lock because one llama.cpp
context cannot serve two generations at once.

Plain answers and JSON-schema constrained answers (`response_format`) use the chat template stored in
the GGUF. Tool calls use llama-cpp-python's "chatml-function-calling" handler, which returns real
`tool_calls` (a forced tool's arguments are generated under a grammar made from its JSON schema).
Small models tend to ignore tools they are free to skip, so `tool_choice="any"` over several tools is
done in two steps: a constrained pick of the tool name, then the forced call.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from ..errors import LLMError, MissingDependencyError

# resolved path -> (Llama, lock, load seconds). A plain Lock, not an RLock: a stream may be resumed from
# another thread (LangChain's async streaming calls next() through a thread pool) and release it there.
_LOADED: dict[str, tuple[Any, threading.Lock, float]] = {}
_LOADING = threading.Lock()
_DEFAULT_SYSTEM = "You are a helpful assistant."
PROMPT_CACHE_BYTES = 1 << 30


def _counted_cache(base: type) -> type:
    """llama-cpp-python's RAM cache, with its size counting each state's saved logits too.

    The library counts only the context state; every saved prompt also keeps its logits (prompt tokens x
    vocabulary floats, ~55 MB for a 90-token prompt with Qwen's 152k vocabulary), so the cache outgrew its
    capacity without bound: 300 labelling calls took 15 GB. Counted, it stays at PROMPT_CACHE_BYTES."""

    class CountedRAMCache(base):
        @property
        def cache_size(self):
            return sum(state.llama_state_size + state.scores.nbytes + state.input_ids.nbytes
                       for state in self.cache_state.values())

    return CountedRAMCache


def load_llama(path: str | Path, *, n_ctx: int = 4096, n_threads: int | None = None) -> tuple[Any, threading.Lock]:
    """The process-wide Llama for `path` and its lock; the first caller's n_ctx/n_threads load it."""
    key = str(Path(path).expanduser().resolve())
    with _LOADING:
        if key not in _LOADED:
            try:
                import llama_cpp
            except ImportError as exc:
                raise MissingDependencyError(
                    "the local model needs llama-cpp-python: run make local-llm "
                    "(or: pip install 'llama-cpp-python==0.3.36')") from exc
            if not Path(key).is_file():
                raise LLMError(f"local:{Path(key).name}: no model file at {key}", backend="local")
            threads = n_threads or os.cpu_count() or 1
            started = time.perf_counter()
            try:
                llama = llama_cpp.Llama(model_path=key, n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                                        verbose=False)
            except (ValueError, RuntimeError, OSError) as exc:
                raise LLMError(f"local:{Path(key).name}: llama.cpp cannot load {key}: {exc}".splitlines()[0],
                               backend="local") from exc
            # keep the evaluated state of recent prompts: the agent alternates a routing prompt and an
            # answering prompt whose long fixed prefixes (system text, few-shot examples) then cost
            # nothing the second time (llama.cpp restores the longest matching prefix)
            llama.set_cache(_counted_cache(llama_cpp.LlamaRAMCache)(capacity_bytes=PROMPT_CACHE_BYTES))
            _LOADED[key] = (llama, threading.Lock(), time.perf_counter() - started)
        llama, lock, _ = _LOADED[key]
        return llama, lock


def load_seconds(path: str | Path) -> float | None:
    """How long loading `path` took in this process (None when it is not loaded)."""
    entry = _LOADED.get(str(Path(path).expanduser().resolve()))
    return entry[2] if entry else None


def _text(content: Any) -> str:
    """LangChain message content (a string or a list of blocks) as plain text."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(block.get("text", ""))
    return "".join(parts)


def _openai_tool_calls(message: AIMessage, *, arguments_as_text: bool) -> list[dict]:
    # the chatml-function-calling template prints arguments as they are (text); GGUF chat templates, like
    # Hugging Face ones, apply tojson to them and so want the object
    return [{"id": call.get("id") or f"call_{i}", "type": "function",
             "function": {"name": call["name"],
                          "arguments": json.dumps(call["args"], ensure_ascii=False) if arguments_as_text else call["args"]}}
            for i, call in enumerate(message.tool_calls)]


def to_llama_messages(messages: Sequence[BaseMessage], *, for_tools: bool = False) -> list[dict]:
    """LangChain messages as OpenAI-style dicts for llama-cpp-python.

    The chatml-function-calling template (`for_tools`) renders only system, user and assistant turns and
    shows the tool list inside the system turn, so tool results become user turns there and a system
    turn is added when there is none.
    """
    out: list[dict] = []
    tool_names: dict[str, str] = {}
    for message in messages:
        if isinstance(message, SystemMessage):
            out.append({"role": "system", "content": _text(message.content)})
        elif isinstance(message, HumanMessage):
            out.append({"role": "user", "content": _text(message.content)})
        elif isinstance(message, AIMessage):
            entry: dict[str, Any] = {"role": "assistant", "content": _text(message.content)}
            if message.tool_calls:
                entry["tool_calls"] = _openai_tool_calls(message, arguments_as_text=for_tools)
                tool_names.update({c["id"]: c["function"]["name"] for c in entry["tool_calls"]})
            out.append(entry)
        elif isinstance(message, ToolMessage):
            if for_tools:
                name = message.name or tool_names.get(message.tool_call_id, "tool")
                out.append({"role": "user", "content": f"Result of functions.{name}:\n{_text(message.content)}"})
            else:
                out.append({"role": "tool", "content": _text(message.content), "tool_call_id": message.tool_call_id})
        elif isinstance(message, ChatMessage):
            out.append({"role": message.role, "content": _text(message.content)})
        else:
            raise LLMError(f"local: cannot send a {type(message).__name__} to the model", backend="local")
    if for_tools and not any(m["role"] == "system" for m in out):
        out.insert(0, {"role": "system", "content": _DEFAULT_SYSTEM})
    return out


def _tool_choice(tool_choice: Any, tools: list[dict]) -> str | dict | None:
    """LangChain's tool_choice spellings -> llama-cpp-python's: "auto", "none", or a forced function."""
    names = [t["function"]["name"] for t in tools]
    if tool_choice in (None, "auto"):
        return "auto"
    if tool_choice == "none" or tool_choice is False:
        return "none"
    if tool_choice in ("any", "required", True):
        return {"type": "function", "function": {"name": names[0]}} if len(names) == 1 else "any"
    if isinstance(tool_choice, str):
        if tool_choice not in names:
            raise LLMError(f"local: tool_choice '{tool_choice}' is not one of the bound tools {names}",
                           backend="local")
        return {"type": "function", "function": {"name": tool_choice}}
    if isinstance(tool_choice, dict):
        name = (tool_choice.get("function") or {}).get("name") or tool_choice.get("name")
        if name in names:
            return {"type": "function", "function": {"name": name}}
    raise LLMError(f"local: unsupported tool_choice {tool_choice!r}", backend="local")


def _to_ai_message(message: dict, usage: dict | None) -> AIMessage:
    """An OpenAI-style response message from llama-cpp-python as an AIMessage with parsed tool calls."""
    tool_calls, invalid = [], []
    for i, call in enumerate(message.get("tool_calls") or []):
        function = call.get("function") or {}
        call_id = call.get("id") or f"call_{uuid.uuid4().hex[:12]}_{i}"
        raw = function.get("arguments") or "{}"
        try:
            args = json.loads(raw)
            if not isinstance(args, dict):
                raise ValueError("arguments are not a JSON object")
            tool_calls.append({"name": function.get("name", ""), "args": args, "id": call_id, "type": "tool_call"})
        except ValueError as exc:
            invalid.append({"name": function.get("name"), "args": raw, "id": call_id, "error": str(exc),
                            "type": "invalid_tool_call"})
    usage_metadata = None
    if usage:
        usage_metadata = UsageMetadata(input_tokens=usage.get("prompt_tokens", 0),
                                       output_tokens=usage.get("completion_tokens", 0),
                                       total_tokens=usage.get("total_tokens", 0))
    return AIMessage(content=message.get("content") or "", tool_calls=tool_calls, invalid_tool_calls=invalid,
                     usage_metadata=usage_metadata)


class LlamaChatModel(BaseChatModel):
    """Chat model over a GGUF file run in-process by llama.cpp (loaded on first use, shared per file)."""

    model_path: str
    label: str = "local"
    n_ctx: int = 4096
    n_threads: int | None = None
    temperature: float = 0.2
    max_tokens: int | None = 512
    top_p: float = 0.95
    repeat_penalty: float = 1.1
    busy_timeout: float = 300.0  # seconds to wait while another generation holds the model

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "temperature": self.temperature,
                "max_tokens": self.max_tokens}

    def llama(self) -> tuple[Any, threading.Lock]:
        """The shared Llama object (loaded now if needed) and its lock."""
        return load_llama(self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads)

    def get_token_ids(self, text: str) -> list[int]:
        """The model's own tokens (the default would fetch a GPT-2 tokenizer from the hub)."""
        llama, _ = self.llama()
        return llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    @contextmanager
    def _turn(self) -> Iterator[Any]:
        """The shared Llama, held for one generation (other callers wait, up to busy_timeout)."""
        llama, lock = self.llama()
        if not lock.acquire(timeout=self.busy_timeout):
            raise LLMError(f"{self.label}: busy with another answer for over {self.busy_timeout:g} s", backend=self.label)
        try:
            yield llama
        finally:
            lock.release()

    # ----------------------------------------------------------------- tools
    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable | BaseTool],
        *,
        tool_choice: str | dict | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """A copy of this model that offers `tools` (forced with tool_choice=NAME or "any")."""
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        _tool_choice(tool_choice, formatted)  # fail now on a name that is not bound
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    # ------------------------------------------------------------ generation
    def _options(self, stop: list[str] | None, kwargs: dict) -> dict:
        options = {"temperature": self.temperature, "max_tokens": self.max_tokens, "top_p": self.top_p,
                   "repeat_penalty": self.repeat_penalty, "stop": stop or []}
        for key in ("temperature", "max_tokens", "top_p", "repeat_penalty", "seed", "response_format", "grammar"):
            if key in kwargs:
                options[key] = kwargs[key]
        return options

    def _fail(self, exc: Exception) -> LLMError:
        return LLMError(f"{self.label}: {type(exc).__name__}: {exc}".splitlines()[0], backend=self.label)

    def _complete(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict) -> dict:
        """One non-streamed llama-cpp-python chat completion (with tools when bound)."""
        tools = kwargs.get("tools") or []
        choice = _tool_choice(kwargs.get("tool_choice"), tools) if tools else None
        options = self._options(stop, kwargs)
        try:
            with self._turn() as llama:
                if not tools or choice == "none":
                    return llama.create_chat_completion(messages=to_llama_messages(messages), **options)
                from llama_cpp import llama_chat_format

                if choice == "any":
                    choice = self._pick_tool(llama, messages, tools)
                options.pop("response_format", None)
                response = llama_chat_format.chatml_function_calling(
                    llama=llama, messages=to_llama_messages(messages, for_tools=True), tools=tools,
                    tool_choice=choice, **options)
                message = response["choices"][0]["message"]
                if choice == "auto" and not message.get("tool_calls") and not (message.get("content") or "").strip():
                    # the handler decodes a chosen "message:" under its tool-name grammar, which leaves it
                    # empty: answer in text with the model's own template instead
                    response = llama.create_chat_completion(messages=to_llama_messages(messages), **options)
                return response
        except LLMError:
            raise
        except Exception as exc:  # llama.cpp raises ValueError/RuntimeError (context full, bad grammar)
            raise self._fail(exc) from exc

    def _pick_tool(self, llama: Any, messages: list[BaseMessage], tools: list[dict]) -> dict:
        """tool_choice "any" over several tools: a JSON-constrained pick of one name, at temperature 0."""
        names = [t["function"]["name"] for t in tools]
        menu = "\n".join(f"- {t['function']['name']}: {t['function'].get('description', '')}" for t in tools)
        prompt = to_llama_messages(messages) + [{
            "role": "user", "content": f"Which one of these functions should be called now?\n{menu}\n"
                                       'Answer as JSON: {"function": NAME}'}]
        schema = {"type": "object", "properties": {"function": {"type": "string", "enum": names}},
                  "required": ["function"]}
        reply = llama.create_chat_completion(messages=prompt, temperature=0, max_tokens=64,
                                             response_format={"type": "json_object", "schema": schema})
        name = json.loads(reply["choices"][0]["message"]["content"])["function"]
        return {"type": "function", "function": {"name": name}}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        response = self._complete(messages, stop, kwargs)
        choice = response["choices"][0]
        message = _to_ai_message(choice["message"], response.get("usage"))
        info = {"finish_reason": choice.get("finish_reason"), "model_name": Path(self.model_path).name}
        message.response_metadata.update(info)
        return ChatResult(generations=[ChatGeneration(message=message, generation_info=info)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if kwargs.get("tools") and kwargs.get("tool_choice") != "none":
            # a tool call is only useful whole: generate it, then hand it over as one chunk
            result = self._generate(messages, stop, run_manager, **kwargs)
            message = result.generations[0].message
            chunk = AIMessageChunk(
                content=message.content, response_metadata=message.response_metadata,
                usage_metadata=message.usage_metadata, chunk_position="last",
                tool_call_chunks=[{"name": c["name"], "args": json.dumps(c["args"], ensure_ascii=False),
                                   "id": c["id"], "index": i, "type": "tool_call_chunk"}
                                  for i, c in enumerate(message.tool_calls)])
            yield ChatGenerationChunk(message=chunk)
            return
        options = self._options(stop, kwargs)
        try:
            with self._turn() as llama:
                stream = llama.create_chat_completion(messages=to_llama_messages(messages), stream=True, **options)
                for part in stream:
                    choice = part["choices"][0]
                    delta = choice.get("delta") or {}
                    text = delta.get("content") or ""
                    finish = choice.get("finish_reason")
                    if not text and not finish:
                        continue
                    metadata = {"finish_reason": finish, "model_name": Path(self.model_path).name} if finish else {}
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=text, response_metadata=metadata))
                    if run_manager and text:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk
        except LLMError:
            raise
        except Exception as exc:  # llama.cpp raises ValueError/RuntimeError (context full), or loading failed
            raise self._fail(exc) from exc
