"""SMS provider adapters against a real local HTTP server that plays each provider.

The server (asyncio.start_server, HTTP/1.1, one request per connection) recomputes every
signature independently from the shared secret and what it received, checks the required
parameters, and answers success or the error a test chose. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote_plus
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.notify.adapters.sms_providers import (
    AliyunSms,
    ProviderError,
    SendResult,
    Sms,
    TencentSms,
    WebhookSms,
    mask_phone,
    provider_from_config,
    rpc_signature,
    tc3_signature,
    webhook_signature,
)
from services.notify.adapters.sms_providers.aliyun import string_to_sign
from services.notify.adapters.sms_providers.tencent import hashed_canonical_request

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 9, 22, 10, 0, 0, tzinfo=SHANGHAI)  # 02:00:00 UTC


def clock() -> datetime:
    return NOW


PHONE = "13800138000"
TEXT = ("【聊城市民政局】您的政府信息公开申请已于2025年9月22日收到，受理编号LCMZJ-2025-00001。"
        "我机关将于2025年10月24日前依法答复。")
PARAMS = {"date": "2025年9月22日", "number": "LCMZJ-2025-00001", "due": "2025年10月24日"}
SMS = Sms(message_id="msg-0001-ack", phone=PHONE, text=TEXT, template_params=PARAMS)

ALI_ID, ALI_SECRET = "LTAI5tTestKeyId", "ali-secret-Zx9*~ +/="
TC_ID, TC_SECRET = "AKIDtestSecretId", "tc-secret-Qw8/+="
HOOK_SECRET = "hook-secret-Lm7"


# ---------------------------------------------------------------- the local HTTP server


@dataclass
class Received:
    method: str
    target: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


class LocalServer:
    """A tiny HTTP/1.1 server on 127.0.0.1 that hands each request to `fake`."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.received: list[Received] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    async def __aenter__(self) -> LocalServer:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            method, target, _ = (await reader.readline()).decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            request = Received(method, target, headers, body)
            self.received.append(request)
            status, answer = await self.fake(request)
            data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            writer.write(
                f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
                f"Content-Type: application/json;charset=utf-8\r\n"
                f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data
            )
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def http():
    # No client-wide timeout: the adapters must put their own on every request.
    async with httpx.AsyncClient(trust_env=False, timeout=None) as client:
        yield client


# ---------------------------------------------------------------- the fake providers


def ali_encode(value: str) -> str:
    # Alibaba's documented recipe (Java URLEncoder, then fix-ups), independent of the adapter.
    return quote_plus(value, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def ali_expected_signature(secret: str, method: str, params: dict[str, str]) -> str:
    canonical = "&".join(f"{ali_encode(k)}={ali_encode(params[k])}" for k in sorted(params))
    to_sign = f"{method}&%2F&{ali_encode(canonical)}"
    mac = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


class FakeAliyun:
    def __init__(self, secret: str = ALI_SECRET, answer: tuple[int, Any] | None = None,
                 delay: float = 0.0) -> None:
        self.secret = secret
        self.answer = answer or (200, {"Code": "OK", "Message": "OK", "BizId": "9006197469364984",
                                       "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990"})
        self.delay = delay
        self.params: list[dict[str, str]] = []
        self.problems: list[str] = []

    async def __call__(self, request: Received) -> tuple[int, Any]:
        await asyncio.sleep(self.delay)
        assert request.method == "POST" and request.target == "/"
        assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
        params = dict(parse_qsl(request.body.decode(), keep_blank_values=True,
                                strict_parsing=True))
        self.params.append(params)
        signature = params.pop("Signature", "")
        if signature != ali_expected_signature(self.secret, request.method, params):
            self.problems.append("signature")
            return 400, {"Code": "SignatureDoesNotMatch", "RequestId": "r",
                         "Message": "Specified signature is not matched with our calculation."}
        required = {"AccessKeyId": ALI_ID, "Action": "SendSms", "Format": "JSON",
                    "RegionId": "cn-hangzhou", "SignatureMethod": "HMAC-SHA1",
                    "SignatureVersion": "1.0", "Version": "2017-05-25",
                    "SignName": "聊城市民政局"}
        for name, value in required.items():
            if params.get(name) != value:
                self.problems.append(name)
        for name in ("SignatureNonce", "Timestamp", "PhoneNumbers", "TemplateCode", "OutId"):
            if not params.get(name):
                self.problems.append(name)
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", params.get("Timestamp", "")):
            self.problems.append("Timestamp format")
        if self.problems:
            return 400, {"Code": "MissingParameter", "Message": str(self.problems),
                         "RequestId": "r"}
        return self.answer


def tc3_expected(secret_key: str, request: Received) -> tuple[str, str]:
    """(Authorization the request should carry, reason if it cannot be checked)."""
    match = re.fullmatch(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d\d-\d\d)/sms/tc3_request, "
                         r"SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}",
                         request.headers.get("authorization", ""))
    if not match:
        return "", "malformed Authorization"
    secret_id, date, signed_headers = match.groups()
    timestamp = request.headers["x-tc-timestamp"]
    if datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d") != date:
        return "", "date does not match timestamp"
    names = signed_headers.split(";")
    if "host" not in names or "content-type" not in names:
        return "", "host and content-type must be signed"
    canonical_request = (
        f"{request.method}\n/\n\n"
        + "".join(f"{n}:{request.headers[n]}\n" for n in names)
        + f"\n{signed_headers}\n{hashlib.sha256(request.body).hexdigest()}"
    )
    scope = f"{date}/sms/tc3_request"
    to_sign = (f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n"
               f"{hashlib.sha256(canonical_request.encode()).hexdigest()}")

    def mac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    signing_key = mac(mac(mac(f"TC3{secret_key}".encode(), date), "sms"), "tc3_request")
    signature = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
            f"SignedHeaders={signed_headers}, Signature={signature}"), ""


