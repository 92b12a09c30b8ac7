"""The application form (申请表) as people fill it in: the official labels, and every field
checked at once so that each mistake is shown next to its field in one answer. Intake checks
again (it is the owner of the rules); this spares the applicant a round trip per mistake."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.validation.identity import validate_credit_code, validate_mobile, validate_resident_id

APPLICANT_TYPES = {
    "natural_person": "公民（自然人）",
    "commercial_enterprise": "法人或其他组织：商业企业",
    "research_institution": "法人或其他组织：科研机构",
    "public_interest_org": "法人或其他组织：社会公益组织",
    "legal_service_org": "法人或其他组织：法律服务机构",
    "other_org": "法人或其他组织：其他",
}
ID_DOCUMENTS = {"resident_id": "居民身份证", "passport": "护照",
                "hk_macao_permit": "港澳居民来往内地通行证",
                "taiwan_permit": "台湾居民来往大陆通行证", "other": "其他有效身份证件"}
MEDIA = {"paper": "纸质", "electronic": "电子"}
DELIVERIES = {"post": "邮寄", "email": "电子邮件", "pickup": "当面领取", "online": "网上获取"}
# How an application reached the agency; staff register all but online ones, which come in
# through the public form.
CHANNELS = {"in_person": "当面提交", "post_signed": "邮寄（签收）", "ordinary_letter": "平常信函",
            "fax": "传真", "email": "电子邮件"}
CHANNEL_WORDS = {**CHANNELS, "online": "网上申请"}

# Form field → the label of the official 申请表 (also used in error summaries).
LABELS = {
    "applicant_type": "申请人类型", "name": "姓名", "id_document_type": "证件类型",
    "id_number": "证件号码", "org_name": "名称", "credit_code": "统一社会信用代码",
    "legal_representative": "法定代表人或负责人", "contact_name": "联系人姓名",
    "phone": "联系电话", "email": "电子邮箱", "address": "通信地址", "postal_code": "邮政编码",
    "description": "所需政府信息的内容描述", "purpose": "用途（选填）",
    "medium": "获取信息的方式", "delivery": "获取信息的途径",
    "channel": "申请方式", "arrived_on": "送达日期", "received_on": "收到申请之日",
    "id_document": "身份证件扫描件或照片",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Checked:
    """The form's values as typed (to show again), the API body, and the errors by field."""

    values: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return str(value).strip() if value is not None else ""


