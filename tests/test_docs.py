"""The README is the front door: every page of ``docs/`` is linked from it, and every link resolves."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(((?!https?:|#)[^)#\s]+)(?:#[^)]*)?\)")


def test_every_page_of_docs_is_linked_from_the_readme():
    linked = {(ROOT / target).resolve() for target in LINK.findall((ROOT / "README.md").read_text())}
    pages = {page.resolve() for page in (ROOT / "docs").glob("*.md")}
    assert pages and pages <= linked, sorted(p.name for p in pages - linked)


def test_every_relative_link_in_the_readme_and_the_docs_resolves():
    broken = [
        f"{page.relative_to(ROOT)} -> {target}"
        for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
        for target in LINK.findall(page.read_text())
        if not (page.parent / target).exists()
    ]
    assert not broken, broken


def test_the_readme_fits_on_a_few_screens():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 350
