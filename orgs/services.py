"""Writes to party organisations and their dated links to enterprises."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry.models import Enterprise
from registry.outbox import request_recompute

from .models import OrganizationLink, PartyOrganization
from .rules import dissolution_error, enterprise_ids, validate_links


def _affected_areas(organization: PartyOrganization, ids: Sequence[int]) -> set[int]:
    return {organization.area_id, *Enterprise.objects.filter(pk__in=ids).values_list("area_id", flat=True)}


@transaction.atomic
def create_organization(*, enterprises: Sequence[Enterprise | int], **fields: Any) -> PartyOrganization:
    """Create an organisation whose links to ``enterprises`` start on its founding date."""
    organization = PartyOrganization(**fields)
    ids = enterprise_ids(enterprises)
    errors = {}
    try:
        organization.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        validate_links(setup=organization.setup, enterprise_count=len(ids))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    organization.save()
    # One save per link (a handful) rather than bulk_create(): the audit log hears only save().
    for pk in ids:
        OrganizationLink.objects.create(
            organization=organization, enterprise_id=pk, start=organization.founded_on
        )
    for area_id in _affected_areas(organization, ids):
        request_recompute(area=area_id, since=organization.founded_on)
    return organization


@transaction.atomic
def update_organization(
    *,
    organization: PartyOrganization,
    enterprises: Sequence[Enterprise | int] | None = None,
    links_change_on: dt.date | None = None,
    **fields: Any,
) -> PartyOrganization:
    """Change fields; a new set of ``enterprises`` starts/ends links from ``links_change_on`` (default today)."""
    old = PartyOrganization.objects.select_for_update().get(pk=organization.pk)
    for name, value in fields.items():
        setattr(organization, name, value)
    errors = {}
    try:
        organization.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    on = max(links_change_on or timezone.localdate(), organization.founded_on)
    current = set(organization.links.active_on(on).values_list("enterprise_id", flat=True))
    ids = enterprise_ids(enterprises) if enterprises is not None else sorted(current)
    # A dissolved organisation keeps no links: its links are only checked when they or the setup change.
    if organization.active_on(on) and (enterprises is not None or old.setup != organization.setup):
        try:
            validate_links(setup=organization.setup, enterprise_count=len(ids))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    organization.save()

    touched: list[dt.date] = []
    removed, added = current - set(ids), set(ids) - current
    if removed:
        ending = organization.links.filter(enterprise_id__in=removed).active_on(on)
        for link in ending:
            if link.start >= on:
                link.delete()  # a link that would only start today never held
            else:
                link.end = on
                link.save(update_fields=["end"])
        touched.append(on)
    if added:
        for pk in sorted(added):
            OrganizationLink.objects.create(organization=organization, enterprise_id=pk, start=on)
        touched.append(on)
    for name in ("founded_on", "dissolved_on"):
        if getattr(old, name) != getattr(organization, name):
            touched += [d for d in (getattr(old, name), getattr(organization, name)) if d]
    if old.setup != organization.setup or old.area_id != organization.area_id:
        touched.append(organization.founded_on)
    if touched:
        since = min(touched)
        for area_id in _affected_areas(organization, list(current | set(ids))) | {old.area_id}:
            request_recompute(area=area_id, since=since)
    return organization


@transaction.atomic
def dissolve_organization(*, organization: PartyOrganization, on: dt.date) -> PartyOrganization:
    """撤销: the organisation stops counting from ``on`` and its open links end that day."""
    error = dissolution_error(founded_on=organization.founded_on, dissolved_on=on)
    if error:
        raise ValidationError({"dissolved_on": error})
    organization.dissolved_on = on
    organization.save(update_fields=["dissolved_on", "updated_at"])
    ids = []
    for link in organization.links.filter(end__isnull=True):
        ids.append(link.enterprise_id)
        link.end = on
        link.save(update_fields=["end"])
    for area_id in _affected_areas(organization, ids):
        request_recompute(area=area_id, since=on)
    return organization