def tc_ok(serial: str = "2640:432552344516384912345678901") -> dict[str, Any]:
    return {"Response": {"SendStatusSet": [{
        "SerialNo": serial, "PhoneNumber": "+8613800138000", "Fee": 1,
        "SessionContext": "msg-0001-ack", "Code": "Ok", "Message": "send success",
        "IsoCode": "CN"}], "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279"}}


class FakeTencent:
    def __init__(self, secret: str = TC_SECRET, answer: dict[str, Any] | None = None,
                 delay: float = 0.0) -> None:
        self.secret = secret
        self.answer = answer or tc_ok()
        self.delay = delay
        self.bodies: list[dict[str, Any]] = []
        self.problems: list[str] = []

    async def __call__(self, request: Received) -> tuple[int, Any]:
        await asyncio.sleep(self.delay)
        assert request.method == "POST" and request.target == "/"
        self.bodies.append(json.loads(request.body))
        expected, reason = tc3_expected(self.secret, request)
        if reason or request.headers["authorization"] != expected:
            self.problems.append(reason or "signature")
            return 200, {"Response": {"Error": {
                "Code": "AuthFailure.SignatureFailure",
                "Message": "The provided credentials could not be validated."},
                "RequestId": "r"}}
        required = {"x-tc-action": "SendSms", "x-tc-version": "2021-01-11",
                    "x-tc-region": "ap-guangzhou"}
        for name, value in required.items():
            if request.headers.get(name) != value:
                self.problems.append(name)
        body = self.bodies[-1]
        for name in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId", "SignName"):
            if not body.get(name):
                self.problems.append(name)
        if self.problems:
            return 200, {"Response": {"Error": {"Code": "MissingParameter",
                                                "Message": str(self.problems)},
                                      "RequestId": "r"}}
        return 200, self.answer


class FakeWebhook:
    def __init__(self, secret: str = HOOK_SECRET, answer: tuple[int, Any] | None = None,
                 delay: float = 0.0) -> None:
        self.secret = secret
        self.answer = answer or (202, {"id": "gw-77"})
        self.delay = delay
        self.problems: list[str] = []

    async def __call__(self, request: Received) -> tuple[int, Any]:
        await asyncio.sleep(self.delay)
        assert request.method == "POST" and request.target == "/sms/send"
        mac = hmac.new(self.secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("x-gongkai-signature", ""),
                                   f"sha256={mac}"):
            self.problems.append("signature")
            return 401, {"error": "bad signature"}
        body = json.loads(request.body)
        if set(body) != {"message_id", "phone", "text"}:
            self.problems.append("body keys")
        if request.headers.get("idempotency-key") != body.get("message_id"):
            self.problems.append("Idempotency-Key")
        if self.problems:
            return 400, {"error": str(self.problems)}
        return self.answer


