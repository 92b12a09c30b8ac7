"""The API docs render on a machine with no internet: /docs loads its JS, CSS and favicon from
the service itself, never from a CDN; FastAPI's CDN pages (/redoc too) are gone."""

from __future__ import annotations

import importlib
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared import http
from shared.settings import Settings

CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


def assert_offline(client: TestClient, page: str) -> list[str]:
    answer = client.get(page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert not re.findall(r"https?://[^\s'\"<>]+", answer.text)  # no other host, not even fonts
    urls = links(answer.text)
    assert urls
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and parts.path.startswith("/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
        suffix = parts.path[parts.path.rfind("."):]
        assert asset.headers["content-type"].startswith(CONTENT_TYPES[suffix]), url
    return urls


@pytest.mark.parametrize("app", [FastAPI(), FastAPI(docs_url=None, redoc_url=None)],
                         ids=["fastapi-defaults", "as-the-services-make-it"])
def test_docs_load_every_asset_from_the_service(app, monkeypatch):
    monkeypatch.setenv("GONGKAI_PUBLIC_RATE", "1")  # burst 10: the assets are not rate-limited
    http.install(app, "test", Settings.from_env(), public=("/v1/",))

    @app.get("/v1/things")
    async def things() -> list[str]:
        return []

    client = TestClient(app)
    for _ in range(6):
        urls = assert_offline(client, "/docs")
    assert {urlsplit(u).path for u in urls} == {
        "/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css",
        "/docs-assets/favicon.png"}
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 200
    spec = client.get("/openapi.json")
    assert spec.status_code == 200 and "/v1/things" in spec.json()["paths"]
    assert "url: '/openapi.json'" in client.get("/docs").text
    # Swagger UI 5: 4.x answers an OpenAPI 3.1 document with "Unable to render this definition".
    assert spec.json()["openapi"].startswith("3.1")
    assert client.get("/docs-assets/swagger-ui-bundle.js").text.count("isOAS31") > 0


def test_behind_a_path_prefix_the_page_asks_for_the_prefixed_assets():
    app = FastAPI(docs_url=None, redoc_url=None)
    http.install(app, "test", Settings.from_env())
    page = TestClient(app, root_path="/intake").get("/docs").text
    assert {urlsplit(u).path for u in links(page)} == {
        "/intake/docs-assets/swagger-ui-bundle.js", "/intake/docs-assets/swagger-ui.css",
        "/intake/docs-assets/favicon.png"}
    assert "url: '/intake/openapi.json'" in page


@pytest.mark.parametrize("service", ["intake", "casework", "reporting", "notify"])
def test_every_service_serves_its_docs_offline(service, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:9/none")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    monkeypatch.setenv("GONGKAI_HOME", str(tmp_path))
    app = importlib.import_module(f"services.{service}.bootstrap").create_app()
    client = TestClient(app)  # not entered: the lifespan, which connects, does not run
    assert_offline(client, "/docs")
    assert client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").status_code == 200
