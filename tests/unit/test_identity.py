"""Tests for shared.validation.identity.

Expected check characters are worked out by hand in comments (or, for the property tests,
with the recursive ISO 7064 formulation, which is independent of the module's weight table).
"""

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.validation.identity import (
    mask_mobile,
    mask_resident_id,
    validate_credit_code,
    validate_mobile,
    validate_resident_id,
)

CJK = re.compile(r"[\u4e00-\u9fff]")

# GB 11643-1999 weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; check = "10X98765432"[sum % 11].
#
# 11010519491231002X  (the standard's own example, 北京市朝阳区, born 1949-12-31)
#   1*7 1*9 0 1*5 0 5*4 1*2 9*1 4*6 9*3 1*7 2*9 3*10 1*5 0 0 2*2
#   = 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 % 11 = 2 -> "X"
# 110101200002290018  (fictional, born on the leap day 2000-02-29)
#   7+9+0+5+0+4+4+0+0+0+0+18+20+45+0+0+2 = 114; 114 % 11 = 4 -> "8"
# 110101190001010014  (fictional, born 1900-01-01, the earliest date accepted)
#   7+9+0+5+0+4+2+9+0+0+0+9+0+5+0+0+2 = 52; 52 % 11 = 8 -> "4"
# 510107202312311234  (fictional, born 2023-12-31)
#   35+9+0+5+0+28+4+0+12+9+7+18+30+5+8+8+6 = 184; 184 % 11 = 8 -> "4"
VALID_IDS = [
    "11010519491231002X",
    "110101200002290018",
    "110101190001010014",
    "510107202312311234",
]

# GB 32100-2015 weights 3^i mod 31; charset "0123456789ABCDEFGHJKLMNPQRTUWXY" (A=10 ... Y=30);
# check = charset[(31 - sum % 31) % 31].
#
# 91350100M000100Y43  (the standard's own example)
#   9*1 1*3 3*9 5*27 0 1*26 0 0 M(21)*20 0 0 0 1*8 0 0 Y(30)*30 4*28
#   = 9+3+27+135+26+420+8+900+112 = 1640; 1640 % 31 = 28; 31 - 28 = 3 -> "3"
# 914403001922038216  (华为技术有限公司)
#   9+3+36+108+0+78+0+0+20+261+50+26+0+72+80+60+28 = 831; 831 % 31 = 25; 31 - 25 = 6 -> "6"
#   (inner GB 11714 check of 19220382: 3+63+18+20+0+24+32+4 = 164; 11 - 164 % 11 = 1 -> "1")
# 9144030071526726XG  (腾讯科技（深圳）有限公司), 91440300708461136T (深圳市腾讯计算机系统
# 有限公司), 91110108551385082Q (小米科技有限责任公司): verified with the same arithmetic.
VALID_CODES = [
    "91350100M000100Y43",
    "914403001922038216",
    "9144030071526726XG",
    "91440300708461136T",
    "91110108551385082Q",
]


def iso7064_mod11_2(body: str) -> str:
    """ISO 7064 MOD 11-2 in its recursive form: p = 2 * (p + digit) mod 11."""
    p = 0
    for digit in body:
        p = (p + int(digit)) * 2 % 11
    return "0123456789X"[(12 - p) % 11]


def error_of(func, value, **kwargs) -> str:
    with pytest.raises(ValueError) as excinfo:
        func(value, **kwargs)
    return str(excinfo.value)


# --- resident identity numbers ----------------------------------------------------------


@pytest.mark.parametrize("rid", VALID_IDS)
def test_valid_resident_ids(rid):
    assert iso7064_mod11_2(rid[:17]) == rid[17]  # cross-checks the hand arithmetic
    assert validate_resident_id(rid) == rid