# ---------------------------------------------------------------- building adapters


def config(kind: str, url: str, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "aliyun": {"provider": "aliyun", "access_key_id": ALI_ID,
                   "access_key_secret": ALI_SECRET, "sign_name": "聊城市民政局",
                   "template_code": "SMS_123", "endpoint": url},
        "tencent": {"provider": "tencent", "secret_id": TC_ID, "secret_key": TC_SECRET,
                    "sdk_app_id": "1400006666", "sign_name": "聊城市民政局",
                    "template_id": "449739", "endpoint": url},
        "webhook": {"provider": "webhook", "url": f"{url}/sms/send", "secret": HOOK_SECRET},
    }[kind]
    return {**base, **overrides}


FAKES: dict[str, Callable[..., Any]] = {
    "aliyun": FakeAliyun, "tencent": FakeTencent, "webhook": FakeWebhook,
}


def build(kind: str, url: str, http: httpx.AsyncClient, **overrides: Any) -> Any:
    return provider_from_config(config(kind, url, **overrides), http=http, clock=clock,
                                secrets=os.environ)


# ---------------------------------------------------------------- known answers


def test_aliyun_signature_documentation_example() -> None:
    # Alibaba Cloud SMS documentation, "HTTP协议及签名": the worked GET example.
    params = {
        "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
        "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用", "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
    }
    assert string_to_sign("GET", params) == (
        "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
        "%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF"
        "%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF"
        "%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce"
        "%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode"
        "%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D"
        "%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
    )
    assert rpc_signature("testSecret", "GET", params) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert ali_expected_signature("testSecret", "GET", params) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_tc3_signature_documentation_example() -> None:
    # Tencent Cloud API 3.0 "签名方法 v3": the worked cvm DescribeInstances example
    # (the documentation's SecretKey literally ends in asterisks).
    payload = (b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], '
               b'"Name": "instance-name"}]}')
    headers = {"Content-Type": "application/json; charset=utf-8",
               "Host": "cvm.tencentcloudapi.com"}
    hashed = hashed_canonical_request("POST", headers, payload)
    assert hashed == "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    assert tc3_signature("Gu5t9xGARNpq86cd98joQYCN3*******", "cvm", 1551113065, hashed) == (
        "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c")


def test_webhook_signature_is_hmac_sha256_hex() -> None:
    # RFC 4231 test case 2.
    assert webhook_signature("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")


def test_signatures_are_deterministic_and_change_with_one_byte() -> None:
    params = {"PhoneNumbers": PHONE, "OutId": "msg-1", "Timestamp": "2025-09-22T02:00:00Z"}
    changed = {**params, "OutId": "msg-2"}
    assert rpc_signature("s", "POST", params) == rpc_signature("s", "POST", dict(params))
    assert rpc_signature("s", "POST", params) != rpc_signature("s", "POST", changed)
    assert rpc_signature("s", "POST", params) != rpc_signature("t", "POST", params)
    assert rpc_signature("s", "POST", params) != rpc_signature("s", "GET", params)

    headers = {"Content-Type": "application/json; charset=utf-8", "Host": "h"}
    a = hashed_canonical_request("POST", headers, b'{"a":1}')
    assert a == hashed_canonical_request("POST", headers, b'{"a":1}')
    assert a != hashed_canonical_request("POST", headers, b'{"a":2}')
    assert tc3_signature("k", "sms", 1758506400, a) != tc3_signature("l", "sms", 1758506400, a)
    assert tc3_signature("k", "sms", 1758506400, a) != tc3_signature("k", "sms", 1758506401, a)

    assert webhook_signature("k", b"body") == webhook_signature("k", b"body")
    assert webhook_signature("k", b"body") != webhook_signature("k", b"bodY")


# ---------------------------------------------------------------- Alibaba Cloud


