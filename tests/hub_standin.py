"""A local stand-in for the Hugging Face Hub: serves model folders as model repos over real HTTP.

Point a process at it with `HF_ENDPOINT=http://127.0.0.1:PORT` (read by huggingface_hub at import time,
so set it before that process starts) and `SentenceTransformer("org/name")` downloads the folder exactly as
it would from huggingface.co. Only the part of the protocol the installed huggingface_hub and
sentence-transformers use is implemented:

    GET  /api/models/{repo}[/revision/{rev}][?blobs=true]   repo info: sha, siblings (model_info, repo_info,
                                                            resolve_revision)
    GET  /api/models/{repo}/tree/{rev}[/{path}][?recursive=true]   file listing (list_repo_tree,
                                                            list_repo_files, snapshot_download)
    HEAD/GET /{repo}/resolve/{rev}/{path}                   a file (hf_hub_download): X-Repo-Commit and
                                                            ETag (git blob sha1) headers; large (LFS) files
                                                            answer 302 to a "CDN" URL with X-Linked-Etag
                                                            (sha256) and X-Linked-Size, like the Hub
    HEAD/GET /lfs/{sha256}                                  the "CDN": file bytes, Range supported

Missing repos, revisions and files answer 404 with the Hub's X-Error-Code (RepoNotFound, RevisionNotFound,
EntryNotFound), so the client raises the same errors it would against the real Hub. No Xet headers are
sent, so clients use the plain HTTP download path. Every request is logged in `requests`.

The CDN URL uses the host name `localhost` while the endpoint is `127.0.0.1`: huggingface_hub follows
redirects that stay on the Hub host and stops at the first redirect to another host (the real CDN), taking
the file metadata from that 302, so two host names exercise the same code path as huggingface.co.

Run by hand: python tests/hub_standin.py org/name=path/to/model/folder [--port 8765]
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

_LFS_FALLBACK_SIZE = 10 * 1024 * 1024  # files this big are LFS even without a .gitattributes rule
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class HubRequest:
    """One request the stand-in answered."""

    method: str
    path: str  # as sent, query string included
    status: int
    body_bytes: int  # bytes of body sent (0 for HEAD)


@dataclass(frozen=True)
class RepoFile:
    path: str  # posix path inside the repo
    source: Path
    size: int
    blob_id: str  # git blob sha1 of what git stores: the content, or the LFS pointer for LFS files
    sha256: str | None  # set for LFS files
    pointer_size: int | None


@dataclass
class ServedRepo:
    """A local folder presented as one commit of a model repo."""

    repo_id: str
    folder: Path
    files: dict[str, RepoFile] = field(default_factory=dict)
    sha: str = ""

    @classmethod
    def from_folder(cls, repo_id: str, folder: str | Path) -> "ServedRepo":
        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"not a folder: {folder}")
        lfs_patterns = _lfs_patterns(folder / ".gitattributes")
        files: dict[str, RepoFile] = {}
        for source in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = source.relative_to(folder).as_posix()
            if rel.startswith(".git/") or "/.git/" in rel or "__pycache__" in rel:
                continue
            size = source.stat().st_size
            is_lfs = size >= _LFS_FALLBACK_SIZE or any(_gitattributes_match(p, rel) for p in lfs_patterns)
            if is_lfs:
                sha256 = _file_digest(source, hashlib.sha256())
                pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()
                files[rel] = RepoFile(rel, source, size, _git_blob_sha1(pointer), sha256, len(pointer))
            else:
                files[rel] = RepoFile(rel, source, size, _git_blob_sha1(source.read_bytes()), None, None)
        # a stable fake commit id: changes whenever any file changes
        sha = hashlib.sha1("".join(f"{p}\0{f.blob_id}\n" for p, f in sorted(files.items())).encode()).hexdigest()
        return cls(repo_id, folder, files, sha)

    def folders(self) -> set[str]:
        out = set()
        for path in self.files:
            parts = path.split("/")[:-1]
            out.update("/".join(parts[: i + 1]) for i in range(len(parts)))
        return out


def _lfs_patterns(gitattributes: Path) -> list[str]:
    if not gitattributes.is_file():
        return []
    patterns = []
    for line in gitattributes.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if len(parts) > 1 and "filter=lfs" in parts[1:]:
            patterns.append(parts[0])
    return patterns


def _gitattributes_match(pattern: str, path: str) -> bool:
    # gitattributes: a pattern without "/" matches the file name at any depth
    if "/" not in pattern:
        return fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern)
    return fnmatch.fnmatchcase(path, pattern.replace("**/", "*"))


def _git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _file_digest(path: Path, digest) -> str:
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class HubStandin:
    """Serves `repos` ({repo_id: folder}) on 127.0.0.1 at a free port; use as a context manager.

    >>> with HubStandin({"sentence-transformers/all-MiniLM-L6-v2": folder}) as hub:
    ...     env = {"HF_ENDPOINT": hub.url}
    """

    def __init__(self, repos: dict[str, str | Path], *, port: int = 0, cdn_host: str = "localhost"):
        self.repos = {repo_id: ServedRepo.from_folder(repo_id, folder) for repo_id, folder in repos.items()}
        self.blobs = {f.sha256: f for repo in self.repos.values() for f in repo.files.values() if f.sha256}
        self.requests: list[HubRequest] = []
        self._lock = threading.Lock()
        self._port = port
        self._cdn_host = cdn_host
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> "HubStandin":
        handler = type("HubHandler", (_HubHandler,), {"hub": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="hub-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = self._thread = None

    def __enter__(self) -> "HubStandin":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "the stand-in is not running"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The value for HF_ENDPOINT."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def cdn_url(self) -> str:
        return f"http://{self._cdn_host}:{self.port}"

    # ----------------------------------------------------------------- log
    def record(self, request: HubRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def log(self, since: int = 0) -> list[HubRequest]:
        """A copy of the request log, from index `since` on."""
        with self._lock:
            return list(self.requests[since:])

    def format_log(self, since: int = 0) -> str:
        """The log as text, one request a line (for assertion messages)."""
        return "\n".join(f"{r.method} {r.path} -> {r.status} ({r.body_bytes} bytes)" for r in self.log(since))


class _HubHandler(BaseHTTPRequestHandler):
    hub: HubStandin  # set on the subclass made in HubStandin.start
    protocol_version = "HTTP/1.1"  # keep-alive, like the Hub; every answer carries Content-Length
    server_version = "hub-standin/1"

    def log_message(self, format, *args):  # noqa: A002 - keep the test output quiet; we log in `hub.requests`
        pass

    def do_HEAD(self):
        self._dispatch(head=True)

    def do_GET(self):
        self._dispatch(head=False)

    # ----------------------------------------------------------------- routing
    def _dispatch(self, head: bool) -> None:
        self._status, self._sent = 0, 0
        try:
            split = urlsplit(self.path)
            raw, query = split.path, parse_qs(split.query)
            if raw.startswith("/api/models/"):
                self._api(raw[len("/api/models/"):], query, head)
            elif raw.startswith("/lfs/"):
                self._cdn(raw[len("/lfs/"):], head)
            else:
                self._resolve(raw[1:], head)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            self.hub.record(HubRequest(self.command, self.path, self._status, self._sent))

    def _find_repo(self, rest: str) -> tuple[ServedRepo | None, str]:
        """Split `org/name/more...` into the served repo and the remainder (longest repo id wins)."""
        for repo_id in sorted(self.hub.repos, key=len, reverse=True):
            if rest == repo_id or rest.startswith(repo_id + "/"):
                return self.hub.repos[repo_id], rest[len(repo_id) + 1:]
        return None, rest

    def _revision_ok(self, repo: ServedRepo, revision: str) -> bool:
        return unquote(revision) in ("main", repo.sha)

    def _api(self, rest: str, query: dict, head: bool) -> None:
        repo, tail = self._find_repo(rest)
        if repo is None:
            return self._error(404, "RepoNotFound", "Repository not found", head)
        if tail == "" or tail.startswith("revision/"):
            revision = tail[len("revision/"):] if tail else "main"
            if not self._revision_ok(repo, revision):
                return self._error(404, "RevisionNotFound", f"Invalid rev id: {unquote(revision)}", head)
            return self._json(self._repo_info(repo, blobs=_flag(query, "blobs")), head)
        match = re.fullmatch(r"tree/([^/]+)(?:/(.*))?", tail)
        if match:
            revision, folder = match.group(1), unquote(match.group(2) or "").strip("/")
            if not self._revision_ok(repo, revision):
                return self._error(404, "RevisionNotFound", f"Invalid rev id: {unquote(revision)}", head, repo)
            if folder and folder not in repo.folders():
                return self._error(404, "EntryNotFound", f"{folder} does not exist on \"main\"", head, repo)
            return self._json(self._tree(repo, folder, recursive=_flag(query, "recursive")), head)
        return self._error(404, None, "Sorry, we can't find the page you are looking for.", head)

    def _repo_info(self, repo: ServedRepo, blobs: bool) -> dict:
        siblings = []
        for f in repo.files.values():
            sibling = {"rfilename": f.path}
            if blobs:
                sibling.update(size=f.size, blobId=f.blob_id)
                if f.sha256:
                    sibling["lfs"] = {"size": f.size, "sha256": f.sha256, "pointerSize": f.pointer_size}
            siblings.append(sibling)
        return {
            "_id": repo.sha[:24], "id": repo.repo_id, "modelId": repo.repo_id, "author": repo.repo_id.split("/")[0],
            "sha": repo.sha, "lastModified": "2024-01-01T00:00:00.000Z", "createdAt": "2024-01-01T00:00:00.000Z",
            "private": False, "gated": False, "disabled": False, "downloads": 0, "likes": 0,
            "library_name": "sentence-transformers", "pipeline_tag": "sentence-similarity",
            "tags": ["sentence-transformers", "safetensors"], "siblings": siblings,
        }

    def _tree(self, repo: ServedRepo, folder: str, recursive: bool) -> list[dict]:
        prefix = folder + "/" if folder else ""
        entries = []
        for sub in sorted(repo.folders()):
            if sub.startswith(prefix) and (recursive or "/" not in sub[len(prefix):]):
                oid = hashlib.sha1(f"tree {repo.sha} {sub}".encode()).hexdigest()
                entries.append({"type": "directory", "oid": oid, "path": sub})
        for f in repo.files.values():
            if f.path.startswith(prefix) and (recursive or "/" not in f.path[len(prefix):]):
                entry = {"type": "file", "oid": f.blob_id, "size": f.size, "path": f.path}
                if f.sha256:
                    entry["lfs"] = {"oid": f.sha256, "size": f.size, "pointerSize": f.pointer_size}
                entries.append(entry)
        return entries

    def _resolve(self, rest: str, head: bool) -> None:
        repo, tail = self._find_repo(rest)
        match = re.fullmatch(r"resolve/([^/]+)/(.+)", tail) if repo else None
        if repo is None:
            return self._error(404, "RepoNotFound", "Repository not found", head)
        if match is None:
            return self._error(404, None, "Sorry, we can't find the page you are looking for.", head)
        revision, filename = match.group(1), unquote(match.group(2))
        if not self._revision_ok(repo, revision):
            return self._error(404, "RevisionNotFound", f"Invalid rev id: {unquote(revision)}", head)
        f = repo.files.get(filename)
        if f is None:
            return self._error(404, "EntryNotFound", "Entry not found", head, repo)
        headers = {"X-Repo-Commit": repo.sha, "ETag": f'"{f.blob_id}"', "Accept-Ranges": "bytes"}
        if f.sha256:  # LFS: the Hub redirects to its CDN and describes the target in X-Linked-* headers
            location = f"{self.hub.cdn_url}/lfs/{f.sha256}?filename={quote(f.path.rsplit('/', 1)[-1])}"
            headers.update({"X-Linked-Etag": f'"{f.sha256}"', "X-Linked-Size": str(f.size), "Location": location})
            body = f"Found. Redirecting to {location}".encode()
            return self._send(302, headers, body, head)
        self._send_file(f, headers, head)

    def _cdn(self, rest: str, head: bool) -> None:
        f = self.hub.blobs.get(rest)
        if f is None:
            return self._send(404, {"Content-Type": "text/plain"}, b"NoSuchKey", head)
        name = f.path.rsplit("/", 1)[-1]
        headers = {"ETag": f'"{f.sha256}"', "Accept-Ranges": "bytes",
                   "Content-Disposition": f'inline; filename="{name}"'}
        self._send_file(f, headers, head)

    # ----------------------------------------------------------------- answers
    def _send_file(self, f: RepoFile, headers: dict, head: bool) -> None:
        start, end, status = 0, f.size - 1, 200
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "").strip())
        if match and (match.group(1) or match.group(2)):
            if match.group(1):
                start = int(match.group(1))
                end = min(int(match.group(2)), f.size - 1) if match.group(2) else f.size - 1
            else:  # suffix range: the last N bytes
                start = max(f.size - int(match.group(2)), 0)
            if start > end or start >= f.size:
                headers["Content-Range"] = f"bytes */{f.size}"
                return self._send(416, headers, b"", head)
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{f.size}"
        length = end - start + 1 if f.size else 0
        self._start(status, {"Content-Type": "application/octet-stream", **headers}, length)
        if head or not length:
            return
        with f.source.open("rb") as fh:
            fh.seek(start)
            remaining = length
            while remaining:
                chunk = fh.read(min(_CHUNK, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                self._sent += len(chunk)
                remaining -= len(chunk)

    def _json(self, data, head: bool) -> None:
        self._send(200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(data).encode(), head)

    def _error(self, status: int, code: str | None, message: str, head: bool, repo: ServedRepo | None = None):
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        if repo is not None:  # lets the client cache "this file does not exist at this commit"
            headers["X-Repo-Commit"] = repo.sha
        self._send(status, headers, json.dumps({"error": message}).encode(), head)

    def _send(self, status: int, headers: dict, body: bytes, head: bool) -> None:
        self._start(status, headers, len(body))
        if not head:
            self.wfile.write(body)
            self._sent += len(body)

    def _start(self, status: int, headers: dict, length: int) -> None:
        self._status = status
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()


def _flag(query: dict, name: str) -> bool:
    return any(v.lower() in ("1", "true") for v in query.get(name, []))


def main(argv: list[str] | None = None) -> None:
    import argparse
    import time

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repos", nargs="+", metavar="REPO_ID=FOLDER")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    repos = dict(item.split("=", 1) for item in args.repos)
    with HubStandin(repos, port=args.port) as hub:
        print(f"HF_ENDPOINT={hub.url}", flush=True)
        seen = 0
        try:
            while True:
                time.sleep(0.5)
                new = len(hub.log(seen))
                if new:
                    print(hub.format_log(seen), flush=True)
                    seen += new
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
