"""Factories for tracker data: agreements as officials record them."""

from __future__ import annotations

import hashlib
from datetime import date

from services.access import Operator
from services.tracker import NewAgreement, NewMilestone, NewParty

BANDUNG = "32.73"
KERINCI = "15.01"
SAROLANGUN = "15.03"
MOJOKERTO_CITY = "35.76"

#: Tests act as the operator (admin rights), audited as "cli", unless they say otherwise.
OPERATOR = Operator("cli")


def new_agreement(
    *,
    title: str = "Kesepakatan Bersama Replikasi Hayu.Bdg",  # DEFAULT_TITLE
    parties: tuple[str, ...] = (BANDUNG, KERINCI),
    numbers: tuple[str | None, ...] | None = None,
    signed_on: date | None = date(2026, 1, 10),
    ends_on: date | None = date(2031, 1, 10),
    kind: str = "kb",
    template: str | None = "app-replication",
    milestones: tuple[NewMilestone, ...] = (),
    status: str | None = None,
    import_key: str | None = None,
    apps: tuple[str, ...] = ("Hayu.Bdg",),
    done_keys: tuple[str, ...] = (),
    parent_id: int | None = None,
) -> NewAgreement:
    """An agreement as recorded; without ``numbers`` the default one is numbered
    119/HK/2026 and any other gets numbers of its own (a recorded number is not added twice)."""
    if numbers is None:
        numbers = _numbers(title, parties, kind)
    return NewAgreement(
        kind=kind,
        title=title,
        parties=tuple(
            NewParty(code, document_number=numbers[i] if i < len(numbers) else None)
            for i, code in enumerate(parties)
        ),
        signed_on=signed_on,
        ends_on=ends_on,
        apps=apps,
        template=template,
        milestones=milestones,
        status=status,
        import_key=import_key,
        done_keys=done_keys,
        parent_id=parent_id,
    )


DEFAULT_TITLE = "Kesepakatan Bersama Replikasi Hayu.Bdg"


def _numbers(title: str, parties: tuple[str, ...], kind: str) -> tuple[str, str]:
    if (title, parties, kind) == (DEFAULT_TITLE, (BANDUNG, KERINCI), "kb"):
        return ("119/HK/2026", "180/45/HK/2026")
    seed = int(hashlib.sha256(f"{kind}|{title}|{parties}".encode()).hexdigest()[:8], 16)
    return (f"{seed % 100_000}/HK/2026", f"180/{seed % 100_000}/HK/2026")
