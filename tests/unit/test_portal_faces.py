"""One portal, two faces: a deployment can serve the public site and the staff console from
different processes (GONGKAI_PORTAL_FACES), e.g. the console only on the intranet."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from shared.settings import Settings


def portal(monkeypatch: pytest.MonkeyPatch, tmp_path, faces: str) -> TestClient:
    from services.portal.bootstrap import create_app

    monkeypatch.setenv("GONGKAI_PORTAL_FACES", faces)
    monkeypatch.delenv("GONGKAI_PORTAL_DEV_SIGNIN", raising=False)
    # Nothing listens there: the pages that need a service answer 503, as when one is down.
    monkeypatch.setenv("GONGKAI_INTAKE_URL", "http://127.0.0.1:9")
    return TestClient(create_app(replace(Settings.from_env(), home=tmp_path)))


def test_the_public_face_has_no_console(monkeypatch, tmp_path) -> None:
    client = portal(monkeypatch, tmp_path, "public")
    assert client.get("/staff/signin").status_code == 404
    assert client.get("/status").status_code == 200


def test_the_staff_face_has_no_public_site(monkeypatch, tmp_path) -> None:
    client = portal(monkeypatch, tmp_path, "staff")
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/staff/"
    assert client.get("/status").status_code == 404
    assert "工作人员登录" in client.get("/staff/signin").text


def test_a_service_that_is_down_gets_a_page_in_chinese_not_a_traceback(monkeypatch,
                                                                        tmp_path) -> None:
    client = portal(monkeypatch, tmp_path, "both")
    answer = client.get("/")
    assert answer.status_code == 503
    assert "服务暂时不可用" in answer.text and "Traceback" not in answer.text
    assert answer.headers["content-security-policy"].startswith("default-src 'self'")


def test_an_unknown_faces_setting_is_refused(monkeypatch, tmp_path) -> None:
    with pytest.raises(ValueError, match="GONGKAI_PORTAL_FACES"):
        portal(monkeypatch, tmp_path, "everything")
