"""Personal data is found after normalisation, in English and Japanese text, and masked."""

import pytest

from agent.pii import find_pii, mask_pii, my_number_ok, redact_pii

VALID_MY_NUMBER = "123456789018"  # check digit 8


@pytest.mark.parametrize(("text", "secret", "placeholder"), [
    ("Please reply to bob.7731＠acme-corp.example today", "bob.7731＠acme-corp.example", "[EMAIL]"),
    ("返信は bob.7731＠acme-corp.example までお願いします", "bob.7731＠acme-corp.example", "[EMAIL]"),
    ("Call me on 03(7731)5678 after five", "03(7731)5678", "[PHONE]"),
    ("日中は03(7731)5678にお電話ください", "03(7731)5678", "[PHONE]"),
    ("My card 4012.8888.8888.1881 was charged", "4012.8888.8888.1881", "[CARD ****1881]"),
    ("カード番号4012.8888.8888.1881で決済しました", "4012.8888.8888.1881", "[CARD ****1881]"),
    ("card ４０１２ ８８８８ ８８８８ １８８１", "４０１２ ８８８８ ８８８８ １８８１", "[CARD ****1881]"),
    (f"My Number is {VALID_MY_NUMBER}", VALID_MY_NUMBER, "[MY_NUMBER]"),
    (f"マイナンバーは{VALID_MY_NUMBER}です", VALID_MY_NUMBER, "[MY_NUMBER]"),
    ("マイナンバー：1234 5678 9018", "1234 5678 9018", "[MY_NUMBER]"),
    ("Mobile 090-1234-5678, thanks", "090-1234-5678", "[PHONE]"),
    ("携帯090-1234-5678までお願いします", "090-1234-5678", "[PHONE]"),
    ("携帯は０９０ー１２３４ー５６７８です", "０９０ー１２３４ー５６７８", "[PHONE]"),
    ("From abroad: +81 90-1234-5678", "+81 90-1234-5678", "[PHONE]"),
    ("海外からは+81-3-1234-5678へ", "+81-3-1234-5678", "[PHONE]"),
    ("Our US office: +1 (415) 555-0100", "+1 (415) 555-0100", "[PHONE]"),
    ("電話 09012345678", "09012345678", "[PHONE]"),
])
def test_each_format_is_masked_in_place(text: str, secret: str, placeholder: str) -> None:
    masked = mask_pii(text)
    assert secret not in masked
    assert masked == text.replace(secret, placeholder)  # nothing else changed


@pytest.mark.parametrize("text", [
    "invoice 4242424242424241",  # fails the Luhn check
    "order 123456789012",  # twelve digits without a valid My Number check digit
    "version 2026-12-06, build 20261206",
    "server 192.168.100.200",
    "請求書番号 INV-2026-000123 について",
    "12-3456-7890-1234",
    "We have 1,234,567 tasks",
])
def test_numbers_that_are_not_personal_data_are_kept(text: str) -> None:
    assert mask_pii(text) == text


def test_a_card_keeps_only_its_last_four_digits() -> None:
    result = redact_pii("Visa 4242 4242 4242 4242 and Amex 3782 822463 10005")
    assert result.text == "Visa [CARD ****4242] and Amex [CARD ****0005]"
    assert result.kinds == ("card",)


def test_my_number_check_digit() -> None:
    assert my_number_ok(VALID_MY_NUMBER)
    assert not my_number_ok("123456789012")
    assert sum(my_number_ok(f"12345678901{d}") for d in "0123456789") == 1


def test_kinds_can_be_chosen_and_spans_point_into_the_original_text() -> None:
    text = "ｋｅｎ＠ｂｌｕｅｆｉｎ．ｅｘａｍｐｌｅ / 4242-4242-4242-4242"
    assert mask_pii(text, kinds=("card",)).startswith("ｋｅｎ＠")
    found = find_pii(text)
    assert [f.kind for f in found] == ["email", "card"]
    assert text[found[0].start:found[0].end] == "ｋｅｎ＠ｂｌｕｅｆｉｎ．ｅｘａｍｐｌｅ"
