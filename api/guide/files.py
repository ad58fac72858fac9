"""Guide articles as Markdown files with front matter: one file per article and language, `<slug>.<lang>.md`.

Rules:
- The front matter is flat `key: value` lines between two `---` lines: slug, language, original_language,
  category, request_type, tags (comma separated), source, last_checked (YYYY-MM-DD), state, sample (true|false).
  The first `# ` line of the body is the title; the rest is the article's Markdown.
- The article's fields come from its original-language file; the other files give only their text.
- `categories.toml` beside the files holds the category tree: `[slug]` tables with `parent`, `position` and
  one name per language (`fr = "Passeport"`); `synonyms.toml` (optional) holds `groups = [["lbasbor",
  "passeport", "جواز السفر"], ...]`.
- Pure: parsing and rendering only; api.guide.cli reads and writes the files and the database.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

FENCE = "---"


class GuideFileError(ValueError):
    """A file that is not a guide article; the message names it."""


@dataclass
class ArticleFile:
    slug: str
    language: str
    title: str
    body: str
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def tags(self) -> list[str]:
        return [tag.strip() for tag in self.meta.get("tags", "").split(",") if tag.strip()]

    @property
    def request_type(self) -> int | None:
        value = self.meta.get("request_type", "").strip()
        return int(value) if value else None

    @property
    def last_checked(self) -> date | None:
        value = self.meta.get("last_checked", "").strip()
        return date.fromisoformat(value) if value else None

    @property
    def sample(self) -> bool:
        return self.meta.get("sample", "").strip().lower() == "true"


def parse(text: str, *, name: str) -> ArticleFile:
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != FENCE or FENCE not in (line.strip() for line in lines[1:]):
        raise GuideFileError(f"{name}: no front matter (a '---' line, key: value lines, a '---' line)")
    end = next(index for index, line in enumerate(lines[1:], start=1) if line.strip() == FENCE)
    meta: dict[str, str] = {}
    for line in lines[1:end]:
        if line.strip():
            key, separator, value = line.partition(":")
            if not separator:
                raise GuideFileError(f"{name}: front matter line {line!r} is not 'key: value'")
            meta[key.strip()] = value.strip()
    rest = lines[end + 1 :]
    heading = next((index for index, line in enumerate(rest) if line.startswith("# ")), None)
    if heading is None:
        raise GuideFileError(f"{name}: no '# Title' line")
    for required in ("slug", "language"):
        if not meta.get(required):
            raise GuideFileError(f"{name}: front matter needs {required}")
    body = "\n".join(rest[:heading] + rest[heading + 1 :]).strip()
    return ArticleFile(meta["slug"], meta["language"], rest[heading][2:].strip(), body, meta)


def render(article: ArticleFile) -> str:
    lines = [FENCE] + [f"{key}: {value}" for key, value in article.meta.items() if value != ""] + [FENCE]
    return "\n".join([*lines, "", f"# {article.title}", "", article.body.strip(), ""])


def file_name(slug: str, language: str) -> str:
    return f"{slug}.{language}.md"


def read_synonyms(folder: Path) -> list[list[str]]:
    """The synonym groups of synonyms.toml, or none."""
    path = folder / "synonyms.toml"
    if not path.exists():
        return []
    groups = tomllib.loads(path.read_text(encoding="utf-8")).get("groups", [])
    if not isinstance(groups, list) or not all(isinstance(group, list) for group in groups):
        raise GuideFileError("synonyms.toml: groups must be a list of lists of terms")
    return [[str(term) for term in group] for group in groups]


def read_folder(folder: Path) -> tuple[dict[str, list[ArticleFile]], dict[str, dict[str, Any]]]:
    """The folder's articles (by slug, each file once) and its categories (categories.toml, or none)."""
    articles: dict[str, list[ArticleFile]] = {}
    for path in sorted(folder.glob("*.md")):
        if path.name.upper().startswith("README"):
            continue
        parsed = parse(path.read_text(encoding="utf-8"), name=path.name)
        articles.setdefault(parsed.slug, []).append(parsed)
    categories_file = folder / "categories.toml"
    categories = tomllib.loads(categories_file.read_text(encoding="utf-8")) if categories_file.exists() else {}
    return articles, categories
