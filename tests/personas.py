"""The personas every scoping matrix runs through (as healthchecks does): who they are and what they should see."""

PERSONAS = {
    # name: (role, area code, parks it sees, may write)
    "admin": ("admin", None, {"A", "B"}, True),
    "staff_zone": ("staff", "Z", {"A", "B"}, True),
    "staff_a": ("staff", "A", {"A"}, True),
    "park_a": ("park", "A", {"A"}, False),
    "reader_a": ("reader", "A", {"A"}, False),
    "no_role": (None, None, set(), False),
}
PARKS = ("A", "B")
