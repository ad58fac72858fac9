"""The consular guide against PostgreSQL: versions, review rights, and search in every language."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.db import make_engine
from api.guide.cli import export_articles, import_articles
from api.guide.files import parse, read_folder, read_synonyms
from api.security.tokens import Role
from tests.db.conftest import T0
from tests.support.database import REPO, empty_tables

GUIDE_TABLES = (
    "guide_article_uses",
    "guide_searches",
    "guide_words",
    "guide_synonyms",
    "guide_proposals",
    "guide_translations",
    "guide_articles",
    "guide_categories",
)

PASSPORT = {
    "slug": "passeport-biometrique",
    "original_language": "fr",
    "request_type": 1,
    "tags": ["passeport"],
    "source": "Guide consulaire (exemple)",
    "translations": [
        {
            "language": "fr",
            "title": "Passeport biométrique : première demande",
            "body": "Pièces à fournir : acte de naissance, carte nationale d'identité électronique, photos.",
        },
        {
            "language": "ar",
            "title": "جَوَازُ السَّفَرِ البيومتري: الطلب الأول",
            "body": "الوثائق المطلوبة: عقد الازدياد، البطاقة الوطنية للتعريف الإلكترونية، صور.",
        },
        {
            "language": "zgh",
            "title": "ⴰⵙⵉⴽⵍ ⴰⴱⵢⵓⵎⵉⵜⵔⵉ",
            "body": "ⵜⴰⴽⴰⵔⴹⴰ ⵜⴰⵏⴰⵎⵓⵔⵜ ⵏ ⵜⵎⴰⴳⵉⵜ",
        },
    ],
}
CIVIL = {
    "slug": "transcription-naissance",
    "original_language": "fr",
    "request_type": 1,
    "translations": [
        {
            "language": "fr",
            "title": "Transcription d'un acte de naissance",
            "body": "Déclarer la naissance d'un enfant né à l'étranger auprès du consulat, dans les 30 jours.",
        },
        {"language": "en", "title": "Registering a birth", "body": "Children born abroad are registered."},
    ],
}


@pytest.fixture
async def guide(client: httpx.AsyncClient, database_url: str) -> httpx.AsyncClient:
    await empty_tables(database_url, *GUIDE_TABLES, "guide_versions")
    return client


async def publish(client: httpx.AsyncClient, auth: dict[Role, dict[str, str]], article: dict[str, Any]) -> int:
    created = await client.post("/guide/articles", json=article, headers=auth[Role.SUPERVISOR])
    assert created.status_code == 201, created.text
    moved = await client.post(
        f"/guide/articles/{article['slug']}/state", json={"state": "published"}, headers=auth[Role.SUPERVISOR]
    )
    assert moved.status_code == 200, moved.text
    return int(created.json()["id"])


async def hits(client: httpx.AsyncClient, query: str, language: str | None = None) -> list[str]:
    params = {"q": query} | ({"language": language} if language else {})
    found = await client.get("/portal/guide/search", params=params)
    assert found.status_code == 200, found.text
    return [hit["slug"] for hit in found.json()["hits"]]


async def test_every_edit_is_a_version_and_translations_fall_out_of_date(
    guide: httpx.AsyncClient, auth: dict[Role, dict[str, str]]
) -> None:
    await publish(guide, auth, PASSPORT)
    edited = await guide.patch(
        "/guide/articles/passeport-biometrique",
        json={
            "translations": [{"language": "fr", "title": "Passeport biométrique", "body": "Nouvelle liste."}],
            "note": "liste mise à jour",
        },
        headers=auth[Role.SUPERVISOR],
    )
    assert edited.status_code == 200, edited.text
    translations = {t["language"]: t for t in edited.json()["translations"]}
    assert translations["fr"]["version"] == 2
    assert not translations["fr"]["out_of_date"]
    assert translations["ar"]["out_of_date"] and translations["zgh"]["out_of_date"]

    arabic = {"language": "ar", "title": "جواز السفر البيومتري", "body": "لائحة جديدة."}
    caught_up = await guide.patch(
        "/guide/articles/passeport-biometrique", json={"translations": [arabic]}, headers=auth[Role.SUPERVISOR]
    )
    translations = {t["language"]: t for t in caught_up.json()["translations"]}
    assert (translations["ar"]["version"], translations["ar"]["out_of_date"]) == (2, False)

    history = (await guide.get("/guide/articles/passeport-biometrique/history", headers=auth[Role.AGENT])).json()
    actions = [(row["action"], row["language"], row["version"]) for row in history]
    assert actions[:2] == [("edited", "ar", 2), ("edited", "fr", 2)]
    assert ("state", None, None) in actions
    assert history[1]["note"] == "liste mise à jour" and history[1]["body"] == "Nouvelle liste."
    assert sorted(row["language"] for row in history if row["action"] == "created") == ["ar", "fr", "zgh"]


async def test_review_rights(guide: httpx.AsyncClient, auth: dict[Role, dict[str, str]]) -> None:
    agent, supervisor = auth[Role.AGENT], auth[Role.SUPERVISOR]
    drafted = await guide.post("/guide/articles", json=CIVIL, headers=agent)
    assert drafted.status_code == 201 and drafted.json()["state"] == "draft"
    # the author may edit the draft and submit it, never publish it
    key = "/guide/articles/transcription-naissance"
    change = {"translations": [{"language": "fr", "title": "Transcription", "body": "Naissance."}]}
    assert (await guide.patch(key, json=change, headers=agent)).status_code == 200
    assert (await guide.post(f"{key}/state", json={"state": "published"}, headers=agent)).status_code == 403
    assert (await guide.post(f"{key}/state", json={"state": "in_review"}, headers=agent)).json()["state"] == "in_review"
    assert (await guide.patch(key, json=change, headers=agent)).status_code == 403  # in review: the consul's now
    assert (await guide.post(f"{key}/state", json={"state": "archived"}, headers=supervisor)).status_code == 200
    assert (await guide.post(f"{key}/state", json={"state": "published"}, headers=supervisor)).status_code == 409

    # amendments: an agent proposes, a supervisor accepts (a new version), an agent may not review
    await publish(guide, auth, PASSPORT)
    proposal = await guide.post(
        "/guide/articles/passeport-biometrique/proposals",
        json={
            "language": "fr",
            "title": "Passeport biométrique",
            "body": "Ajouter : ancien passeport.",
            "note": "vu au téléphone",
        },
        headers=agent,
    )
    assert proposal.status_code == 201, proposal.text
    queue = (await guide.get("/guide/proposals", headers=supervisor)).json()
    assert [row["id"] for row in queue] == [proposal.json()["id"]]
    review = f"/guide/proposals/{proposal.json()['id']}/review"
    assert (await guide.post(review, json={"accept": True}, headers=agent)).status_code == 403
    accepted = await guide.post(review, json={"accept": True}, headers=supervisor)
    assert accepted.json()["status"] == "accepted"
    assert (await guide.post(review, json={"accept": False}, headers=supervisor)).status_code == 409
    article = (await guide.get("/guide/articles/passeport-biometrique", headers=agent)).json()
    french = next(t for t in article["translations"] if t["language"] == "fr")
    assert (french["version"], french["body"]) == (2, "Ajouter : ancien passeport.")
    # the public guide shows published articles only
    assert (await guide.get("/portal/guide/articles/transcription-naissance")).status_code == 404
    assert (await guide.get("/portal/guide/articles/passeport-biometrique")).status_code == 200
    assert (await guide.post("/guide/synonyms", json={"terms": ["a", "b"]}, headers=agent)).status_code == 403


async def test_search_in_every_language(guide: httpx.AsyncClient, auth: dict[Role, dict[str, str]]) -> None:
    await publish(guide, auth, PASSPORT)
    await publish(guide, auth, CIVIL)
    draft = {
        **CIVIL,
        "slug": "brouillon",
        "translations": [{"language": "fr", "title": "Passeport perdu", "body": "x"}],
    }
    assert (await guide.post("/guide/articles", json=draft, headers=auth[Role.AGENT])).status_code == 201

    passport = ["passeport-biometrique"]
    # Arabic: with and without tashkeel, with the waw and al prefixes, hamza forms
    assert await hits(guide, "جواز السفر", "ar") == passport
    assert await hits(guide, "جَوَازُ", "ar") == passport
    assert await hits(guide, "والجواز", "ar") == passport
    assert await hits(guide, "الوثائق", "ar") == passport
    assert await hits(guide, "البطاقه الوطنيه", "ar") == passport  # ta marbuta typed as ha
    # French without accents, a misspelling, any language
    assert await hits(guide, "piece a fournir", "fr") == passport
    assert await hits(guide, "pasport biometrique") == passport
    assert (await hits(guide, "naissance etranger", "fr"))[:1] == ["transcription-naissance"]
    assert await hits(guide, "children born", "en") == ["transcription-naissance"]
    # Amazigh in Tifinagh, through `simple`
    assert await hits(guide, "ⵜⴰⴽⴰⵔⴹⴰ", "zgh") == passport
    # a draft is never in the public search
    assert "brouillon" not in await hits(guide, "passeport perdu")

    # synonyms: a Darija word finds the French article once a supervisor says what it means
    assert await hits(guide, "lbasbor", "fr") == []
    added = await guide.post(
        "/guide/synonyms", json={"terms": ["lbasbor", "passeport", "جواز"]}, headers=auth[Role.SUPERVISOR]
    )
    assert added.status_code == 201, added.text
    assert await hits(guide, "lbasbor", "fr") == passport

    params = {"q": "naissance", "language": "fr"}
    found = (await guide.get("/guide/search", params=params, headers=auth[Role.AGENT])).json()
    assert [("\u0002naissance\u0003" in hit["snippet"]) for hit in found["hits"]] == [True, True]
    clicked = await guide.post(
        f"/guide/searches/{found['search_id']}/click",
        json={"article_id": found["hits"][0]["article_id"]},
        headers=auth[Role.AGENT],
    )
    assert clicked.status_code == 204
    report = (await guide.get("/guide/report", headers=auth[Role.SUPERVISOR])).json()
    missing = {(row["query"], row["language"]) for row in report["not_found"]}
    assert ("lbasbor", "fr") in missing
    assert ("naissance", "fr") not in missing  # it was clicked
    assert any(row["query"] == "جواز السفر" and row["language"] == "ar" for row in report["most_asked"])


async def test_articles_used_are_kept_with_a_request(
    guide: httpx.AsyncClient, auth: dict[Role, dict[str, str]]
) -> None:
    article_id = await publish(guide, auth, PASSPORT)
    opened = await guide.post(
        "/portal/requests",
        json={"request_type": 1, "language": "fr", "contact": "a@example.org", "description": "passeport"},
    )
    assert opened.status_code == 201, opened.text
    reference = opened.json()["reference"]
    body = {"article_ids": [article_id], "request": reference}
    linked = await guide.post("/guide/uses", json=body, headers=auth[Role.SUPERVISOR])
    assert linked.status_code == 200, linked.text
    again = await guide.post("/guide/uses", json=body, headers=auth[Role.SUPERVISOR])
    assert [use["slug"] for use in again.json()] == ["passeport-biometrique"]
    suggested = await guide.get(
        "/guide/suggestions", params={"reference": reference, "language": "fr"}, headers=auth[Role.AGENT]
    )
    assert [hit["slug"] for hit in suggested.json()["hits"]][:1] == ["passeport-biometrique"]


async def test_the_sample_guide_imports_once_and_exports_back(
    guide: httpx.AsyncClient, database_url: str, auth: dict[Role, dict[str, str]]
) -> None:
    articles, categories = read_folder(REPO / "examples" / "guide")
    engine = make_engine(database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            synonyms = read_synonyms(REPO / "examples" / "guide")
            first = await import_articles(session, articles=articles, categories=categories, synonyms=synonyms, now=T0)
            again = await import_articles(session, articles=articles, categories=categories, synonyms=synonyms, now=T0)
            exported = await export_articles(session)
    finally:
        await engine.dispose()
    assert first == {"created": len(articles), "updated": 0, "unchanged": 0} and len(articles) >= 12
    assert again == {"created": 0, "updated": 0, "unchanged": len(articles)}
    assert set(exported) == {path.name for path in (REPO / "examples" / "guide").glob("*.*.md")} | {"categories.toml"}
    reparsed = parse(exported["passeport-premiere-demande.fr.md"], name="x")
    assert (reparsed.request_type, reparsed.sample, reparsed.meta["category"]) == (1, True, "passeport")
    assert await hits(guide, "passeport perdu", "fr") == ["passeport-perte"]
    assert (await hits(guide, "ضياع الجواز", "ar"))[:1] == ["passeport-perte"]
    assert (await hits(guide, "lbasbor perdu", "fr"))[:1] == ["passeport-perte"]  # a Darija word (synonyms.toml)
    assert len((await guide.get("/guide/synonyms", headers=auth[Role.AGENT])).json()) == len(synonyms)  # once
    assert sorted(await hits(guide, "ⵜⴰⴽⴰⵔⴹⴰ", "zgh")) == ["cnie-premiere-demande", "passeport-premiere-demande"]