def test_resident_id_normalisation():
    assert validate_resident_id(" 11010519491231002x\n") == "11010519491231002X"
    assert validate_resident_id("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"


def test_standard_annex_example_born_1880_is_refused_only_for_its_date():
    # 440524188001010014 (GB 11643 annex) has a correct check digit:
    # 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195; 195 % 11 = 8 -> "4".
    # It is refused by the product rule "born on or after 1900-01-01", not by the checksum.
    assert iso7064_mod11_2("44052418800101001") == "4"
    assert error_of(validate_resident_id, "440524188001010014") == (
        "公民身份号码中的出生日期不得早于1900年1月1日"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "公民身份号码不能为空"),
        ("110105491231002", "公民身份号码应为18位，不受理15位旧号码"),
        ("11010519491231002", "公民身份号码应为18位，当前为17位"),
        ("11010519491231002X1", "公民身份号码应为18位，当前为19位"),
        ("1101051949123100AX", "公民身份号码前17位应为数字"),
        ("11010519491231002Y", "公民身份号码第18位应为数字或字母X"),
        ("01010519491231002X", "公民身份号码第1位应为1至9之间的数字"),
        ("110105199902300011", "公民身份号码中的出生日期无效"),  # 30 February
        ("110101190002290011", "公民身份号码中的出生日期无效"),  # 1900 is not a leap year
        ("110105194913310021", "公民身份号码中的出生日期无效"),  # month 13
        ("110101189912310011", "公民身份号码中的出生日期不得早于1900年1月1日"),
        ("110105194912310021", "公民身份号码校验码不正确"),  # X replaced by 1
        ("110105194912310020", "公民身份号码校验码不正确"),
        ("11010519491231012X", "公民身份号码校验码不正确"),  # sequence digit changed
        ("11010519491231020X", "公民身份号码校验码不正确"),  # adjacent digits swapped
    ],
)
def test_invalid_resident_ids(value, message):
    assert error_of(validate_resident_id, value) == message


def test_birth_date_after_today_is_refused():
    assert validate_resident_id("510107202312311234", today=date(2023, 12, 31))
    message = error_of(validate_resident_id, "510107202312311234", today=date(2023, 12, 30))
    assert message == "公民身份号码中的出生日期不得晚于当前日期"


# Any address code with a valid leading digit, any date in range, any sequence number.
resident_bodies = st.builds(
    lambda region, rest, born, seq: f"{region}{rest:05d}{born:%Y%m%d}{seq:03d}",
    st.integers(1, 8),
    st.integers(0, 99999),
    st.dates(min_value=date(1900, 1, 1)),
    st.integers(0, 999),
)


@given(body=resident_bodies, data=st.data())
def test_property_check_char_accepts_and_any_single_change_rejects(body, data):
    rid = body + iso7064_mod11_2(body)
    assert validate_resident_id(rid) == rid
    position = data.draw(st.integers(0, 17))
    alphabet = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda c: c != rid[position]))
    changed = rid[:position] + replacement + rid[position + 1 :]
    with pytest.raises(ValueError):
        validate_resident_id(changed)


# --- unified social credit codes ----------------------------------------------------------


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_credit_codes(code):
    assert validate_credit_code(code) == code


def test_credit_code_normalisation():
    assert validate_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert validate_credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


NOT_USED = "（代码不使用字母I、O、Z、S、V）"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "统一社会信用代码不能为空"),
        ("91350100M000100Y4", "统一社会信用代码应为18位，当前为17位"),
        ("91350100M000100Y433", "统一社会信用代码应为18位，当前为19位"),
        ("350100M000100Y4", "统一社会信用代码应为18位，当前为15位"),
        ("91350100M000100Y44", "统一社会信用代码校验码不正确"),
        ("91350100M000200Y43", "统一社会信用代码校验码不正确"),
        ("91350100N000100Y43", "统一社会信用代码校验码不正确"),
        ("914403001922038261", "统一社会信用代码校验码不正确"),  # last two swapped
        ("91350100M0001I0Y43", f"统一社会信用代码第14位“I”不是有效字符{NOT_USED}"),
        ("91350100O000100Y43", f"统一社会信用代码第9位“O”不是有效字符{NOT_USED}"),
        ("91350100M000100Z43", f"统一社会信用代码第16位“Z”不是有效字符{NOT_USED}"),
        ("S1350100M000100Y43", f"统一社会信用代码第1位“S”不是有效字符{NOT_USED}"),
        ("91350100M000100Y4V", f"统一社会信用代码第18位“V”不是有效字符{NOT_USED}"),
        ("91350100M000100Y4*", "统一社会信用代码第18位“*”不是有效字符"),
        ("9135A100M000100Y43", "统一社会信用代码第3至8位（登记管理机关行政区划码）应为数字"),
    ],
)
def test_invalid_credit_codes(value, message):
    assert error_of(validate_credit_code, value) == message


