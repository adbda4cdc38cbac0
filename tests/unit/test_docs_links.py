"""The README and the docs are self-contained: every link resolves to a file of the repository.

A link (`[text](target)` or an image) that is not a URL must name a tracked file or folder inside
the repository, resolved relative to the Markdown file; an anchor (`#section`) must name a heading
of the file it points at (GitHub's heading ids). No document may point at a path outside the
repository, linked or quoted: the design notes and the data provenance live in docs/.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
URL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
# Documents of the workspace the project grew up in, which a clone of the repository does not have.
OUTSIDE_NAMES = ("DESIGN.md", "PROVENANCE.md", "shared/data", "shared/papers", "../shared")


def _tracked(root: Path = ROOT) -> list[str]:
    result = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.skip("not a git checkout")
    return [name for name in result.stdout.split("\0") if name]


def with_folders(files: list[str]) -> frozenset[str]:
    folders = {parent.as_posix() for name in files for parent in Path(name).parents if parent != Path(".")}
    return frozenset(files) | frozenset(folders)


def slug(heading: str) -> str:
    """GitHub's heading id: lower case, markup and punctuation dropped, spaces as hyphens."""
    text = re.sub(r"`|\*\*|__|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading.strip())
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in FENCE.sub("", path.read_text(encoding="utf-8")).splitlines():
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(document: str, root: Path, tracked: frozenset[str]) -> list[str]:
    """What is wrong with each link of one Markdown file of `root` (empty when all resolve)."""
    source = root / document
    text = FENCE.sub("", source.read_text(encoding="utf-8"))
    problems = []
    for target in LINK.findall(text):
        if URL.match(target):
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (source.parent / path_part).resolve() if path_part else source.resolve()
        if not resolved.is_relative_to(root.resolve()):
            problems.append(f"{document}: {target} points outside the repository")
            continue
        relative = resolved.relative_to(root.resolve()).as_posix()
        if path_part and relative not in tracked:
            problems.append(f"{document}: {target} is not a file of the repository")
            continue
        if anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            problems.append(f"{document}: {target} names no heading of {relative}")
    return problems


def outside_pointers(document: str, root: Path) -> list[str]:
    """Paths quoted in code spans that leave the repository, and names of workspace documents."""
    source = root / document
    text = source.read_text(encoding="utf-8")
    problems = [
        f"{document}: mentions {name}, which is not in the repository"
        for name in OUTSIDE_NAMES
        if name in text
    ]
    for span in CODE_SPAN.findall(text):
        for word in span.split():
            if word.startswith("../") and not (source.parent / word).resolve().is_relative_to(root.resolve()):
                problems.append(f"{document}: `{word}` points outside the repository")
    return problems


def test_the_checks_find_broken_and_outside_links(tmp_path: Path) -> None:
    """A missing file, an escaping path, a wrong anchor, a quoted outside path; fences are skipped."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# Title\n\n## Some `code` section\n", encoding="utf-8")
    (tmp_path / "README.md").write_text(
        "# Read me\n[ok](docs/a.md#some-code-section) [img](docs/a.md) [web](https://example.org)\n"
        "[here](#read-me)\n"
        "[gone](docs/missing.md) [up](../DESIGN.md) [anchor](docs/a.md#nothing-here)\n"
        "read `../shared/data/x.csv`\n```\n[in a fence](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    tracked = with_folders(["README.md", "docs/a.md"])
    assert broken_links("README.md", tmp_path, tracked) == [
        "README.md: docs/missing.md is not a file of the repository",
        "README.md: ../DESIGN.md points outside the repository",
        "README.md: docs/a.md#nothing-here names no heading of docs/a.md",
    ]
    assert broken_links("docs/a.md", tmp_path, tracked) == []
    assert outside_pointers("README.md", tmp_path) == [
        "README.md: mentions DESIGN.md, which is not in the repository",
        "README.md: mentions shared/data, which is not in the repository",
        "README.md: mentions ../shared, which is not in the repository",
        "README.md: `../shared/data/x.csv` points outside the repository",
    ]


DOCUMENTS = sorted(name for name in _tracked() if name.endswith(".md"))


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_link_resolves_inside_the_repository(document: str) -> None:
    assert broken_links(document, ROOT, with_folders(_tracked())) == []


@pytest.mark.parametrize("document", DOCUMENTS)
def test_no_document_points_outside_the_repository(document: str) -> None:
    assert outside_pointers(document, ROOT) == []


def test_readme_has_a_table_of_contents_of_its_sections() -> None:
    readme = ROOT / "README.md"
    sections = {
        slug(line[3:]) for line in readme.read_text(encoding="utf-8").splitlines() if line.startswith("## ")
    }
    linked = {
        target[1:] for target in LINK.findall(readme.read_text(encoding="utf-8")) if target.startswith("#")
    }
    assert sections - {"contents"} <= linked, f"sections missing from the contents: {sections - linked}"
