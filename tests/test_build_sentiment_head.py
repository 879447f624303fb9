"""tools/build_sentiment_head.py: reading the rated corpus out of the sdist and labelling it (no network)."""

from __future__ import annotations

import importlib.util
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "build_sentiment_head.py"


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location("build_sentiment_head", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _fake_sdist(tmp_path: Path, build) -> Path:
    sets = {
        "amazonReviewSnippets": "1_1\t-2.5\tBroke after a week.\n1_2\t0.1\tIt comes in a box.\n",
        "movieReviewSnippets": "1\t3.1\tA joy from start to finish.\n2\t0.2\t\n",  # an empty text is skipped
        "nytEditorialSnippets": "1_1\t-0.4\tThe council met on Tuesday.\n",
        "tweets": "1\t1.9\tLoving the new phone!\nnot a rated line\n",
    }
    inner = _tar({f"hutto_ICWSM_2014/{name}_GroundTruth.txt": text.encode() for name, text in sets.items()})
    path = tmp_path / "vaderSentiment-3.3.2.tar.gz"
    path.write_bytes(_tar({f"vaderSentiment-3.3.2/{build.INNER}": inner, "vaderSentiment-3.3.2/setup.py": b""}))
    return path


def test_reads_every_rated_snippet_of_the_four_sets(tmp_path, build):
    rows = build.read_corpus(_fake_sdist(tmp_path, build))
    assert rows == [
        ("amazonReviewSnippets", -2.5, "Broke after a week."),
        ("amazonReviewSnippets", 0.1, "It comes in a box."),
        ("movieReviewSnippets", 3.1, "A joy from start to finish."),
        ("nytEditorialSnippets", -0.4, "The council met on Tuesday."),
        ("tweets", 1.9, "Loving the new phone!"),
    ]


def test_mean_ratings_become_three_classes_with_a_neutral_band(build):
    labels = build.labels_of(np.array([-2.5, -0.51, -0.5, 0.0, 0.5, 0.51, 3.0]))
    assert labels.tolist() == [0, 0, 1, 1, 1, 2, 2]


def test_a_tampered_download_is_refused(tmp_path, build, monkeypatch):
    def fake_download(cmd, check):
        (Path(cmd[cmd.index("-d") + 1]) / "vaderSentiment-3.3.2.tar.gz").write_bytes(b"not the release")

    monkeypatch.setattr(build.subprocess, "run", fake_download)
    with pytest.raises(SystemExit, match="sha256"):
        build.fetch_sdist(tmp_path)