credit_bodies = st.builds(
    lambda head, region, tail: head + region + tail,
    st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=9, max_size=9),
)


@given(body=credit_bodies, data=st.data())
def test_property_credit_check_detects_any_single_substitution(body, data):
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    total = sum(charset.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    code = body + charset[-total % 31]
    assert validate_credit_code(code) == code
    position = data.draw(st.integers(0, 17))
    replacement = data.draw(st.sampled_from(charset).filter(lambda c: c != code[position]))
    with pytest.raises(ValueError):
        validate_credit_code(code[:position] + replacement + code[position + 1 :])


# --- mobile numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "13812345678",
        "+8613812345678",
        "+86 138 1234 5678",
        "0086-138-1234-5678",
        "86 13812345678",
        "138-1234-5678",
        "＋８６　１３８１２３４５６７８",
    ],
)
def test_valid_mobiles(value):
    assert validate_mobile(value) == "13812345678"


def test_mobile_second_digit_range():
    assert validate_mobile("19912345678") == "19912345678"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "手机号码不能为空"),
        ("138123456789", "手机号码应为11位，当前为12位"),
        ("1381234567", "手机号码应为11位，当前为10位"),
        ("12812345678", "手机号码第2位应为3至9之间的数字"),
        ("010-8888 6666", "手机号码应以1开头"),  # Beijing landline with area code
        ("0531-88886666", "手机号码应为11位，当前为12位"),  # Jinan landline
        ("+1 650 253 0000", "手机号码含有无效字符“+”"),
        ("138.1234.5678", "手机号码含有无效字符“.”"),
    ],
)
def test_invalid_mobiles(value, message):
    assert error_of(validate_mobile, value) == message


# --- masking ------------------------------------------------------------------------------


def test_masks():
    assert mask_resident_id("37010219800101123x") == "370102********123X"
    assert mask_resident_id("11010519491231002X") == "110105********002X"
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile("+86 138-1234-5678") == "138****5678"


def test_masks_never_reveal_short_values():
    assert mask_resident_id("1234567890") == "**********"
    assert mask_mobile("1234567") == "*******"


# --- messages -----------------------------------------------------------------------------

INVALID_INPUTS = [
    (validate_resident_id, ""),
    (validate_resident_id, "110105491231002"),
    (validate_resident_id, "11010519491231002"),
    (validate_resident_id, "1101051949123100AX"),
    (validate_resident_id, "11010519491231002Y"),
    (validate_resident_id, "01010519491231002X"),
    (validate_resident_id, "110105199902300011"),
    (validate_resident_id, "110101189912310011"),
    (validate_resident_id, "110105194912310021"),
    (validate_credit_code, ""),
    (validate_credit_code, "91350100M000100Y4"),
    (validate_credit_code, "91350100M000100Y44"),
    (validate_credit_code, "91350100M0001I0Y43"),
    (validate_credit_code, "9135A100M000100Y43"),
    (validate_mobile, ""),
    (validate_mobile, "138123456789"),
    (validate_mobile, "12812345678"),
    (validate_mobile, "01088886666"),
    (validate_mobile, "+1 650 253 0000"),
]


@pytest.mark.parametrize(("func", "value"), INVALID_INPUTS)
def test_every_message_is_chinese(func, value):
    assert CJK.search(error_of(func, value))


def test_length_and_check_messages_differ():
    assert error_of(validate_resident_id, "11010519491231002") != error_of(
        validate_resident_id, "110105194912310021"
    )
    assert error_of(validate_credit_code, "91350100M000100Y4") != error_of(
        validate_credit_code, "91350100M000100Y44"
    )
