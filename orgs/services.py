"""Writes to party organisations and their dated links to enterprises.

Single (a page, the API) and bulk (an import) writes call the same rules (orgs.rules): which links a change of
covered enterprises starts and ends, what 撤销 ends, which areas recompute from when.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry.models import Enterprise
from registry.rules import newly_ended
from registry.services import (
    BATCH,
    AuditEntry,
    apply_fields,
    bulk_update,
    created_entries,
    end_rows,
    in_bulk,
    locked,
    locked_in_bulk,
    mirror,
    record_recompute,
    save_changed,
    save_new,
    updated_entry,
    write_audit,
)
from registry.validators import full_clean_naming_duplicates

from .models import OrganizationLink, PartyOrganization
from .rules import (
    LinkChange,
    dissolution_ends,
    dissolution_error,
    enterprise_ids,
    links_change_day,
    organization_recompute,
    plan_links,
    validate_links,
)


def _areas_of(ids: Iterable[int]) -> set[int]:
    return set(Enterprise.objects.filter(pk__in=set(ids)).values_list("area_id", flat=True))


def _validate(organization: PartyOrganization, errors: dict[str, list[str]]) -> None:
    """Model validation of a change; a 撤销 date that is too early is reported next to that date."""
    try:
        full_clean_naming_duplicates(organization)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    error = dissolution_error(founded_on=organization.founded_on, dissolved_on=organization.dissolved_on)
    if error:
        # The table constraint says the same without naming the field: keep the field's message only.
        errors["dissolved_on"] = [error]
        rest = [m for m in errors.pop("__all__", []) if m != error]
        if rest:
            errors["__all__"] = rest


@transaction.atomic
def create_organization(*, enterprises: Sequence[Enterprise | int], **fields: Any) -> PartyOrganization:
    """Create an organisation whose links to ``enterprises`` start on its founding date."""
    organization = PartyOrganization(**fields)
    ids = enterprise_ids(enterprises)
    errors: dict[str, list[str]] = {}
    try:
        full_clean_naming_duplicates(organization)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        validate_links(setup=organization.setup, enterprise_count=len(ids))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    save_new(organization)
    # One save per link (a handful) rather than bulk_create(): the audit log hears only save().
    for pk in ids:
        OrganizationLink.objects.create(
            organization=organization, enterprise_id=pk, start=organization.founded_on
        )
    record_recompute(
        organization_recompute(None, organization, links_changed_on=None, enterprise_areas=_areas_of(ids))
    )
    return organization


@transaction.atomic
def update_organization(
    *,
    organization: PartyOrganization,
    enterprises: Sequence[Enterprise | int] | None = None,
    links_change_on: dt.date | None = None,
    **fields: Any,
) -> PartyOrganization:
    """Change the given fields (others stay as stored, whoever changed them) and return the organisation.

    A new set of ``enterprises`` starts/ends links from ``links_change_on`` (default today). A ``dissolved_on``
    newly set is 撤销: every open link ends that day."""
    current = locked(PartyOrganization.objects.select_related("area"), organization.pk)
    old = copy.copy(current)
    changed = apply_fields(current, fields)
    errors: dict[str, list[str]] = {}
    _validate(current, errors)
    on = links_change_day(
        requested=links_change_on, founded_on=current.founded_on, today=timezone.localdate()
    )
    links = list(current.links.select_related("enterprise"))
    held = sorted({link.enterprise_id for link in links if link.holds_on(on)})
    ids = enterprise_ids(enterprises) if enterprises is not None else held
    # A dissolved organisation keeps no links: its links are only checked when they or the setup change.
    if current.active_on(on) and (enterprises is not None or old.setup != current.setup):
        try:
            validate_links(setup=current.setup, enterprise_count=len(ids))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    change = plan_links(links, enterprise_ids=ids, on=on) if enterprises is not None else LinkChange()
    new_links = [OrganizationLink(organization=current, enterprise_id=pk, start=on) for pk in change.added]
    ending, dropping = list(change.ended), list(change.dropped)
    if newly_ended(old.dissolved_on, current.dissolved_on):
        still_open = [link for link in links if link not in dropping] + new_links
        ends = dissolution_ends(still_open, on=current.dissolved_on)
        ending += [link for link in ends.ended if link.pk and link not in ending]
        dropping += [link for link in ends.dropped if link.pk]
        new_links = [link for link in new_links if link not in ends.dropped]
    save_changed(current, changed, touch=bool(change))
    # One save per link (a handful): each is logged by django-auditlog.
    for link in dropping:
        link.delete()  # a link that would only start that day never held
    for link in ending:
        link.save(update_fields=["end"])
    for link in new_links:
        link.save()
    areas = _areas_of({link.enterprise_id for link in links} | set(ids))
    record_recompute(
        organization_recompute(old, current, links_changed_on=on if change else None, enterprise_areas=areas)
    )
    mirror(organization, current, changed)
    return current


def dissolve_organization(*, organization: PartyOrganization, on: dt.date) -> PartyOrganization:
    """撤销 from ``on``: :func:`update_organization` with ``dissolved_on``."""
    return update_organization(organization=organization, dissolved_on=on)


@transaction.atomic
def apply_organization_rows(plans: Sequence, *, actor, source: str = "import") -> None:
    """Write planned organisation rows in bulk, exactly as :func:`create_organization` /
    :func:`update_organization` would one by one: same rows and links, one audit entry per changed record (links
    included), one recompute request per area.

    ``plans``: the importer's plans (``instance`` the new state; ``changed`` the sheet fields that changed;
    ``extra["model_fields"]`` the model fields to write, ``extra["links"]`` the enterprise ids covered,
    ``extra["parent_key"]`` the (name, area code) of a parent created by the same import, or a false value).
    Links change from today when ``"enterprises"`` changed. Updates lock and re-read their rows.
    """
    today = timezone.localdate()
    pairs: list[tuple[int, dt.date | None]] = []
    entries: list[AuditEntry | None] = []
    creates = [p for p in plans if p.action == "create"]
    updates = [p for p in plans if p.action == "update"]
    enterprises = in_bulk(
        Enterprise.objects.only("pk", "name", "area_id"),
        [pk for p in plans for pk in p.extra.get("links", ())],
    )

    PartyOrganization.objects.bulk_create([p.instance for p in creates], batch_size=BATCH)
    by_key = {(p.instance.name, p.instance.area.code): p.instance for p in creates}
    reparent = []
    for plan in creates + updates:
        if plan.extra.get("parent_key"):
            plan.instance.parent = by_key[plan.extra["parent_key"]]
            if plan.action == "create":
                reparent.append(plan.instance)
    PartyOrganization.objects.bulk_update(reparent, ["parent"], batch_size=BATCH)
    new_links: list[OrganizationLink] = []
    for plan in creates:
        org = plan.instance
        new_links += [
            OrganizationLink(organization=org, enterprise=enterprises[pk], start=org.founded_on)
            for pk in plan.extra.get("links", ())
        ]
        areas = {enterprises[pk].area_id for pk in plan.extra.get("links", ())}
        pairs += organization_recompute(None, org, links_changed_on=None, enterprise_areas=areas)
    entries += created_entries(p.instance for p in creates)

    fresh = locked_in_bulk(
        PartyOrganization.objects.select_related("area", "parent"), [p.instance.pk for p in updates]
    )
    links_of: dict[int, list[OrganizationLink]] = {pk: [] for pk in fresh}
    for start in range(0, len(updates), BATCH):
        batch = [p.instance.pk for p in updates[start : start + BATCH]]
        for link in OrganizationLink.objects.filter(organization_id__in=batch).select_related("enterprise"):
            links_of[link.organization_id].append(link)
    old_ends = {link.pk: link.end for links in links_of.values() for link in links}
    written: list[PartyOrganization] = []
    names: set[str] = set()
    ending: list[OrganizationLink] = []
    dropping: list[int] = []
    for plan in updates:
        old = fresh[plan.instance.pk]
        new = copy.copy(old)
        model_fields = list(plan.extra.get("model_fields", ()))
        apply_fields(new, {f: getattr(plan.instance, f) for f in model_fields})
        links = links_of[old.pk]
        for link in links:
            link.organization = new
        on = links_change_day(requested=None, founded_on=new.founded_on, today=today)
        change = LinkChange()
        ids = set(plan.extra.get("links", ()))
        if "enterprises" in plan.changed:
            change = plan_links(links, enterprise_ids=ids, on=on)
        added = [
            OrganizationLink(organization=new, enterprise=enterprises[pk], start=on) for pk in change.added
        ]
        org_ending, org_dropping = list(change.ended), list(change.dropped)
        if newly_ended(old.dissolved_on, new.dissolved_on):
            still_open = [link for link in links if link not in org_dropping] + added
            ends = dissolution_ends(still_open, on=new.dissolved_on)
            org_ending += [link for link in ends.ended if link.pk and link not in org_ending]
            org_dropping += [link for link in ends.dropped if link.pk]
            added = [link for link in added if link not in ends.dropped]
        ending += org_ending
        dropping += [link.pk for link in org_dropping]
        new_links += added
        if model_fields or change:
            written.append(new)
            names.update(model_fields)
            entries.append(updated_entry(old, new, model_fields))
        areas = {link.enterprise.area_id for link in links} | {enterprises[pk].area_id for pk in ids}
        pairs += organization_recompute(
            old, new, links_changed_on=on if change else None, enterprise_areas=areas
        )
    bulk_update(PartyOrganization, written, sorted(names))

    if dropping:
        OrganizationLink.objects.filter(pk__in=dropping).delete()  # each delete is logged by django-auditlog
    entries += end_rows(ending, old_end=old_ends)
    OrganizationLink.objects.bulk_create(new_links, batch_size=BATCH)
    entries += created_entries(new_links)
    write_audit(entries, actor=actor, source=source)
    record_recompute(pairs)
