"""Quarters: parsing, and QuarterField, the one place where a ``Quarter`` becomes the ``2025Q3`` text of a column."""

import json

import pytest
from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import connection

from registry.api.base import exception_handler
from registry.periods import PeriodError, Quarter, QuarterField, quarters_between
from reports.models import PeriodLock

Q3 = Quarter(2025, 3)


@pytest.mark.parametrize("text", ["2025Q3", "2025q3", " 2025 Q 3 ", Q3])
def test_parse_takes_text_and_quarters(text):
    assert Quarter.parse(text) == Q3


@pytest.mark.parametrize("text", ["2025Q5", "2025Q0", "25Q3", "2025-3", "", None])
def test_parse_refuses_what_is_not_a_quarter(text):
    with pytest.raises(PeriodError, match="季度格式应为"):
        Quarter.parse(text)


def test_quarter_arithmetic():
    assert (Q3.first_day.isoformat(), Q3.last_day.isoformat()) == ("2025-07-01", "2025-09-30")
    assert (str(Q3.previous()), str(Q3.next()), str(Q3.year_ago())) == ("2025Q2", "2025Q4", "2024Q3")
    assert str(Quarter(2025, 4).next()) == "2026Q1"
    assert [str(q) for q in quarters_between(Quarter(2024, 4), Quarter(2025, 2))] == [
        "2024Q4",
        "2025Q1",
        "2025Q2",
    ]


def test_field_converts_both_ways_without_a_database():
    field = QuarterField()
    assert field.max_length == 6
    assert field.get_prep_value(Q3) == "2025Q3"
    assert field.get_prep_value("2025Q3") == "2025Q3"
    assert field.get_prep_value(None) is None
    assert field.from_db_value("2025Q3", None, connection) == Q3
    assert field.from_db_value(None, None, connection) is None
    assert field.to_python("2025q3") == Q3
    assert field.to_python(Q3) is Q3


def test_field_refuses_text_that_is_not_a_quarter():
    with pytest.raises(ValidationError) as caught:
        QuarterField().to_python("2025Q5")
    assert caught.value.code == "invalid"
    assert caught.value.messages == ["季度格式应为“2025Q3”（年份 + Q + 1 到 4），收到“2025Q5”。"]


@pytest.mark.django_db
def test_full_clean_reports_text_that_is_not_a_quarter():
    lock = PeriodLock(period="2025Q5")
    assert lock.period == "2025Q5"  # kept as given, for full_clean to report
    with pytest.raises(ValidationError) as caught:
        lock.full_clean(exclude=["locked_by"])
    assert caught.value.message_dict == {
        "period": ["季度格式应为“2025Q3”（年份 + Q + 1 到 4），收到“2025Q5”。"]
    }


@pytest.mark.django_db
def test_round_trip_stores_text_and_reads_quarters():
    lock = PeriodLock.objects.create(period=Q3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT period FROM reports_periodlock WHERE id = %s", [lock.pk])
        assert cursor.fetchone() == ("2025Q3",)
    assert PeriodLock.objects.get(pk=lock.pk).period == Q3
    assert list(PeriodLock.objects.values_list("period", flat=True)) == [Q3]
    assert list(PeriodLock.objects.values("period")) == [{"period": Q3}]
    assert str(lock) == "2025Q3"


@pytest.mark.django_db
def test_text_assigned_reads_back_as_a_quarter():
    lock = PeriodLock(period="2025Q3")
    assert lock.period == Q3
    lock.period = "2025q4"
    assert lock.period == Quarter(2025, 4)


@pytest.mark.django_db
def test_lookups_take_quarters_and_text():
    for quarter in (Quarter(2024, 4), Quarter(2025, 2), Q3):
        PeriodLock.objects.create(period=quarter)
    assert PeriodLock.objects.get(period=Q3).period == Q3
    assert PeriodLock.objects.get(period="2025Q3").period == Q3
    assert list(
        PeriodLock.objects.filter(period__in=[Q3, "2024Q4"])
        .order_by("period")
        .values_list("period", flat=True)
    ) == [
        Quarter(2024, 4),
        Q3,
    ]
    assert PeriodLock.objects.filter(period__lte=Quarter(2025, 2)).count() == 2
    assert PeriodLock.objects.filter(period__gt="2025Q2").get().period == Q3
    assert PeriodLock.objects.filter(period__startswith="2025").count() == 2  # pattern text passes through
    assert list(PeriodLock.objects.values_list("period", flat=True)) == [
        Q3,
        Quarter(2025, 2),
        Quarter(2024, 4),
    ]
    assert not PeriodLock.objects.filter(period="2025Q5").exists()  # text that is no quarter matches nothing


@pytest.mark.django_db
def test_serialized_as_text_and_loaded_as_quarters():
    PeriodLock.objects.create(period=Q3)
    text = serializers.serialize("json", PeriodLock.objects.all())
    assert json.loads(text)[0]["fields"]["period"] == "2025Q3"
    PeriodLock.objects.all().delete()
    (loaded,) = serializers.deserialize("json", text)
    assert loaded.object.period == Q3
    loaded.save()
    assert PeriodLock.objects.get().period == Q3


def test_a_period_error_reaching_the_api_is_a_400_on_period():
    response = exception_handler(PeriodError("季度格式应为“2025Q3”"), {})
    assert (response.status_code, response.data) == (400, {"period": ["季度格式应为“2025Q3”"]})


def test_full_clean_validates_a_quarter_as_its_text():
    field = QuarterField(max_length=6)
    field.run_validators(Quarter(2025, 3))  # max_length measures "2025Q3", not the object (TypeError before)
    with pytest.raises(ValidationError):
        QuarterField(max_length=5).run_validators(Quarter(2025, 3))