def check_application(form: Mapping[str, Any], agency: str, *, today: date,
                      registration: bool = False) -> Checked:
    """Check an online application (or, with `registration`, one staff register)."""
    v = {name: _text(form, name) for name in LABELS if name != "id_document"}
    errors: dict[str, str] = {}

    def need(name: str, message: str, max_length: int = 200) -> str:
        value = v[name]
        if not value:
            errors[name] = message
        elif len(value) > max_length:
            errors[name] = f"{LABELS[name]}不得超过{max_length}字"
        elif _CONTROL.search(value):
            errors[name] = f"{LABELS[name]}含有无法识别的字符"
        return value

    atype = v["applicant_type"]
    if atype not in APPLICANT_TYPES:
        errors["applicant_type"] = "请选择申请人类型"
    applicant: dict[str, Any] = {"type": atype}
    if atype == "natural_person":
        applicant["name"] = need("name", "请填写姓名", 100)
        kind = v["id_document_type"] or "resident_id"
        if kind not in ID_DOCUMENTS:
            errors["id_document_type"] = "请选择证件类型"
        applicant["id_document_type"] = kind
        number = need("id_number", "请填写证件号码", 40)
        if number and kind == "resident_id":
            try:
                number = validate_resident_id(number, today=today)
            except ValueError as exc:
                errors["id_number"] = str(exc)
        applicant["id_number"] = number
    elif atype:
        applicant["name"] = need("org_name", "请填写法人或其他组织的名称", 200)
        code = need("credit_code", "请填写统一社会信用代码", 40)
        if code:
            try:
                code = validate_credit_code(code)
            except ValueError as exc:
                errors["credit_code"] = str(exc)
        applicant["credit_code"] = code
        applicant["legal_representative"] = need("legal_representative",
                                                 "请填写法定代表人或负责人", 100)
        applicant["contact_name"] = need("contact_name", "请填写联系人姓名", 100)

    phone = v["phone"]
    if phone:
        if re.fullmatch(r"1\d{10}", phone.replace(" ", "").replace("-", "")):
            try:
                applicant["mobile"] = validate_mobile(phone)
            except ValueError as exc:
                errors["phone"] = str(exc)
        elif _LANDLINE.match(phone):
            applicant["phone"] = phone
        else:
            errors["phone"] = "联系电话应为11位手机号码或带区号的固定电话（如0635-8321090）"
    elif not registration:
        errors["phone"] = "请填写联系电话，以便告知办理情况"
    if v["email"]:
        if len(v["email"]) > 254 or not _EMAIL.match(v["email"]):
            errors["email"] = "电子邮箱格式不正确"
        applicant["email"] = v["email"]
    if v["address"]:
        applicant["address"] = need("address", "", 500)
    if v["postal_code"]:
        if not re.fullmatch(r"\d{6}", v["postal_code"]):
            errors["postal_code"] = "邮政编码应为6位数字"
        applicant["postal_code"] = v["postal_code"]
    if registration and not (phone or v["email"] or v["address"]):
        errors["phone"] = "须至少填写一种联系方式（电话、通信地址或电子邮箱）"

    description = need("description", "请描述所需政府信息（名称、文号或便于查询的其他特征）", 5000)
    if description and len(description) < 2:
        errors["description"] = "内容描述过短，请写明所需政府信息的名称、文号或其他特征"
    medium = v["medium"] or "electronic"
    if medium not in MEDIA:
        errors["medium"] = "请选择获取信息的方式"
    delivery = v["delivery"] or "online"
    if delivery not in DELIVERIES:
        errors["delivery"] = "请选择获取信息的途径"
    if delivery == "post" and not v["address"]:
        errors["address"] = "选择邮寄的，请填写通信地址"
    if delivery == "email" and not v["email"]:
        errors["email"] = "选择电子邮件的，请填写电子邮箱"
    request: dict[str, Any] = {"description": description, "medium": medium,
                               "delivery": delivery}
    if v["purpose"]:
        request["purpose"] = need("purpose", "", 2000)

    body: dict[str, Any] = {"agency": agency, "applicant": applicant, "request": request}
    if registration:
        _check_registration(v, body, errors, today)
    return Checked(values=v, body=body, errors=errors)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _check_registration(v: dict[str, str], body: dict[str, Any], errors: dict[str, str],
                        today: date) -> None:
    if v["channel"] not in CHANNELS:
        errors["channel"] = "请选择申请方式"
    body["channel"] = v["channel"]
    arrived = _date(v["arrived_on"])
    if arrived is None:
        errors["arrived_on"] = "请填写送达日期（年-月-日）"
    elif arrived > today:
        errors["arrived_on"] = "送达日期不得晚于今天"
    body["arrived_on"] = v["arrived_on"]
    if v["received_on"]:
        received = _date(v["received_on"])
        if received is None:
            errors["received_on"] = "日期格式应为年-月-日"
        elif received > today:
            errors["received_on"] = "收到申请之日不得晚于今天"
        elif arrived is not None and received < arrived:
            errors["received_on"] = "收到申请之日不得早于送达日期"
        body["received_on"] = v["received_on"]
    elif v["channel"] == "post_signed":
        errors["received_on"] = "邮寄签收的申请须填写签收之日"
    if v["channel"] in ("in_person", "email") and v["received_on"] not in ("", v["arrived_on"]):
        errors["received_on"] = "当面提交或电子邮件申请，收到之日即为提交或到达之日"


# The API's field names (the last part of a problem's `field`) → the form's.
API_FIELDS = {"mobile": "phone", "type": "applicant_type", "name": "name", "agency": "_form"}


def form_errors(api_errors: dict[str, str], applicant_type: str) -> dict[str, str]:
    """Intake's answer (every invalid field at once) as errors next to the form's fields; what
    has no field of its own on the form is said together above it."""
    errors: dict[str, str] = {}
    for name, message in api_errors.items():
        name = API_FIELDS.get(name, name)
        if name == "name" and applicant_type and applicant_type != "natural_person":
            name = "org_name"
        name = name if name in LABELS else "_form"
        errors[name] = f"{errors[name]}；{message}" if name in errors else message
    return errors


def submission_key(secret: bytes, body: dict[str, Any], day: date, who: str = "") -> str:
    """The Idempotency-Key of a form: the same content sent again on the same day (a double
    click, or back and submit) is the same application, whatever the browser kept of the page.
    Keyed with the portal's secret, so the key reveals nothing of the content."""
    content = json.dumps([body, day.isoformat(), who], ensure_ascii=False, sort_keys=True)
    return "portal-" + hmac.new(secret, content.encode(), hashlib.sha256).hexdigest()[:40]
