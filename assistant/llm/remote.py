"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp server, DeepSeek, ...).

A thin subclass of langchain-openai's ChatOpenAI whose only change is the failure mode: once the
client's own bounded retries are spent, a refused connection, a timeout, a 401 or a 5xx becomes one
`LLMError` naming the backend, so the caller can fall back to the next backend and say why.
Imported only when a remote backend is used (langchain_openai takes over a second to import).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import openai
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_openai import ChatOpenAI

from ..errors import LLMError
from ..settings import Settings
from .endpoint import openai_endpoint

# the OpenAI client refuses to start without a key; servers that need none (Ollama, vLLM, llama.cpp) ignore it
_NO_KEY = "no-key-needed"


def describe_api_error(exc: Exception, label: str, *, timeout: float, attempts: int) -> str:
    """One line saying what went wrong at the endpoint and what to do about it."""
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    if isinstance(exc, openai.APITimeoutError):
        return f"{label}: no answer within {timeout:g} s ({tries}); raise ASSISTANT_LLM_TIMEOUT or check the server"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return f"{label}: cannot connect ({type(cause).__name__}: {cause}) after {tries}".splitlines()[0]
    if isinstance(exc, openai.APIStatusError):
        message = _server_message(exc)
        if exc.status_code == 401:
            return (f"{label}: the endpoint rejected the API key (HTTP 401: {message}); "
                    "set OPENAI_API_KEY or ASSISTANT_LLM_API_KEY")
        if exc.status_code == 403:
            return f"{label}: access denied (HTTP 403: {message})"
        if exc.status_code == 404:
            return f"{label}: not found (HTTP 404: {message}); check ASSISTANT_LLM_MODEL and ASSISTANT_LLM_BASE_URL"
        if exc.status_code == 429:
            return f"{label}: rate limited (HTTP 429: {message}) after {tries}"
        if exc.status_code >= 500:
            return f"{label}: server error (HTTP {exc.status_code}: {message}) after {tries}"
        return f"{label}: HTTP {exc.status_code}: {message}"
    if isinstance(exc, httpx.HTTPError):  # the connection broke while a streamed answer was being read
        return f"{label}: connection lost during the answer ({type(exc).__name__}: {exc})".splitlines()[0]
    return f"{label}: {type(exc).__name__}: {exc}".splitlines()[0]


def _server_message(exc: openai.APIStatusError) -> str:
    """The server's own error message (the client prefixes it with "Error code: N - ")."""
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        text = body["message"]
    else:
        text = exc.message or ""
        text = text.split(" - ", 1)[1] if text.startswith("Error code:") and " - " in text else text
    return (text.strip().splitlines() or [""])[0][:300]


class OpenAICompatibleChat(ChatOpenAI):
    """ChatOpenAI that fails with a one-line `LLMError` naming the backend."""

    backend_label: str = "openai"

    def _error(self, exc: Exception) -> LLMError:
        attempts = 1 + (self.max_retries or 0)
        timeout = self.request_timeout if isinstance(self.request_timeout, (int, float)) else 0
        message = describe_api_error(exc, self.backend_label, timeout=timeout, attempts=attempts)
        return LLMError(message, backend=self.backend_label)

    # ChatOpenAI counts tokens with tiktoken, whose files are downloaded on first use (impossible offline)
    # and only match OpenAI's own models anyway: estimate from characters instead, as trimming needs no more
    def get_num_tokens(self, text: str) -> int:
        return math.ceil(len(text) / 4)

    def get_num_tokens_from_messages(self, messages: list, tools: Any = None, **kwargs: Any) -> int:
        from langchain_core.messages.utils import count_tokens_approximately

        return count_tokens_approximately(messages, tools=tools)

    def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
        try:
            return super()._generate(*args, **kwargs)
        except (openai.APIError, httpx.HTTPError) as exc:
            raise self._error(exc) from exc

    async def _agenerate(self, *args: Any, **kwargs: Any) -> ChatResult:
        try:
            return await super()._agenerate(*args, **kwargs)
        except (openai.APIError, httpx.HTTPError) as exc:
            raise self._error(exc) from exc

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        try:
            yield from super()._stream(*args, **kwargs)
        except (openai.APIError, httpx.HTTPError) as exc:
            raise self._error(exc) from exc

    async def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        try:
            async for chunk in super()._astream(*args, **kwargs):
                yield chunk
        except (openai.APIError, httpx.HTTPError) as exc:
            raise self._error(exc) from exc


def make_openai_chat(settings: Settings, label: str) -> OpenAICompatibleChat:
    """The chat model for the configured endpoint: streaming, with the settings' timeout and retries."""
    base_url, model = openai_endpoint(settings)
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else _NO_KEY
    return OpenAICompatibleChat(
        model=model, base_url=base_url, api_key=key, timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries, temperature=settings.llm_temperature, streaming=True,
        backend_label=label,
    )
