"""The 21 outcomes of docs/domain.md#outcomes (one leaf row of report table 三 each), with the
article a reply usually rests on. Staff may state a more precise basis; this is the default."""

from __future__ import annotations

OUTCOMES: dict[str, str] = {
    "disclosed": "《中华人民共和国政府信息公开条例》第三十六条第（一）项、第（二）项",
    "partially_disclosed": "《中华人民共和国政府信息公开条例》第三十七条",
    "withheld.state_secret": "《中华人民共和国政府信息公开条例》第十四条",
    "withheld.law_prohibited": "《中华人民共和国政府信息公开条例》第十四条",
    "withheld.security_stability": "《中华人民共和国政府信息公开条例》第十四条",
    "withheld.third_party": "《中华人民共和国政府信息公开条例》第十五条、第三十二条",
    "withheld.internal_affairs": "《中华人民共和国政府信息公开条例》第十六条第一款",
    "withheld.process_info": "《中华人民共和国政府信息公开条例》第十六条第二款",
    "withheld.enforcement_file": "《中华人民共和国政府信息公开条例》第十六条第二款",
    "withheld.admin_query": "《中华人民共和国政府信息公开条例》第三十六条第（七）项",
    "unable.not_held": "《中华人民共和国政府信息公开条例》第三十六条第（四）项、第（五）项",
    "unable.needs_creation": "《中华人民共和国政府信息公开条例》第三十八条",
    "unable.still_unclear": "《中华人民共和国政府信息公开条例》第三十条",
    "not_processed.petition": "《中华人民共和国政府信息公开条例》第三十九条第一款",
    "not_processed.duplicate": "《中华人民共和国政府信息公开条例》第三十六条第（六）项",
    "not_processed.publication": "《中华人民共和国政府信息公开条例》第三十九条第二款",
    "not_processed.excessive": "《中华人民共和国政府信息公开条例》第三十五条",
    "not_processed.confirm_or_reissue": "《中华人民共和国政府信息公开条例》第三十九条",
    "other.no_correction": "《中华人民共和国政府信息公开条例》第三十条",
    "other.no_fee_payment": "《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）",
    "other.other": "",
}

# Outcomes the system records itself when a period lapses; staff cannot choose them directly.
BY_LAPSE_ONLY = frozenset({"other.no_correction", "other.no_fee_payment"})
