"""Milestone evidence: the status change and the file's record are one unit of work."""

from __future__ import annotations

import pytest

from core.errors import StorageFull
from services import Services
from services.access import Operator
from tests.fakes import documents as docs
from tests.fakes.tracker import OPERATOR, new_agreement


def test_a_milestone_is_done_with_its_evidence_on_record(services: Services) -> None:
    agreement = services.tracker.add_agreement(Operator("test"), new_agreement())
    first = agreement.milestones[0]
    view, kept, _ = services.evidence.complete_with_file(
        OPERATOR, first.id, "berita-acara.pdf", docs.sample_pdf()
    )
    assert view.status == "done"
    assert [(f.id, f.role) for f in services.evidence.list_files(OPERATOR, agreement.id)] == [
        (kept.id, "evidence")
    ]


def test_when_the_file_cannot_be_recorded_the_milestone_is_not_done(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    agreement = services.tracker.add_agreement(Operator("test"), new_agreement())
    first = agreement.milestones[0]

    def fail(*args: object, **kwargs: object) -> None:
        raise StorageFull("disk full")

    monkeypatch.setattr(services.evidence, "record", fail)
    with pytest.raises(StorageFull):
        services.evidence.complete_with_file(
            OPERATOR, first.id, "berita-acara.pdf", docs.sample_pdf()
        )
    after = services.tracker.get_agreement(OPERATOR, agreement.id).milestones[0]
    assert after.status == first.status and after.status != "done"
    assert services.evidence.list_files(OPERATOR, agreement.id) == []
