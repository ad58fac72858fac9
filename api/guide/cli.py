"""`ivr guide import DIR` and `ivr guide export DIR`: the guide as Markdown files (api.guide.files).

Rules:
- Import is idempotent: a new slug is created (as `guide-import`, an admin) in the state its front matter
  names (published by default); a known one gets a new version only for the languages whose text changed; an
  unchanged folder changes nothing, so `make run` may import the sample guide at every start.
- Export writes every article in every state, one file per language, and categories.toml.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.config import ApiSettings
from api.crud import guide, guide_upkeep
from api.guide.files import ArticleFile, GuideFileError, file_name, read_folder, read_synonyms, render
from api.schemas.guide import ArticleCreate, ArticleState, ArticleUpdate, CategoryCreate, TranslationIn
from api.security.tokens import Principal, Role

IMPORTER = Principal(name="guide-import", role=Role.ADMIN)


async def import_articles(
    session: AsyncSession,
    *,
    articles: dict[str, list[ArticleFile]],
    categories: dict[str, dict[str, Any]],
    synonyms: list[list[str]] | None = None,
    now: datetime,
) -> dict[str, int]:
    """Counts of articles created, updated and unchanged (api.guide.files.read_folder reads a folder)."""
    for slug, fields in categories.items():
        names = {key: str(value) for key, value in fields.items() if key not in {"parent", "position"}}
        await guide_upkeep.save_category(
            session,
            category_in=CategoryCreate(
                slug=slug, parent=fields.get("parent"), names=names, position=int(fields.get("position", 0))
            ),
        )
    known = {tuple(row.terms) for row in await guide_upkeep.list_synonyms(session)}
    for group in synonyms or []:
        if tuple(guide_upkeep.synonym_terms(group)) not in known:
            await guide_upkeep.save_synonyms(session, terms=group, actor=IMPORTER.name, now=now)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for slug, files in articles.items():
        original = _original(slug, files)
        translations = [TranslationIn(language=f.language, title=f.title, body=f.body) for f in files]
        found = await guide.find_article(session, key=slug)
        if found is None:
            article = await guide.create_article(
                session,
                article_in=ArticleCreate(
                    slug=slug,
                    category=original.meta.get("category") or None,
                    original_language=original.language,
                    request_type=original.request_type,
                    tags=original.tags,
                    source=original.meta.get("source", ""),
                    last_checked=original.last_checked,
                    translations=translations,
                    sample=original.sample,
                ),
                principal=IMPORTER,
                now=now,
            )
            state = ArticleState(original.meta.get("state") or ArticleState.PUBLISHED.value)
            if state != ArticleState.DRAFT:
                await guide.move_article(
                    session, article=article, to_state=state, note="imported", principal=IMPORTER, now=now
                )
            counts["created"] += 1
            continue
        view = await guide.view_article(session, article=found)
        current = {t.language: (t.title, t.body) for t in view.translations}
        changed = [t for t in translations if current.get(t.language) != (t.title, t.body)]
        if changed:
            await guide.update_article(
                session,
                article=found,
                article_in=ArticleUpdate(translations=changed, note="imported"),
                principal=IMPORTER,
                now=now,
            )
        counts["updated" if changed else "unchanged"] += 1
    return counts


def _original(slug: str, files: list[ArticleFile]) -> ArticleFile:
    declared = next((f.meta["original_language"] for f in files if f.meta.get("original_language")), None)
    language = declared or files[0].language
    original = next((f for f in files if f.language == language), None)
    if original is None:
        raise GuideFileError(f"{slug}: no file in its original language {language!r}")
    return original


async def export_articles(session: AsyncSession) -> dict[str, str]:
    """Every article as files: name -> text."""
    files: dict[str, str] = {}
    for view, _ in await guide.list_articles(session, limit=100_000):
        article = view.article
        for translation in view.translations:
            meta: dict[str, str] = {"slug": article.slug, "language": translation.language}
            if translation.language == article.original_language:
                meta |= {
                    "original_language": article.original_language,
                    "category": view.category or "",
                    "request_type": "" if article.request_type is None else str(article.request_type),
                    "tags": ", ".join(article.tags),
                    "source": article.source,
                    "last_checked": "" if article.last_checked is None else article.last_checked.isoformat(),
                    "state": article.state,
                    "sample": "true" if article.sample else "",
                }
            else:
                meta["original_language"] = article.original_language
            text = render(ArticleFile(article.slug, translation.language, translation.title, translation.body, meta))
            files[file_name(article.slug, translation.language)] = text
    lines: list[str] = []
    for category, parent in await guide_upkeep.list_categories(session):
        lines.append(f"[{category.slug}]")
        if parent:
            lines.append(f'parent = "{parent}"')
        lines.append(f"position = {category.position}")
        lines += [f"{language} = {_toml_string(name)}" for language, name in category.names.items()]
        lines.append("")
    files["categories.toml"] = "\n".join(lines)
    return files


def _toml_string(value: Any) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(argv: list[str]) -> int:
    """`ivr guide import|export DIR`: 0 when done, 1 on a bad file, 2 on bad usage."""
    parser = argparse.ArgumentParser(prog="ivr guide", description="The consular guide as Markdown files.")
    commands = parser.add_subparsers(dest="command", required=True)
    for verb, text in (("import", "create or update articles from DIR"), ("export", "write every article to DIR")):
        commands.add_parser(verb, help=text).add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    from api.cli import _with_session  # the CLI's one way to a migrated database

    folder: Path = args.folder
    if args.command == "export":
        exported: dict[str, str] = {}

        async def export(session: AsyncSession) -> int:
            exported.update(await export_articles(session))
            return 0

        asyncio.run(_with_session(ApiSettings(), export))
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in exported.items():
            (folder / name).write_text(text, encoding="utf-8")
        print(f"ivr guide: {len(exported)} files written to {folder}", file=sys.stderr)
        return 0
    try:
        articles, categories = read_folder(folder)
        synonyms = read_synonyms(folder)
    except (GuideFileError, OSError, ValueError) as error:
        print(f"ivr guide: {error}", file=sys.stderr)
        return 1

    async def load(session: AsyncSession) -> int:
        try:
            counts = await import_articles(
                session, articles=articles, categories=categories, synonyms=synonyms, now=datetime.now(UTC)
            )
        except (GuideFileError, guide.GuideError, ValueError) as error:
            print(f"ivr guide: {error}", file=sys.stderr)
            return 1
        print("ivr guide: " + ", ".join(f"{count} {name}" for name, count in counts.items()), file=sys.stderr)
        return 0

    return asyncio.run(_with_session(ApiSettings(), load))