async def test_aliyun_success(http: httpx.AsyncClient) -> None:
    fake = FakeAliyun()
    async with LocalServer(fake) as server:
        provider = build("aliyun", server.url, http)
        result = await provider.send(SMS)
        again = await provider.send(SMS)
    assert isinstance(provider, AliyunSms)
    assert result == SendResult(provider_message_id="9006197469364984", accepted=True)
    assert again.accepted
    assert fake.problems == []
    first, second = fake.params
    assert first["PhoneNumbers"] == PHONE  # 11 digits, no country code
    assert first["OutId"] == "msg-0001-ack"
    assert first["TemplateCode"] == "SMS_123"
    assert json.loads(first["TemplateParam"]) == PARAMS
    assert first["Timestamp"] == "2025-09-22T02:00:00Z"  # the clock's instant, in UTC
    assert first["SignatureNonce"] != second["SignatureNonce"]  # fresh for every request
    assert "Signature" not in server.received[0].target  # nothing signed in the URL


async def test_aliyun_message_template_overrides_the_configured_one(
        http: httpx.AsyncClient) -> None:
    fake = FakeAliyun()
    sms = Sms(message_id="m2", phone="15912345678", text="x", template_code="SMS_999",
              template_params={"note": "空格 and *~+&=%"})
    async with LocalServer(fake) as server:
        assert (await build("aliyun", server.url, http).send(sms)).accepted
    assert fake.problems == []
    assert fake.params[0]["TemplateCode"] == "SMS_999"
    assert json.loads(fake.params[0]["TemplateParam"]) == {"note": "空格 and *~+&=%"}


@pytest.mark.parametrize(("status", "code", "retryable"), [
    (200, "isv.BUSINESS_LIMIT_CONTROL", True),
    (400, "Throttling.User", True),
    (200, "isp.SYSTEM_ERROR", True),
    (503, "ServiceUnavailable", True),
    (200, "isv.MOBILE_NUMBER_ILLEGAL", False),
    (200, "isv.SMS_TEMPLATE_ILLEGAL", False),
    (200, "isv.SMS_SIGNATURE_ILLEGAL", False),
    (200, "isv.AMOUNT_NOT_ENOUGH", False),
    (400, "SignatureDoesNotMatch", False),
    (404, "InvalidAccessKeyId.NotFound", False),
])
async def test_aliyun_error_codes(http: httpx.AsyncClient, status: int, code: str,
                                  retryable: bool) -> None:
    fake = FakeAliyun(answer=(status, {"Code": code, "Message": "refused", "RequestId": "R1"}))
    async with LocalServer(fake) as server:
        with pytest.raises(ProviderError) as caught:
            await build("aliyun", server.url, http).send(SMS)
    assert fake.problems == []
    assert (caught.value.code, caught.value.retryable) == (code, retryable)
    assert "R1" in caught.value.detail


async def test_aliyun_wrong_secret_is_refused_by_the_server(http: httpx.AsyncClient) -> None:
    fake = FakeAliyun(secret="the-real-secret")
    async with LocalServer(fake) as server:
        with pytest.raises(ProviderError) as caught:
            await build("aliyun", server.url, http).send(SMS)
    assert fake.problems == ["signature"]
    assert (caught.value.code, caught.value.retryable) == ("SignatureDoesNotMatch", False)


@pytest.mark.parametrize(("status", "retryable"), [(502, True), (429, True), (403, False)])
async def test_aliyun_answer_that_is_not_json(http: httpx.AsyncClient, status: int,
                                              retryable: bool) -> None:
    fake = FakeAliyun(answer=(status, b"<html>gateway</html>"))
    async with LocalServer(fake) as server:
        with pytest.raises(ProviderError) as caught:
            await build("aliyun", server.url, http).send(SMS)
    assert (caught.value.code, caught.value.retryable) == (f"http_{status}", retryable)


# ---------------------------------------------------------------- Tencent Cloud


