"""`structured_call`: one constrained, schema-checked model step that works on every backend.

The pydantic model is the contract. How the model is held to it depends on the backend:
  local llama.cpp   JSON-schema constrained decoding (response_format json_object + schema), temperature 0
  OpenAI-compatible tool/function calling, the most widely supported way across compatible servers,
                    with JSON found in the text as a fallback for servers that answer in prose
  anything else     the schema in the prompt, JSON read from the reply (or from a tool call)
The result is always validated by pydantic. An invalid answer is retried a bounded number of times with
the validation error shown to the model; after that an `LLMError` carries the last raw output.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import LLMError

T = TypeVar("T", bound=BaseModel)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def extract_json(text: str) -> Any:
    """The first JSON object in `text` (bare, in a ``` fence, or after some prose); ValueError if none."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        candidate = candidate.strip()
        for start in [i for i, ch in enumerate(candidate) if ch == "{"][:20]:
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    raise ValueError("no JSON object in the reply")


def _label(chat_model: Any) -> str:
    return getattr(chat_model, "backend_label", None) or getattr(chat_model, "label", None) or type(chat_model).__name__


def _field_hint(schema: type[BaseModel]) -> str:
    fields = []
    for name, info in schema.model_fields.items():
        fields.append(f"{name} ({info.description})" if info.description else name)
    return f"Answer only with a JSON object with the fields: {', '.join(fields)}."


def _with_system_hint(messages: list, hint: str) -> list:
    from langchain_core.messages import SystemMessage

    if messages and isinstance(messages[0], SystemMessage) and isinstance(messages[0].content, str):
        return [SystemMessage(messages[0].content.rstrip() + "\n" + hint)] + messages[1:]
    return [SystemMessage(hint)] + messages


def _is_llama(chat_model: Any) -> bool:
    from .llama import LlamaChatModel

    return isinstance(chat_model, LlamaChatModel)


def _is_openai(chat_model: Any) -> bool:
    if "langchain_openai" not in sys.modules:  # never imported, so it cannot be one
        return False
    from langchain_openai.chat_models.base import BaseChatOpenAI

    return isinstance(chat_model, BaseChatOpenAI)


def _ask(chat_model: Any, schema: type[BaseModel], messages: list) -> tuple[str, Any]:
    """One model call: (raw output, the value it carries, or None when the raw text must be parsed)."""
    if _is_llama(chat_model):
        reply = chat_model.invoke(
            _with_system_hint(messages, _field_hint(schema)), temperature=0,
            response_format={"type": "json_object", "schema": schema.model_json_schema()})
        return reply.text, None
    if _is_openai(chat_model):
        result = chat_model.with_structured_output(schema, method="function_calling", include_raw=True).invoke(messages)
        raw = result["raw"]
        if isinstance(result.get("parsed"), schema):
            return json.dumps(result["parsed"].model_dump(mode="json"), ensure_ascii=False), result["parsed"]
        if raw.tool_calls:
            return json.dumps(raw.tool_calls[0]["args"], ensure_ascii=False), raw.tool_calls[0]["args"]
        if raw.invalid_tool_calls:
            return str(raw.invalid_tool_calls[0].get("args") or ""), None
        return raw.text, None  # a server that ignored the tool and answered in text
    schema_text = json.dumps(schema.model_json_schema(), ensure_ascii=False)
    reply = chat_model.invoke(_with_system_hint(messages, f"{_field_hint(schema)} JSON schema: {schema_text}"))
    if getattr(reply, "tool_calls", None):
        return json.dumps(reply.tool_calls[0]["args"], ensure_ascii=False), reply.tool_calls[0]["args"]
    return reply.text, None


def _as_messages(messages: Any) -> list:
    from langchain_core.messages import HumanMessage, convert_to_messages

    if isinstance(messages, str):
        return [HumanMessage(messages)]
    return list(convert_to_messages(messages))


def structured_call(chat_model: Any, schema: type[T], messages: str | Sequence[Any], *, retries: int = 1) -> T:
    """Ask `chat_model` for one `schema` instance, constrained and validated; LLMError if it cannot give one."""
    if chat_model is None:
        raise LLMError("no language model is configured; a structured step needs one (see: assistant doctor)",
                       backend="none")
    conversation = _as_messages(messages)
    raw, problem = "", ""
    for _attempt in range(retries + 1):
        raw, value = _ask(chat_model, schema, conversation)  # transport failures raise LLMError at once
        try:
            candidate = extract_json(raw) if value is None else value
            return candidate if isinstance(candidate, schema) else schema.model_validate(candidate)
        except ValidationError as exc:
            problem = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors()[:5])
        except ValueError as exc:  # includes json.JSONDecodeError
            problem = str(exc)
        from langchain_core.messages import HumanMessage

        conversation = conversation + [HumanMessage(
            f"Your previous answer was not valid ({problem}). It was:\n{raw[:1500]}\n"
            f"Answer again with only a JSON object for {schema.__name__}.")]
    raise LLMError(
        f"{_label(chat_model)}: the answer does not fit {schema.__name__} after {retries + 1} "
        f"attempt{'s' if retries else ''}: {problem}; last output: {raw[:200]!r}",
        backend=_label(chat_model), raw_output=raw)
