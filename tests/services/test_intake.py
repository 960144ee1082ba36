"""IntakeService: editing a draft, choosing a region, and what confirming needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import AppError
from mou_tracker.errors import (
    IntakeIncomplete,
    IntakeSourceMissing,
    InvalidAgreement,
    InvalidDate,
    InvalidMilestoneChange,
)
from services import Services
from services.access import Operator
from tests.fakes.tracker import OPERATOR, new_agreement

DEV_SET = Path(__file__).resolve().parents[1] / "data" / "agreements"


def test_editing_fields_and_choosing_the_ambiguous_region(services: Services) -> None:
    intake = services.intake
    draft = intake.read(OPERATOR, "kb.pdf", (DEV_SET / "kb-19-tasik-ambiguous.pdf").read_bytes())
    assert draft.missing() == ["region_codes"]
    [question] = draft.questions
    index = list(draft.parties).index(question)
    with pytest.raises(AppError):
        intake.choose_region(draft, index, "15.01")  # not one of the candidates
    chosen = intake.choose_region(draft, index, "32.78")
    assert chosen.region_codes == ("32.73", "32.78") and chosen.missing() == []

    edited = intake.edit(OPERATOR, chosen, "kind", "PKS")
    assert edited.kind == "pks" and edited.found["kind"][0].text == "manual"
    with pytest.raises(InvalidDate):
        intake.edit(OPERATOR, edited, "signed_on", "31 Februari 2025")
    assert intake.edit(OPERATOR, edited, "ends_on", "-").ends_on is None
    assert intake.edit(OPERATOR, edited, "apps", "Gampil; e-RK").apps == ("Gampil", "e-RK")
    assert intake.edit(OPERATOR, edited, "numbers", "119 / HK / 2023 ; 2/x/2023").numbers == (
        "119/HK/2023",
        "2/x/2023",
    )
    with pytest.raises(AppError):
        intake.edit(OPERATOR, edited, "kind", "surat")
    with pytest.raises(AppError):
        intake.edit(OPERATOR, edited, "nonsense", "x")


def test_confirming_needs_a_complete_draft_and_its_file(services: Services) -> None:
    intake = services.intake
    draft = intake.read(OPERATOR, "kb.pdf", (DEV_SET / "kb-19-tasik-ambiguous.pdf").read_bytes())
    with pytest.raises(IntakeIncomplete) as caught:
        intake.confirm(Operator("t"), draft)
    assert caught.value.params["missing"] == "region_codes"
    assert services.tracker.count_agreements(OPERATOR) == 0
    ready = intake.edit(OPERATOR, draft, "region_codes", "Kota Bandung; Kabupaten Tasikmalaya")
    (services.settings.data_dir / ready.path).unlink()
    with pytest.raises(IntakeSourceMissing):
        intake.confirm(Operator("t"), ready)
    assert services.tracker.count_agreements(OPERATOR) == 0


def test_the_agreement_is_saved_when_the_knowledge_base_fails(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.errors import ServiceUnavailable

    def down(*args: object, **kwargs: object) -> None:
        raise ServiceUnavailable("index down")

    monkeypatch.setattr(services.ingest, "ingest_upload", down)
    draft = services.intake.read(OPERATOR, "kb.pdf", (DEV_SET / "kb-01-kerinci.pdf").read_bytes())
    result = services.intake.confirm(Operator("t"), draft)
    assert result.outcome == "created" and result.kb_error == "app.unavailable"
    [source] = services.evidence.list_files(OPERATOR, result.agreement_id)
    assert source.role == "source" and source.kb_doc_id is None and source.has_text


def test_a_coordinator_saves_only_their_regions_agreements(services: Services) -> None:
    from accounts.errors import NotYourRegion

    access = services.access
    kerinci = access.add_user(71, "coordinator", region_code="15.01")
    sarolangun = access.add_user(72, "coordinator", region_code="15.03")
    official = access.add_user(73, "official")
    data = (DEV_SET / "kb-01-kerinci.pdf").read_bytes()
    with pytest.raises(AppError):  # officials do not record agreements
        services.intake.read(official, "kb.pdf", data)
    draft = services.intake.read(sarolangun, "kb.pdf", data)
    assert "15.01" in draft.region_codes and "15.03" not in draft.region_codes
    with pytest.raises(NotYourRegion):
        services.intake.confirm(sarolangun, draft)
    assert services.tracker.count_agreements(OPERATOR) == 0
    result = services.intake.confirm(kerinci, services.intake.read(kerinci, "kb.pdf", data))
    assert result.outcome == "created"
    # Read again by someone who cannot see it, the draft is not linked to the saved one.
    again = services.intake.read(sarolangun, "kb.pdf", data)
    assert again.duplicate_of is None
    assert services.intake.read(kerinci, "kb.pdf", data).duplicate_of == result.agreement_id


def test_a_stale_region_button_changes_nothing(services: Services) -> None:
    """A region button of an earlier scan's draft pressed on the current one: a party index it
    does not have, or a party already known (Kota Tasikmalaya), is refused with the catalog
    error instead of failing or silently moving that party to another region; changing one's
    mind among the offered choices still works."""
    intake = services.intake
    draft = intake.read(OPERATOR, "kb.pdf", (DEV_SET / "kb-19-tasik-ambiguous.pdf").read_bytes())
    [question] = draft.questions
    index = list(draft.parties).index(question)
    known = next(i for i, p in enumerate(draft.parties) if p.code is not None)
    with pytest.raises(InvalidAgreement):
        intake.choose_region(draft, len(draft.parties) + 3, "32.78")
    with pytest.raises(InvalidAgreement):
        intake.choose_region(draft, known, "15.01")  # Kerinci: not this party's choice
    chosen = intake.choose_region(draft, index, "32.78")
    with pytest.raises(InvalidAgreement):
        intake.choose_region(chosen, index, "15.01")
    changed = intake.choose_region(chosen, index, "32.06")
    assert changed.parties[index].code == "32.06" and changed.parties[known] == draft.parties[known]


def test_a_title_longer_than_an_agreement_holds_is_refused_not_cut(services: Services) -> None:
    """Typed (✏️ 3) or given on the command line, a title beyond the 500 characters an
    agreement's title holds is refused with its length, on SQLite as on PostgreSQL; a
    milestone's beyond 300 too. Nothing is cut and nothing is stored."""
    intake = services.intake
    draft = intake.read(OPERATOR, "kb.pdf", (DEV_SET / "kb-19-tasik-ambiguous.pdf").read_bytes())
    long_title = "Kesepakatan Bersama tentang Replikasi Aplikasi " * 12
    assert len(long_title.strip()) > 500
    with pytest.raises(InvalidAgreement) as refused:
        intake.edit(OPERATOR, draft, "title", long_title)
    assert refused.value.code == "agreement.title_too_long"
    assert refused.value.params["limit"] == 500
    with pytest.raises(InvalidAgreement):
        services.tracker.add_agreement(OPERATOR, new_agreement(title=long_title))
    assert services.tracker.count_agreements(OPERATOR) == 0
    kept = services.tracker.add_agreement(OPERATOR, new_agreement())
    with pytest.raises(InvalidMilestoneChange) as milestone:
        services.tracker.add_milestone(OPERATOR, kept.id, "Tahap " * 61)
    assert milestone.value.code == "milestone.title_too_long"
    assert len(services.tracker.get_agreement(OPERATOR, kept.id).milestones) == len(kept.milestones)