async def test_tencent_success(http: httpx.AsyncClient) -> None:
    fake = FakeTencent()
    async with LocalServer(fake) as server:
        provider = build("tencent", server.url, http,
                         template_param_order=["date", "number", "due"])
        result = await provider.send(SMS)
    assert isinstance(provider, TencentSms)
    assert result == SendResult(provider_message_id="2640:432552344516384912345678901",
                                accepted=True)
    assert fake.problems == []
    body = fake.bodies[0]
    assert body["PhoneNumberSet"] == ["+8613800138000"]
    assert body["SessionContext"] == "msg-0001-ack"
    assert body["SmsSdkAppId"] == "1400006666"
    assert body["TemplateId"] == "449739"
    assert body["SignName"] == "聊城市民政局"
    assert body["TemplateParamSet"] == ["2025年9月22日", "LCMZJ-2025-00001", "2025年10月24日"]
    headers = server.received[0].headers
    assert headers["x-tc-timestamp"] == str(int(NOW.timestamp()))
    assert headers["host"] == f"127.0.0.1:{server.port}"


async def test_tencent_numbered_template_params_go_in_number_order(
        http: httpx.AsyncClient) -> None:
    fake = FakeTencent()
    sms = Sms(message_id="m3", phone=PHONE, text="x", template_code="1110",
              template_params={"2": "b", "10": "c", "1": "a"})
    async with LocalServer(fake) as server:
        assert (await build("tencent", server.url, http).send(sms)).accepted
    assert fake.bodies[0]["TemplateParamSet"] == ["a", "b", "c"]
    assert fake.bodies[0]["TemplateId"] == "1110"


def tc_error(code: str) -> dict[str, Any]:
    return {"Response": {"Error": {"Code": code, "Message": "refused"}, "RequestId": "R2"}}


def tc_status(code: str) -> dict[str, Any]:
    answer = tc_ok()
    answer["Response"]["SendStatusSet"][0].update(Code=code, Message="refused", SerialNo="")
    return answer


@pytest.mark.parametrize(("answer", "code", "retryable"), [
    (tc_error("RequestLimitExceeded"), "RequestLimitExceeded", True),
    (tc_error("InternalError.Timeout"), "InternalError.Timeout", True),
    (tc_error("AuthFailure.SecretIdNotFound"), "AuthFailure.SecretIdNotFound", False),
    (tc_error("FailedOperation.TemplateIncorrectOrUnapproved"),
     "FailedOperation.TemplateIncorrectOrUnapproved", False),
    (tc_error("UnauthorizedOperation.SmsSdkAppIdVerifyFail"),
     "UnauthorizedOperation.SmsSdkAppIdVerifyFail", False),
    (tc_status("LimitExceeded.PhoneNumberThirtySecondLimit"),
     "LimitExceeded.PhoneNumberThirtySecondLimit", True),
    (tc_status("InvalidParameterValue.IncorrectPhoneNumber"),
     "InvalidParameterValue.IncorrectPhoneNumber", False),
    (tc_status("FailedOperation.InsufficientBalanceInSmsPackage"),
     "FailedOperation.InsufficientBalanceInSmsPackage", False),
])
async def test_tencent_error_codes(http: httpx.AsyncClient, answer: dict[str, Any], code: str,
                                   retryable: bool) -> None:
    fake = FakeTencent(answer=answer)
    async with LocalServer(fake) as server:
        with pytest.raises(ProviderError) as caught:
            await build("tencent", server.url, http).send(SMS)
    assert fake.problems == []
    assert (caught.value.code, caught.value.retryable) == (code, retryable)


async def test_tencent_wrong_secret_is_refused_by_the_server(http: httpx.AsyncClient) -> None:
    fake = FakeTencent(secret="the-real-secret")
    async with LocalServer(fake) as server:
        with pytest.raises(ProviderError) as caught:
            await build("tencent", server.url, http).send(SMS)
    assert fake.problems == ["signature"]
    assert (caught.value.code, caught.value.retryable) == ("AuthFailure.SignatureFailure", False)


# ---------------------------------------------------------------- webhook


async def test_webhook_success(http: httpx.AsyncClient) -> None:
    fake = FakeWebhook()
    async with LocalServer(fake) as server:
        provider = build("webhook", server.url, http)
        result = await provider.send(SMS)
    assert isinstance(provider, WebhookSms)
    assert result == SendResult(provider_message_id="gw-77", accepted=True)
    assert fake.problems == []
    request = server.received[0]
    assert request.headers["idempotency-key"] == "msg-0001-ack"
    assert json.loads(request.body) == {"message_id": "msg-0001-ack", "phone": PHONE,
                                        "text": TEXT}


