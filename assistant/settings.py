"""The one settings object. Only this module reads the environment (ASSISTANT_* variables and `.env`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .priority_weights import PriorityWeights


class Settings(BaseSettings):
    """Every knob of the product, with defaults that work offline on a laptop."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore",
                                      env_nested_delimiter="__")

    # where feedback is stored
    store: Path = Field(Path("vectorstore"), description="Folder of the local Chroma store.")
    chroma_url: str | None = Field(None, description="http://host:port of a Chroma server; overrides `store`.")
    collection: str = Field("feedback", min_length=3, description="Chroma collection name.")

    # how feedback is embedded
    embedder: str | None = Field(
        None,
        description="e5 (multilingual, the default for a new store), minilm (English, fast), hashing (tests), "
        "or any sentence-transformers model name or local path. Unset: the embedder the store was built with.",
    )
    embed_max_chars: int = Field(2000, gt=0, description="Longer texts are truncated for embedding only.")

    # ingestion
    batch_size: int = Field(256, gt=0, description="Items embedded and written per batch.")
    redact: bool = Field(True, description="Replace personal data with typed placeholders before storage.")
    max_item_chars: int = Field(100_000, gt=0, description="Items longer than this are rejected.")
    min_item_chars: int = Field(2, ge=1, description="Items with fewer meaningful characters are rejected.")
    timezone: str = Field("UTC", description="Time zone of timestamps that carry none.")

    # analysis
    taxonomy: Path | None = Field(None, description="YAML taxonomy of demand categories (default: the built-in one).")
    products: Path | None = Field(None, description="YAML dictionary of products, features and competitors.")
    cache_dir: Path = Field(
        Path.home() / ".cache" / "customer-demand-assistant",
        description="Where derived model files (seed centroids, trained lexicon models) are cached.",
    )

    priority: PriorityWeights = Field(default_factory=PriorityWeights,
                                      description="Weights of the priority score (ASSISTANT_PRIORITY__VOLUME=...).")

    # language models (assistant/llm): auto tries openai (when a base URL or key is set), local, then none
    llm_backend: Literal["auto", "openai", "local", "none"] = Field(
        "auto", description="Which chat model answers: auto, openai (any OpenAI-compatible endpoint), local, none.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1.")
    llm_model: str | None = Field(None, description="Model name at that endpoint (default gpt-4o-mini).")
    llm_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("ASSISTANT_LLM_API_KEY", "OPENAI_API_KEY", "llm_api_key"),
        description="API key for the endpoint (OPENAI_API_KEY is read too).")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds before a remote model call is abandoned.")
    llm_max_retries: int = Field(2, ge=0, description="Retries of a failed remote call before falling back.")
    llm_temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature for drafting.")
    agent_mode: Literal["auto", "routed", "free"] = Field(
        "routed", description="routed (default, every backend): one schema-checked step picks the tool and "
        "the model only phrases its facts; free: the model calls tools itself (opt-in; an answer that fails the "
        "grounding check is redone routed). auto: the same as routed (kept for older .env files).")
    agent_routing: Literal["auto", "model", "rules"] = Field(
        "auto", description="How a routed request picks its tool: rules (keywords, no model call), model (one "
        "schema-checked model step, checked against the data), auto: the rules when they recognise the "
        "request, else the model.")
    local_model: str | None = Field(
        None, description="A GGUF file or a local Hugging Face model folder (default: the packaged "
        "Qwen2.5-Coder-1.5B-Instruct GGUF).")
    local_threads: int | None = Field(None, gt=0, description="CPU threads for the local model (default: all).")
    local_context: int = Field(4096, ge=512, description="Context window of the local model in tokens.")
    now: datetime | None = Field(None, description="What 'now' is for time expressions (ASSISTANT_NOW; "
                                 "for historical data). Default: the real clock.")
    prompts_dir: Path | None = Field(None, description="Folder of prompt files (default: the prompts/ installed "
                                     "with the package; in an editable checkout, its own prompts/).")
    reply_policy: Path | None = Field(
        None, description="YAML policy of what replies may promise (default: the installed prompts/reply_policy.yaml).")

    # web app (assistant ui)
    ui_username: str | None = Field(None, description="Login for the web app; required off loopback.")
    ui_password: SecretStr | None = Field(None, description="Password for the web app; required off loopback.")

    debug: bool = Field(False, description="Show tracebacks instead of one-line errors.")


def load_settings(**overrides) -> Settings:
    """Settings from the environment and `.env`, with explicit overrides (CLI options) on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
