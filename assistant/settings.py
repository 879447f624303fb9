"""The one settings object. Only this module reads the environment (ASSISTANT_* variables and `.env`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .analysis.types import PriorityWeights


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

    debug: bool = Field(False, description="Show tracebacks instead of one-line errors.")


def load_settings(**overrides) -> Settings:
    """Settings from the environment and `.env`, with explicit overrides (CLI options) on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