@pytest.mark.parametrize(("status", "accepted", "retryable"), [
    (200, True, None), (204, True, None),
    (429, False, True), (500, False, True), (503, False, True),
    (400, False, False), (404, False, False), (409, False, False), (422, False, False),
])
async def test_webhook_statuses(http: httpx.AsyncClient, status: int, accepted: bool,
                                retryable: bool | None) -> None:
    fake = FakeWebhook(answer=(status, b"" if status == 204 else {"detail": "x"}))
    async with LocalServer(fake) as server:
        provider = build("webhook", server.url, http)
        if accepted:
            assert await provider.send(SMS) == SendResult(None, True)
        else:
            with pytest.raises(ProviderError) as caught:
                await provider.send(SMS)
            assert (caught.value.code, caught.value.retryable) == (f"http_{status}", retryable)
    assert fake.problems == []


async def test_webhook_wrong_secret_is_refused_by_the_server(http: httpx.AsyncClient) -> None:
    fake = FakeWebhook(secret="the-real-secret")
    async with LocalServer(fake) as server:
        with pytest.raises(ProviderError) as caught:
            await build("webhook", server.url, http).send(SMS)
    assert fake.problems == ["signature"]
    assert (caught.value.code, caught.value.retryable) == ("http_401", False)


# ---------------------------------------------------------------- all providers


@pytest.mark.parametrize("kind", ["aliyun", "tencent", "webhook"])
async def test_closed_port_is_retryable(http: httpx.AsyncClient, kind: str) -> None:
    provider = build(kind, f"http://127.0.0.1:{closed_port()}", http)
    with pytest.raises(ProviderError) as caught:
        await provider.send(SMS)
    assert (caught.value.code, caught.value.retryable) == ("connect", True)


@pytest.mark.parametrize("kind", ["aliyun", "tencent", "webhook"])
async def test_slow_provider_times_out_and_is_retryable(http: httpx.AsyncClient,
                                                        kind: str) -> None:
    fake = FAKES[kind](delay=5.0)
    async with LocalServer(fake) as server:
        provider = build(kind, server.url, http, timeout=0.3)
        started = time.monotonic()
        with pytest.raises(ProviderError) as caught:
            await provider.send(SMS)
        elapsed = time.monotonic() - started
    assert (caught.value.code, caught.value.retryable) == ("timeout", True)
    assert "outcome unknown" in caught.value.detail
    assert 0.25 < elapsed < 2.0


@pytest.mark.parametrize("kind", ["aliyun", "tencent", "webhook"])
def test_default_timeout_is_ten_seconds(http: httpx.AsyncClient, kind: str) -> None:
    assert build(kind, "http://127.0.0.1:9", http).timeout == 10.0


@pytest.mark.parametrize("kind", ["aliyun", "tencent", "webhook"])
async def test_invalid_phone_is_not_sent(http: httpx.AsyncClient, kind: str) -> None:
    fake = FAKES[kind]()
    async with LocalServer(fake) as server:
        provider = build(kind, server.url, http)
        for phone in ("+8613800138000", "1380013800", "23800138000", "138-0013-8000"):
            with pytest.raises(ProviderError) as caught:
                await provider.send(Sms(message_id="m", phone=phone, text="x"))
            assert (caught.value.code, caught.value.retryable) == ("invalid_phone", False)
    assert server.received == []


@pytest.mark.parametrize("kind", ["aliyun", "tencent"])
async def test_missing_template_is_not_retryable(http: httpx.AsyncClient, kind: str) -> None:
    field = {"aliyun": "template_code", "tencent": "template_id"}[kind]
    cfg = config(kind, "http://127.0.0.1:9")
    del cfg[field]
    provider = provider_from_config(cfg, http=http, clock=clock)
    with pytest.raises(ProviderError) as caught:
        await provider.send(SMS)
    assert (caught.value.code, caught.value.retryable) == ("missing_template", False)


