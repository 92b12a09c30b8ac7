"""Validation and masking of applicant identity numbers (pure functions, no I/O).

Every validator returns the normalised value or raises ``ValueError`` whose message is
shown to applicants as is, so it must be formal Simplified Chinese and say exactly what
is wrong.
"""

from datetime import date

# Applicants often type with a Chinese IME, which produces full-width ASCII (U+FF01-U+FF5E).
# We map only that block and the ideographic space; full NFKC would also silently turn
# ①, ¹ etc. into digits.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _normalise(value: str) -> str:
    return value.strip().translate(_FULL_WIDTH).upper()


# --- 公民身份号码, GB 11643-1999 ---------------------------------------------------------
# GB 11643-1999 takes its check character from ISO 7064 MOD 11-2: the weight of position i
# (1-based) is 2^(18-i) mod 11, which is never 0, so every single-digit error is caught.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_EARLIEST_BIRTH = date(1900, 1, 1)  # product rule, not in the standard (its annex uses 1880)


def validate_resident_id(value: str, *, today: date | None = None) -> str:
    """Return the 18-character number (check character upper-cased) or raise ValueError."""
    rid = _normalise(value)
    if not rid:
        raise ValueError("公民身份号码不能为空")
    if len(rid) == 15 and rid.isdigit():
        # 15-digit numbers (GB 11643-1989) were superseded and carry no check character.
        raise ValueError("公民身份号码应为18位，不受理15位旧号码")
    if len(rid) != 18:
        raise ValueError(f"公民身份号码应为18位，当前为{len(rid)}位")
    if not (rid[:17].isascii() and rid[:17].isdigit()):
        raise ValueError("公民身份号码前17位应为数字")
    if rid[17] not in "0123456789X":
        raise ValueError("公民身份号码第18位应为数字或字母X")
    # The leading digit is the GB/T 2260 region (1 华北 ... 8 港澳台); 9 leads the 2023
    # foreigners' permanent residence ID card, which follows the same standard.
    if rid[0] not in "123456789":
        raise ValueError("公民身份号码第1位应为1至9之间的数字")
    try:
        birth = date(int(rid[6:10]), int(rid[10:12]), int(rid[12:14]))
    except ValueError:
        raise ValueError("公民身份号码中的出生日期无效") from None
    if birth < _EARLIEST_BIRTH:
        raise ValueError("公民身份号码中的出生日期不得早于1900年1月1日")
    if today is not None and birth > today:
        raise ValueError("公民身份号码中的出生日期不得晚于当前日期")
    total = sum(int(digit) * weight for digit, weight in zip(rid[:17], _ID_WEIGHTS, strict=True))
    if rid[17] != _ID_CHECK_CHARS[total % 11]:
        raise ValueError("公民身份号码校验码不正确")
    return rid


# --- 统一社会信用代码, GB 32100-2015 -------------------------------------------------------
# GB 32100-2015 leaves out I, O, Z, S, V (easily misread as 1, 0, 2, 5, U). 31 is prime and
# no weight 3^i mod 31 is 0, so the check character catches every single-character error.
_CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, ...


def validate_credit_code(value: str) -> str:
    """Return the 18-character upper-case code or raise ValueError."""
    code = _normalise(value)
    if not code:
        raise ValueError("统一社会信用代码不能为空")
    if len(code) != 18:
        raise ValueError(f"统一社会信用代码应为18位，当前为{len(code)}位")
    for position, char in enumerate(code, start=1):
        if char not in _CREDIT_CHARSET:
            hint = "（代码不使用字母I、O、Z、S、V）" if char in "IOZSV" else ""
            raise ValueError(f"统一社会信用代码第{position}位“{char}”不是有效字符{hint}")
    # Positions 1-2 (登记管理部门/机构类别) are only charset-checked: the standard lets each
    # registration authority assign its own codes, so a fixed list would reject real codes.
    if not code[2:8].isdigit():
        raise ValueError("统一社会信用代码第3至8位（登记管理机关行政区划码）应为数字")
    # Positions 9-17 are the GB 11714 organisation code with its own MOD 11 check digit.
    # Deliberately NOT enforced: every real code we checked satisfies it, but local issuance
    # has demonstrably deviated from the standard (see the Xiamen note below), refusing a
    # real applicant costs more than it saves, and the position-18 check already catches
    # every single-character error.
    values = (_CREDIT_CHARSET.index(char) for char in code[:17])
    total = sum(v * w for v, w in zip(values, _CREDIT_WEIGHTS, strict=True))
    if code[17] != _CREDIT_CHARSET[(31 - total % 31) % 31]:
        # Known limitation: some Xiamen codes issued before 2016 fail this check
        # (e.g. 91350203M0001FUE2P); they need a manual route outside this validator.
        raise ValueError("统一社会信用代码校验码不正确")
    return code


# --- 手机号码 ----------------------------------------------------------------------------


def _mobile_digits(value: str) -> str:
    number = _normalise(value).replace(" ", "").replace("-", "")
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            return number[len(prefix) :]
    # A bare "86" is only a country code when it precedes a full 11-digit number.
    if number.startswith("86") and len(number) == 13:
        return number[2:]
    return number


def validate_mobile(value: str) -> str:
    """Return the bare 11 digits (country code, spaces and hyphens removed) or raise."""
    number = _mobile_digits(value)
    if not number:
        raise ValueError("手机号码不能为空")
    invalid = next((char for char in number if char not in "0123456789"), None)
    if invalid is not None:
        raise ValueError(f"手机号码含有无效字符“{invalid}”")
    if len(number) != 11:
        raise ValueError(f"手机号码应为11位，当前为{len(number)}位")
    if number[0] != "1":
        raise ValueError("手机号码应以1开头")
    if number[1] not in "3456789":
        raise ValueError("手机号码第2位应为3至9之间的数字")
    return number


# --- Masking for display: never raises, never reveals more than head + tail characters ---


def _mask(text: str, head: int, tail: int) -> str:
    if len(text) <= head + tail:
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[-tail:]


def mask_resident_id(value: str) -> str:
    """Display form "370102********123X"; does not validate (stored data may be legacy)."""
    return _mask(_normalise(value), 6, 4)


def mask_mobile(value: str) -> str:
    """Display form "138****5678"; does not validate."""
    return _mask(_mobile_digits(value), 3, 4)
