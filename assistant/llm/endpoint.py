"""Where the openai backend talks to: base URL, model name and label, from settings alone.

Its own module because both the backend factory (`backends`) and the chat model (`remote`) need it, and
`remote` imports langchain_openai, which the factory must not import until a chat model is made.
"""

from __future__ import annotations

from ..settings import Settings

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"


def openai_configured(settings: Settings) -> bool:
    """An endpoint or an API key is set, so the openai backend joins the auto chain."""
    return bool(settings.llm_base_url or settings.llm_api_key)


def openai_endpoint(settings: Settings) -> tuple[str, str]:
    """(base URL, model name) the openai backend talks to."""
    return (settings.llm_base_url or DEFAULT_OPENAI_BASE_URL).rstrip("/"), settings.llm_model or DEFAULT_OPENAI_MODEL


def openai_label(settings: Settings) -> str:
    """The label "openai:MODEL at URL" that names the backend in answers and errors."""
    base_url, model = openai_endpoint(settings)
    return f"openai:{model} at {base_url}"