@pytest.mark.parametrize("kind", ["aliyun", "tencent", "webhook"])
async def test_logs_and_errors_hold_no_secret_signature_or_full_number(
        http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, kind: str) -> None:
    caplog.set_level(logging.DEBUG)
    ok = FAKES[kind]()
    refusing = {
        "aliyun": FakeAliyun(answer=(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL",
                                           "Message": f"invalid number {PHONE}"})),
        "tencent": FakeTencent(answer={"Response": {"RequestId": "R3", "Error": {
            "Code": "InvalidParameterValue.IncorrectPhoneNumber",
            "Message": f"+86{PHONE} is invalid"}}}),
        "webhook": FakeWebhook(answer=(400, {"error": f"bad phone {PHONE}"})),
    }[kind]
    async with LocalServer(ok) as good, LocalServer(refusing) as bad:
        assert (await build(kind, good.url, http).send(SMS)).accepted
        with pytest.raises(ProviderError) as caught:
            await build(kind, bad.url, http).send(SMS)
    error = caught.value
    for text in (caplog.text, str(error), repr(error), error.detail):
        assert PHONE not in text
        for secret in (ALI_SECRET, TC_SECRET, HOOK_SECRET):
            assert secret not in text
    assert "138****8000" in error.detail
    assert "138****8000" in caplog.text
    sent = good.received[0]
    signature = {
        "aliyun": lambda: dict(parse_qsl(sent.body.decode()))["Signature"],
        "tencent": lambda: sent.headers["authorization"].rsplit("Signature=", 1)[1],
        "webhook": lambda: sent.headers["x-gongkai-signature"].removeprefix("sha256="),
    }[kind]()
    assert signature not in caplog.text
    assert PHONE not in repr(SMS) and "138****8000" in repr(SMS)


def test_mask_phone() -> None:
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("123") == "****"


# ---------------------------------------------------------------- configuration


async def test_secrets_from_environment(http: httpx.AsyncClient,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GK_TEST_ALI_SECRET", ALI_SECRET)
    monkeypatch.setenv("GK_TEST_TC_SECRET", TC_SECRET)
    monkeypatch.setenv("GK_TEST_HOOK_SECRET", HOOK_SECRET)
    fields = {"aliyun": "access_key_secret", "tencent": "secret_key", "webhook": "secret"}
    envs = {"aliyun": "GK_TEST_ALI_SECRET", "tencent": "GK_TEST_TC_SECRET",
            "webhook": "GK_TEST_HOOK_SECRET"}
    for kind, field in fields.items():
        fake = FAKES[kind]()
        async with LocalServer(fake) as server:
            provider = build(kind, server.url, http, **{field: f"env:{envs[kind]}"})
            assert (await provider.send(SMS)).accepted
        assert fake.problems == []
        assert "secret" not in repr(provider).lower()


def test_unset_environment_variable_names_field_and_variable(
        http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GK_TEST_UNSET", raising=False)
    with pytest.raises(ValueError, match=r"access_key_secret.*GK_TEST_UNSET"):
        build("aliyun", "http://127.0.0.1:9", http, access_key_secret="env:GK_TEST_UNSET")


def test_unknown_provider(http: httpx.AsyncClient) -> None:
    with pytest.raises(ValueError, match="provider"):
        provider_from_config({"provider": "carrier-pigeon"}, http=http, clock=clock)
    with pytest.raises(ValueError, match="'provider'"):
        provider_from_config({}, http=http, clock=clock)


@pytest.mark.parametrize(("kind", "field"), [
    ("aliyun", "access_key_id"), ("aliyun", "access_key_secret"), ("aliyun", "sign_name"),
    ("tencent", "secret_id"), ("tencent", "secret_key"), ("tencent", "sdk_app_id"),
    ("tencent", "sign_name"), ("webhook", "url"), ("webhook", "secret"),
])
def test_missing_field_is_named(http: httpx.AsyncClient, kind: str, field: str) -> None:
    cfg = config(kind, "http://127.0.0.1:9")
    del cfg[field]
    with pytest.raises(ValueError, match=f"'{field}'"):
        provider_from_config(cfg, http=http, clock=clock)


@pytest.mark.parametrize("timeout", [0, -1, "10", 600])
def test_bad_timeout_is_refused(http: httpx.AsyncClient, timeout: Any) -> None:
    with pytest.raises(ValueError, match="'timeout'"):
        build("webhook", "http://127.0.0.1:9", http, timeout=timeout)
