"""The project documents itself: no file points outside the repository for its rules, design or
report format, and every `docs/<file>.md#anchor` cited anywhere is a heading of that file.

Anchors are GitHub's: a heading's text, lower-cased, punctuation dropped, each space a hyphen
(a repeated heading gets -1, -2 …). Headings inside fenced code blocks do not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

# Not the repository's content: version control, the virtualenv, and what .gitignore keeps out
# (the embedded stack's data and logs, caches, build output).
SKIPPED_DIRS = {".git", ".venv", "venv", ".gongkai", "__pycache__", ".pytest_cache",
                ".ruff_cache", ".mypy_cache", ".hypothesis", "build", "dist", "node_modules"}

# Citations of the documents the project was first written against, which live beside the
# repository and which no one who clones it can read. Written so that this file does not
# match itself.
OUTSIDE = [
    re.compile(r"\b(?:DOMAIN|DESIGN|REPORT_FORMAT)\.md\b"),
    re.compile(r"\.\./shared\b"),
    re.compile(r"/work/\bshared\b"),
    re.compile(r"\bDOMAIN §"),
    re.compile(r"\bDESIGN(?: invariant|:|\))"),
    re.compile(r"(?<![\w-])seeds/\d"),  # the original documents' folder
]

CITED = re.compile(r"(?<![\w/.-])docs/([\w-]+\.md)(?:#([\w-]+))?")
RELATIVE_LINK = re.compile(r"\]\(([\w-]+\.md)?#([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def _files() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*")):
        rel = path.relative_to(ROOT)
        if any(part in SKIPPED_DIRS or part.endswith(".egg-info") for part in rel.parts):
            continue
        if path.is_file():
            yield path


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None  # images, workbooks, PDFs
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts by its text
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in markdown.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        m = None if fenced else HEADING.match(line)
        if m is None:
            continue
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    found.update(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", markdown))
    return found


def _doc_anchors() -> dict[str, set[str]]:
    return {p.name: anchors(p.read_text(encoding="utf-8")) for p in DOCS.glob("*.md")}


def test_the_slug_is_githubs():
    assert slug("Fee notice and payment") == "fee-notice-and-payment"
    assert slug("All errors at once; the provisional calendar (issue 16)") == (
        "all-errors-at-once-the-provisional-calendar-issue-16")
    assert slug("Performance choices (issue 7; figures in bench/RESULTS.md)") == (
        "performance-choices-issue-7-figures-in-benchresultsmd")
    assert slug("Table 三 — requests") == "table-三--requests"
    assert anchors("# A\n```\n# not a heading\n```\n## A\n") == {"a", "a-1"}


def test_no_file_cites_documents_outside_the_repository():
    offending = []
    for path in _files():
        text = _text(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if any(p.search(line) for p in OUTSIDE):
                offending.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert not offending, ("cite docs/domain.md, docs/architecture.md or docs/report-format.md "
                           "instead:\n" + "\n".join(offending))


def test_every_cited_doc_and_anchor_exists():
    docs = _doc_anchors()
    missing = []
    for path in _files():
        text = _text(path)
        if text is None:
            continue
        where = path.relative_to(ROOT)
        for number, line in enumerate(text.splitlines(), 1):
            for name, anchor in CITED.findall(line):
                if name not in docs:
                    missing.append(f"{where}:{number}: docs/{name} does not exist")
                elif anchor and anchor not in docs[name]:
                    missing.append(f"{where}:{number}: docs/{name} has no heading #{anchor}")
    assert not missing, "\n".join(missing)


def test_links_between_the_docs_reach_their_headings():
    docs = _doc_anchors()
    missing = []
    for page in sorted(DOCS.glob("*.md")):
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            for name, anchor in RELATIVE_LINK.findall(line):
                target = name or page.name
                if target not in docs:
                    missing.append(f"docs/{page.name}:{number}: {target} does not exist")
                elif anchor not in docs[target]:
                    missing.append(f"docs/{page.name}:{number}: {target} has no heading #{anchor}")
    assert not missing, "\n".join(missing)


def test_the_readme_lists_the_documentation():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("domain.md", "report-format.md", "architecture.md", "privacy.md",
                 "decisions.md"):
        assert f"(docs/{name})" in readme, name


def test_the_documented_policy_defaults_are_the_declared_ones():
    """docs/domain.md states the correction period a reader needs (its default and limits);
    the declaration in shared/contracts/agencies.py is the fact, and this keeps the two equal
    when it changes (the worked example in docs/architecture.md)."""
    from typing import get_args

    from shared.contracts.agencies import AgencyPolicies, CorrectionPeriod

    text = (DOCS / "domain.md").read_text(encoding="utf-8")
    stated = dict(re.findall(r"policy `(\w+)`, default (\w+)", text))
    assert "correction_period_working_days" in stated
    for name, value in stated.items():
        assert str(AgencyPolicies.model_fields[name].default) == value, (
            f"docs/domain.md says {name} defaults to {value}")
    low, high = re.search(r"the notice itself sets \((\d+)–(\d+)\)", text).groups()
    ge, le = get_args(CorrectionPeriod)[1].metadata
    assert (int(low), int(high)) == (ge.ge, le.le), (
        "docs/domain.md states other limits of the correction period than CorrectionPeriod")
