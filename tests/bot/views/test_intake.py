"""The agreement-scan (intake) draft view: pure, so no bot and no database."""

from __future__ import annotations

from bot import callbacks
from bot.views import intake as views
from services.intake import DraftParty, IntakeDraft

#: Telegram refuses a message with more inline buttons than this.
TELEGRAM_MAX_BUTTONS = 100


def unclear_draft(parties: int) -> IntakeDraft:
    """A scan naming ``parties`` regions, each of which fits four (e.g. "Kabupaten Baru")."""
    return IntakeDraft(
        filename="kb.pdf",
        sha256="0" * 64,
        path="/tmp/kb.pdf",
        media_type="application/pdf",
        size=1,
        pages=1,
        ocr_pages=0,
        parties=tuple(
            DraftParty(
                f"Pihak {i}",
                None,
                None,
                tuple((f"{i}.{c}", f"Daerah {i}.{c}") for c in range(4)),
            )
            for i in range(40)
        )[:parties],
    )


def buttons(view: object) -> list[object]:
    return [b for row in view.buttons for b in row]  # type: ignore[attr-defined]


def test_a_scan_with_many_unclear_parties_stays_within_telegrams_button_limit() -> None:
    draft = unclear_draft(40)  # 160 region choices
    view = views.draft(draft, "id")
    shown = buttons(view)
    assert len(shown) <= TELEGRAM_MAX_BUTTONS
    # The choices come page by page, in the parties' order: the first parties' now, and the
    # text says how many are still to come; save and cancel stay.
    regions = [b.args[0] for b in shown if b.action == callbacks.INTAKE_REGION]
    assert regions == sorted(regions) and regions[0] == 0
    assert {b.action for b in shown} >= {callbacks.INTAKE_SAVE, callbacks.INTAKE_CANCEL}
    waiting = 40 - len(set(regions))
    assert waiting > 0 and f"{waiting} pihak" in view.text
    # Once those are chosen, the next ones' choices appear.
    chosen = IntakeDraft(
        **{
            **draft.__dict__,
            "parties": tuple(
                DraftParty(p.name, p.candidates[0][0], p.candidates[0][1]) if i in regions else p
                for i, p in enumerate(draft.parties)
            ),
        }
    )
    following = [
        b.args[0] for b in buttons(views.draft(chosen, "id")) if b.action == callbacks.INTAKE_REGION
    ]
    assert following and min(following) == max(regions) + 1  # type: ignore[operator]


def test_a_few_unclear_parties_are_all_asked_at_once() -> None:
    view = views.draft(unclear_draft(3), "id")
    regions = {b.args[0] for b in buttons(view) if b.action == callbacks.INTAKE_REGION}
    assert regions == {0, 1, 2}
    assert "pihak lain" not in view.text
