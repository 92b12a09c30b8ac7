"""A few demo applications, submitted through intake's public API like any other."""

from __future__ import annotations

import httpx

# Identity numbers are the standards' own published examples (GB 11643, GB 32100), not people's.
DEMO_APPLICATIONS = [
    {
        "agency": "lc-mzj",
        "applicant": {
            "type": "natural_person", "name": "张明", "id_number": "11010519491231002X",
            "mobile": "13800138000", "address": "聊城市东昌府区示例路1号", "postal_code": "252000",
        },
        "request": {
            "description": "2025年度聊城市城乡最低生活保障资金的发放总额及其依据文件。",
            "medium": "electronic", "delivery": "online",
        },
    },
    {
        "agency": "lc-mzj",
        "applicant": {
            "type": "commercial_enterprise", "name": "聊城示例养老服务有限公司",
            "credit_code": "91350100M000100Y43", "legal_representative": "李华",
            "contact_name": "王芳", "mobile": "13900139000",
            "address": "聊城市东昌府区示例路2号",
        },
        "request": {
            "description": "2025年聊城市养老机构运营补贴的申报条件与拨付名单。",
            "medium": "paper", "delivery": "post",
        },
    },
    {
        "agency": "dcf-mzj",
        "applicant": {
            "type": "natural_person", "name": "赵强", "id_number": "11010519491231002X",
            "mobile": "13700137000",
        },
        "request": {"description": "东昌府区2025年临时救助审批程序的规定。"},
    },
]


def submit_demo_applications(intake_url: str) -> list[dict]:
    accepted = []
    for i, application in enumerate(DEMO_APPLICATIONS):
        response = httpx.post(f"{intake_url}/v1/applications", json=application,
                              headers={"Idempotency-Key": f"demo-application-{i}"}, timeout=10)
        response.raise_for_status()
        accepted.append(response.json())
    return accepted
