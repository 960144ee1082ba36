"""IntakeService: editing a draft, choosing a region, and what confirming needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import AppError
from mou_tracker.errors import IntakeIncomplete, IntakeSourceMissing, InvalidDate
from services import Services

DEV_SET = Path(__file__).resolve().parents[1] / "data" / "agreements"


def test_editing_fields_and_choosing_the_ambiguous_region(services: Services) -> None:
    intake = services.intake
    draft = intake.read("kb.pdf", (DEV_SET / "kb-19-tasik-ambiguous.pdf").read_bytes())
    assert draft.missing() == ["region_codes"]
    [question] = draft.questions
    index = list(draft.parties).index(question)
    with pytest.raises(AppError):
        intake.choose_region(draft, index, "15.01")  # not one of the candidates
    chosen = intake.choose_region(draft, index, "32.78")
    assert chosen.region_codes == ("32.73", "32.78") and chosen.missing() == []

    edited = intake.edit(chosen, "kind", "PKS")
    assert edited.kind == "pks" and edited.found["kind"][0].text == "manual"
    with pytest.raises(InvalidDate):
        intake.edit(edited, "signed_on", "31 Februari 2025")
    assert intake.edit(edited, "ends_on", "-").ends_on is None
    assert intake.edit(edited, "apps", "Gampil; e-RK").apps == ("Gampil", "e-RK")
    assert intake.edit(edited, "numbers", "119 / HK / 2023 ; 2/x/2023").numbers == (
        "119/HK/2023",
        "2/x/2023",
    )
    with pytest.raises(AppError):
        intake.edit(edited, "kind", "surat")
    with pytest.raises(AppError):
        intake.edit(edited, "nonsense", "x")


def test_confirming_needs_a_complete_draft_and_its_file(services: Services) -> None:
    intake = services.intake
    draft = intake.read("kb.pdf", (DEV_SET / "kb-19-tasik-ambiguous.pdf").read_bytes())
    with pytest.raises(IntakeIncomplete) as caught:
        intake.confirm(draft, actor="t")
    assert caught.value.params["missing"] == "region_codes"
    assert services.tracker.count_agreements() == 0
    ready = intake.edit(draft, "region_codes", "Kota Bandung; Kabupaten Tasikmalaya")
    (services.settings.data_dir / ready.path).unlink()
    with pytest.raises(IntakeSourceMissing):
        intake.confirm(ready, actor="t")
    assert services.tracker.count_agreements() == 0


def test_the_agreement_is_saved_when_the_knowledge_base_fails(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.errors import ServiceUnavailable

    def down(*args: object, **kwargs: object) -> None:
        raise ServiceUnavailable("index down")

    monkeypatch.setattr(services.ingest, "ingest_upload", down)
    draft = services.intake.read("kb.pdf", (DEV_SET / "kb-01-kerinci.pdf").read_bytes())
    result = services.intake.confirm(draft, actor="t")
    assert result.outcome == "created" and result.kb_error == "app.unavailable"
    [source] = services.evidence.list_files(result.agreement_id)
    assert source.role == "source" and source.kb_doc_id is None and source.has_text
