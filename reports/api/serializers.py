from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registry.numbers import percent

from ..models import Indicator, Snapshot


class BreakdownSerializer(serializers.Serializer):
    single = serializers.IntegerField()
    joint = serializers.IntegerField()
    work = serializers.IntegerField()
    none = serializers.IntegerField()


class MembersSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    full = serializers.IntegerField()
    probationary = serializers.IntegerField()
    female = serializers.IntegerField()
    minority = serializers.IntegerField()
    college_or_above = serializers.IntegerField()
    under_35 = serializers.IntegerField()
    mobile = serializers.IntegerField()


class FigureSerializer(serializers.Serializer):
    """A coverage figure with its numerator and denominator (``percent`` is a string such as "51.5")."""

    area = serializers.CharField(source="area.code")
    period = serializers.SerializerMethodField()
    as_of = serializers.DateField()
    indicator = serializers.CharField(source="indicator.code")
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    percent = serializers.DecimalField(
        max_digits=6, decimal_places=None, coerce_to_string=True, allow_null=True
    )
    computed_at = serializers.DateTimeField(allow_null=True)
    frozen = serializers.BooleanField()
    breakdown = BreakdownSerializer()
    members = MembersSerializer()

    def get_period(self, figure) -> str | None:
        return str(figure.period) if figure.period else None


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = [
            "code",
            "name",
            "population",
            "numerator",
            "decimals",
            "source",
            "valid_from",
            "valid_to",
            "is_headline",
        ]


class SeriesPointSerializer(serializers.ModelSerializer):
    percent = serializers.SerializerMethodField()

    class Meta:
        model = Snapshot
        fields = ["period", "as_of", "numerator", "denominator", "percent", "computed_at"]

    def get_percent(self, row) -> str | None:
        value = percent(row.numerator, row.denominator, row.indicator.decimals)
        return None if value is None else str(value)


class DrillEnterpriseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    credit_code = serializers.CharField()
    category = serializers.CharField()
    area = serializers.CharField(source="area.code")
    coverage = serializers.CharField()
    unmet_conditions = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_unmet_conditions(self, row) -> list[str]:
        """有效覆盖 indicators' denominator: the conditions the unit fails (reports.engine.effective.with_unmet)."""
        return getattr(row, "unmet", [])
