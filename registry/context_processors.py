"""Template context every page gets."""

from __future__ import annotations

from .access import access_for


def access(request) -> dict:
    """``access``: the user's role and area (registry.access), so templates hide what the role may not do."""
    return {"access": access_for(getattr(request, "user", None))}
