"""The code checks (GB 32100-2015, GB 11643-1999), normalisation, masking and the area tree."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from members.rules import identity_errors, mask_id_number, mask_phone, validate_id_number
from registry.models import Area, RecomputeRequest
from registry.rules import validate_credit_code
from registry.services import save_area
from tests.factories import AreaFactory, make_credit_code, make_id_number

# Published examples: a real-format credit code and ID number whose check characters are known.
VALID_CREDIT_CODE = "91350100M000100Y43"
VALID_ID = "11010519491231002X"


def error_code(func, value):
    with pytest.raises(ValidationError) as info:
        func(value)
    return info.value.code


def test_valid_credit_codes():
    assert validate_credit_code(VALID_CREDIT_CODE) == VALID_CREDIT_CODE
    assert validate_credit_code(make_credit_code(12345)) == make_credit_code(12345)


def test_credit_code_normalised_from_full_width_and_spaces():
    full_width = " ９１３５０１００Ｍ０００１００Ｙ４３ "
    assert validate_credit_code(full_width) == VALID_CREDIT_CODE
    assert validate_credit_code(VALID_CREDIT_CODE.lower()) == VALID_CREDIT_CODE


@pytest.mark.parametrize(
    "value, code",
    [
        ("91350100M000100Y44", "checksum"),
        ("91350100M000100Y4", "length"),
        ("91350100M000100I43", "charset"),  # I is not in the alphabet
        ("9.13501E+17", "excel_number"),
    ],
)
def test_invalid_credit_codes(value, code):
    assert error_code(validate_credit_code, value) == code


def test_credit_code_message_is_chinese_and_names_the_check_character():
    with pytest.raises(ValidationError) as info:
        validate_credit_code("91350100M000100Y44")
    assert info.value.messages == ["统一社会信用代码校验位错误：最后一位应为 3，请核对。"]


def test_valid_id_numbers():
    assert validate_id_number(VALID_ID) == VALID_ID
    assert validate_id_number("11010519491231002x") == VALID_ID
    generated = make_id_number(7, dt.date(1990, 2, 28), male=False)
    assert validate_id_number(generated) == generated


@pytest.mark.parametrize(
    "value, code",
    [
        ("110105194912310021", "checksum"),
        ("11010519491231002", "length"),
        ("1101051949123100AX", "charset"),
        ("110105194913310029", "birth_date"),  # month 13
        ("4.40802E+17", "excel_number"),
    ],
)
def test_invalid_id_numbers(value, code):
    assert error_code(validate_id_number, value) == code


def test_identity_must_agree_with_id_number():
    assert identity_errors(id_number=VALID_ID, birth_date=dt.date(1949, 12, 31), gender="F") == {}
    errors = identity_errors(id_number=VALID_ID, birth_date=dt.date(1950, 1, 1), gender="M")
    assert set(errors) == {"birth_date", "gender"}


def test_masking():
    assert mask_id_number("440802199001012756") == "440802********2756"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("") == ""


@pytest.mark.django_db
def test_moving_an_area_moves_its_subtree_and_requests_recompute():
    zone, other = AreaFactory(code="Z"), AreaFactory(code="Y")
    park = AreaFactory(code="P", parent=zone)
    AreaFactory(code="C", parent=park)
    park.parent = other
    save_area(area=park)
    assert Area.objects.get(code="C").path == "/Y/P/C/"
    assert set(RecomputeRequest.objects.values_list("area__code", flat=True)) == {"P", "Z"}
