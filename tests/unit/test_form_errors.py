"""The portal shows every problem intake names in its one 422, each next to its field."""

from __future__ import annotations

from services.portal.adapters.services import Answer
from services.portal.domain.application_form import form_errors


def test_every_field_intake_names_is_shown_next_to_the_forms_field():
    answer = Answer(422, {"status": 422, "errors": [
        {"field": "applicant.credit_code", "message": "统一社会信用代码校验码不正确"},
        {"field": "applicant.legal_representative",
         "message": "法人或其他组织申请须填写法定代表人或负责人"},
        {"field": "applicant.contact_name", "message": "法人或其他组织申请须填写联系人姓名"},
        {"field": "applicant.name", "message": "不得超过200个字符"},
        {"field": "applicant.mobile", "message": "手机号码应为11位"},
        {"field": "request.description", "message": "不得少于2个字符"},
        {"field": "agency", "message": "未找到行政机关“x”"},
        {"field": "unexpected", "message": "不允许提交此字段"},
    ]})
    errors = form_errors(answer.field_errors(), "commercial_enterprise")
    assert errors == {
        "credit_code": "统一社会信用代码校验码不正确",
        "legal_representative": "法人或其他组织申请须填写法定代表人或负责人",
        "contact_name": "法人或其他组织申请须填写联系人姓名",
        "org_name": "不得超过200个字符",
        "phone": "手机号码应为11位",
        "description": "不得少于2个字符",
        "_form": "未找到行政机关“x”；不允许提交此字段",
    }
