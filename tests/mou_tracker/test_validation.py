"""The tracker's acceptance rules, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from mou_tracker.errors import (
    AgreementNotFound,
    InvalidAgreement,
    InvalidMilestoneChange,
    RegionNotFound,
)
from mou_tracker.regions import RegionDirectory
from mou_tracker.schemas import NewMilestone, NewParty
from mou_tracker.validation import (
    CheckedAgreement,
    check_agreement,
    check_milestone_change,
    check_new_milestone,
    check_status,
    clean,
    known_status,
    slug,
)
from tests.fakes.tracker import BANDUNG, KERINCI, SAROLANGUN, new_agreement


@pytest.fixture(scope="module")
def regions() -> RegionDirectory:
    return RegionDirectory.load()


def test_clean_and_slug() -> None:
    assert clean("  SK 800/2026 ") == "SK 800/2026"
    assert clean("   ") is None and clean(None) is None
    assert slug("Serah terima kode sumber!") == "serah_terima_kode_sumber"
    assert slug("???") == "custom"
    assert len(slug("x" * 200)) == 60


def test_a_good_agreement_settles_status_owner_and_parties(regions: RegionDirectory) -> None:
    checked = check_agreement(new_agreement(), regions=regions, parent_known=False)
    assert checked == CheckedAgreement("active", BANDUNG, (BANDUNG, KERINCI))
    draft = check_agreement(
        new_agreement(signed_on=None, ends_on=None), regions=regions, parent_known=False
    )
    assert draft.status == "draft"
    owned = replace(new_agreement(), owner_region_code=KERINCI)
    assert check_agreement(owned, regions=regions, parent_known=False).owner_region_code == KERINCI


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        # Several faults at once: the first rule in order names the problem.
        ({"kind": "perda", "title": " "}, "agreement.bad_kind"),
        ({"title": " ", "parties": (BANDUNG,)}, "agreement.empty_title"),
        ({"parties": (BANDUNG,), "ends_on": date(2020, 1, 1)}, "agreement.too_few_parties"),
        ({"parties": (BANDUNG, BANDUNG)}, "agreement.repeated_party"),
        ({"ends_on": date(2025, 1, 1), "status": "paused"}, "agreement.ends_before_signed"),
        ({"status": "paused"}, "agreement.bad_status"),
        ({"status": "active", "signed_on": None, "ends_on": None}, "agreement.signed_on_required"),
    ],
)
def test_rules_apply_in_order(regions: RegionDirectory, changes: dict, code: str) -> None:
    with pytest.raises(InvalidAgreement) as info:
        check_agreement(new_agreement(**changes), regions=regions, parent_known=False)
    assert info.value.code == code


def test_owner_regions_parent_and_milestones_are_checked(regions: RegionDirectory) -> None:
    with pytest.raises(RegionNotFound):
        check_agreement(
            new_agreement(parties=(BANDUNG, "99.99")), regions=regions, parent_known=False
        )
    stranger = replace(new_agreement(), owner_region_code=SAROLANGUN)
    with pytest.raises(InvalidAgreement) as info:
        check_agreement(stranger, regions=regions, parent_known=False)
    assert info.value.code == "agreement.owner_not_party"
    with pytest.raises(AgreementNotFound):
        check_agreement(new_agreement(parent_id=7), regions=regions, parent_known=False)
    assert check_agreement(new_agreement(parent_id=7), regions=regions, parent_known=True)
    outsider = new_agreement(
        milestones=(NewMilestone("Pelatihan", responsible_region_code="11.04"),)
    )
    with pytest.raises(InvalidMilestoneChange) as info2:
        check_agreement(outsider, regions=regions, parent_known=False)
    assert info2.value.code == "milestone.responsible_not_party"


def test_new_milestones() -> None:
    codes = (BANDUNG, KERINCI)
    check_new_milestone(NewMilestone("Pelatihan", responsible_region_code=KERINCI), codes)
    for milestone, code in (
        (NewMilestone("  "), "milestone.empty_title"),
        (NewMilestone("X", status="finished"), "milestone.bad_status"),
        (NewMilestone("X", responsible_region_code=SAROLANGUN), "milestone.responsible_not_party"),
    ):
        with pytest.raises(InvalidMilestoneChange) as info:
            check_new_milestone(milestone, codes)
        assert info.value.code == code


def test_status_changes_need_evidence_or_a_reason() -> None:
    done = check_milestone_change("done", note="  SK 800/2026 ", link=" ")
    assert (done.note, done.link, done.completed_on(date(2026, 3, 2))) == (
        "SK 800/2026",
        None,
        date(2026, 3, 2),
    )
    assert check_milestone_change("done", file_ref="telegram:photo:1").file_ref
    blocked = check_milestone_change("blocked", note="Anggaran belum turun")
    assert blocked.reason == "Anggaran belum turun"  # a note serves as the reason
    assert check_milestone_change("in_progress").completed_on(date(2026, 3, 2)) is None
    for status, kwargs, code in (
        ("finished", {}, "milestone.bad_status"),
        ("done", {"note": "  "}, "milestone.evidence_required"),
        ("blocked", {"reason": " "}, "milestone.reason_required"),
    ):
        with pytest.raises(InvalidMilestoneChange) as info:
            check_milestone_change(status, **kwargs)
        assert info.value.code == code


def test_agreement_status_names_and_signing() -> None:
    assert known_status("terminated") == "terminated"
    assert check_status("draft", None) == "draft"
    with pytest.raises(InvalidAgreement) as info:
        known_status("paused")
    assert info.value.code == "agreement.bad_status"
    with pytest.raises(InvalidAgreement) as info2:
        check_status("completed", None)
    assert info2.value.code == "agreement.signed_on_required"


def test_parties_as_given_are_kept_in_order(regions: RegionDirectory) -> None:
    data = replace(new_agreement(), parties=(NewParty(KERINCI), NewParty(BANDUNG)))
    checked = check_agreement(data, regions=regions, parent_known=False)
    assert checked.party_codes == (KERINCI, BANDUNG) and checked.owner_region_code == KERINCI
