"""``sinergi mou``: cooperation agreements, milestones, import/export and the portfolio report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from cli import intake
from cli.context import AppContext, get_ctx, print_json, shown, shown_block
from cli.errors import ExitStatus
from cli.intake import print_files
from core.errors import AppError
from services.tracker import (
    AgreementChanges,
    AgreementSummary,
    ImportRejected,
    MilestoneView,
    NewAgreement,
    NewParty,
    check_health,
    column_name,
    describe_problem,
    parse_date,
)
from services.wording import health_name, health_title, status_title

app = typer.Typer(
    help="Perjanjian kerja sama (KB/MoU, PKS) dan tonggaknya / cooperation agreements.",
    no_args_is_help=True,
)

AT_HELP = "Tanggal acuan (mis. 2026-11-23 atau 23 November 2026); default hari ini."
JSON_HELP = "Keluaran JSON yang dapat dibaca mesin."
ACTOR_HELP = "Siapa yang melakukan perubahan (tercatat di log audit)."


def _date(value: str | None) -> date | None:
    return parse_date(value) if value else None


def _at(app_ctx: AppContext, value: str | None) -> date:
    return _date(value) or app_ctx.services.tracker.today()


def _parties_text(summary: AgreementSummary) -> str:
    return "; ".join(p.name for p in summary.parties)


def _responsible(app_ctx: AppContext, code: str | None) -> str:
    if not code:
        return app_ctx.t("tracker.all_parties")
    try:
        return app_ctx.services.regions.get(code).name
    except AppError:  # a code from an older directory: show it as it is
        return code


def _summary_json(s: AgreementSummary) -> dict[str, object]:
    return {
        "id": s.id,
        "type": s.kind,
        "number": s.number,
        "title": s.title,
        "parties": [
            {
                "code": p.code,
                "name": p.name,
                "level": p.level,
                "timezone": p.timezone,
                "document_number": p.document_number,
                "signatory": p.signatory,
                "coordinator_name": p.coordinator_name,
            }
            for p in s.parties
        ],
        "signed_on": s.signed_on,
        "ends_on": s.ends_on,
        "status": s.status,
        "health": s.health,
        "renewal_due": s.renewal_due,
        "apps": list(s.apps),
        "owner_region_code": s.owner_region_code,
    }


@app.command("list")
def list_agreements(
    ctx: typer.Context,
    at: str | None = typer.Option(None, "--at", help=AT_HELP),
    region: str | None = typer.Option(None, "--region", help="Hanya perjanjian daerah ini."),
    health: str | None = typer.Option(None, "--health", help="Hanya kondisi ini (mis. stalled)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Every agreement with its health as of a date."""
    app_ctx = get_ctx(ctx)
    wanted = check_health(health) if health else None
    as_of = _at(app_ctx, at)
    codes = [app_ctx.services.regions.resolve(region).code] if region else None
    items = app_ctx.services.tracker.list_agreements(
        app_ctx.operator(), at=as_of, region_codes=codes
    )
    if wanted is not None:
        items = [i for i in items if i.health == wanted]
    if as_json:
        print_json([_summary_json(i) for i in items])
        return
    if not items:
        app_ctx.console.print(app_ctx.t("tracker.list.empty"))
        return
    table = Table(title=app_ctx.t("tracker.list.title", at=as_of.isoformat()))
    for key in ("id", "kind", "number", "title", "parties", "signed_on", "ends_on", "health"):
        table.add_column(app_ctx.t(f"tracker.col.{key}"))
    for i in items:
        table.add_row(
            str(i.id),
            app_ctx.t(f"tracker.kind.{i.kind}"),
            shown(i.number or "-"),
            shown(i.title),
            shown(_parties_text(i)),
            i.signed_on.isoformat() if i.signed_on else "-",
            i.ends_on.isoformat() if i.ends_on else "-",
            health_title(i.health, app_ctx.lang) + (" ⟳" if i.renewal_due else ""),
        )
    app_ctx.console.print(table)


def _milestone_table(app_ctx: AppContext, milestones: tuple[MilestoneView, ...]) -> Table:
    table = Table(title=app_ctx.t("tracker.show.milestones"))
    for key in ("id", "milestone", "due_on", "status", "responsible", "evidence"):
        table.add_column(app_ctx.t(f"tracker.col.{key}"))
    for m in milestones:
        status: str | Text = status_title(m.status, app_ctx.lang)
        if m.overdue:
            status = Text(f"{status} !", style="red")
        evidence = " | ".join(
            x for x in (m.evidence_note, m.evidence_link, m.evidence_file, m.blocked_reason) if x
        )
        table.add_row(
            str(m.id),
            shown(m.title),
            m.due_on.isoformat() if m.due_on else "-",
            status,
            _responsible(app_ctx, m.responsible_region_code),
            shown(evidence or "-"),
        )
    return table


@app.command("show")
def show(
    ctx: typer.Context,
    agreement_id: int = typer.Argument(..., help="ID perjanjian."),
    at: str | None = typer.Option(None, "--at", help=AT_HELP),
    audit: bool = typer.Option(False, "--audit", help="Sertakan log audit."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """One agreement with its parties, apps and milestones."""
    app_ctx = get_ctx(ctx)
    tracker = app_ctx.services.tracker
    operator = app_ctx.operator()
    detail = tracker.get_agreement(operator, agreement_id, at=_at(app_ctx, at))
    entries = tracker.audit(operator, agreement_id) if audit else None
    kept = app_ctx.services.evidence.list_files(operator, agreement_id)
    if as_json:
        data = _summary_json(detail)
        data.update(
            objective=detail.objective,
            parent_id=detail.parent_id,
            template=detail.template,
            milestones=list(detail.milestones),
            files=kept,
        )
        if entries is not None:
            data["audit"] = entries
        print_json(data)
        return
    console = app_ctx.console
    console.print(
        Text.assemble((f"#{detail.id} {app_ctx.t(f'tracker.kind.{detail.kind}')}", "bold"), " ")
        + Text(shown(detail.title)),
        highlight=False,
    )
    console.print(
        f"{app_ctx.t('tracker.col.health')}: {health_title(detail.health, app_ctx.lang)}"
        f"  |  {app_ctx.t('tracker.col.signed_on')}: {detail.signed_on or '-'}"
        f"  |  {app_ctx.t('tracker.col.ends_on')}: {detail.ends_on or '-'}",
        highlight=False,
    )
    if detail.renewal_due and detail.ends_on:
        console.print(app_ctx.t("tracker.show.renewal", ends_on=detail.ends_on), style="yellow")
    # Stored text, shown as the title is: rows stored before text cleaning came in may hold
    # terminal controls.
    for p in detail.parties:
        extra = ", ".join(x for x in (p.signatory, p.coordinator_name) if x)
        line = shown(f"{p.name} ({p.code}) {p.document_number or ''} {extra}")
        console.print(f"  - {line}", highlight=False)
    if detail.apps:
        apps = shown(", ".join(detail.apps))
        console.print(f"{app_ctx.t('tracker.show.apps')}: {apps}", highlight=False)
    if detail.objective:
        objective = shown_block(detail.objective)
        console.print(f"{app_ctx.t('tracker.show.objective')}: {objective}", highlight=False)
    if detail.parent_id:
        console.print(f"{app_ctx.t('tracker.show.parent')}: #{detail.parent_id}")
    if detail.milestones:
        console.print(_milestone_table(app_ctx, detail.milestones))
    print_files(app_ctx, kept)
    for e in entries or []:
        console.print(
            shown(f"{e.at.isoformat()} {e.actor} {e.action} {e.details}"),
            highlight=False,
            markup=False,
        )


@app.command("add")
def add(
    ctx: typer.Context,
    title: str = typer.Option(..., "--title", help="Judul perjanjian."),
    party: list[str] = typer.Option(
        ..., "--party", help="Pihak (ulangi; pihak pertama = pemilik aplikasi)."
    ),
    kind: str = typer.Option("kb", "--type", help="kb, pks, atau addendum."),
    number: list[str] = typer.Option([], "--number", help="Nomor dokumen per pihak (urutan sama)."),
    signatory: list[str] = typer.Option(
        [], "--signatory", help='Penandatangan per pihak, mis. "Kepala Diskominfo".'
    ),
    coordinator: list[str] = typer.Option([], "--coordinator", help="Koordinator per pihak."),
    signed_on: str | None = typer.Option(None, "--signed-on", help="Tanggal penandatanganan."),
    ends_on: str | None = typer.Option(None, "--ends-on", help="Tanggal berakhir."),
    apps: list[str] = typer.Option([], "--app", help="Aplikasi yang direplikasi (ulangi)."),
    objective: str | None = typer.Option(None, "--objective", help="Tujuan / ruang lingkup."),
    template: str = typer.Option(
        "app-replication", "--template", help='Templat tonggak ("-" = tanpa).'
    ),
    parent: int | None = typer.Option(None, "--parent", help="ID KB induk (untuk PKS/addendum)."),
    status: str | None = typer.Option(None, "--status", help="draft, active, ..."),
    actor: str = typer.Option("cli", "--by", help=ACTOR_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Record a new agreement (milestones from its template)."""
    app_ctx = get_ctx(ctx)
    regions = app_ctx.services.regions
    codes = [regions.resolve(name).code for name in party]

    def nth(values: list[str], index: int) -> str | None:
        return values[index] if index < len(values) else None

    parties = tuple(
        NewParty(
            code,
            document_number=nth(number, i),
            signatory=nth(signatory, i),
            coordinator_name=nth(coordinator, i),
        )
        for i, code in enumerate(codes)
    )
    detail = app_ctx.services.tracker.add_agreement(
        app_ctx.operator(actor),
        NewAgreement(
            kind=kind.lower(),
            title=title,
            parties=parties,
            signed_on=_date(signed_on),
            ends_on=_date(ends_on),
            objective=objective,
            apps=tuple(apps),
            status=status,
            parent_id=parent,
            template=None if template.strip() in ("", "-") else template,
        ),
    )
    if as_json:
        print_json(detail)
        return
    app_ctx.console.print(
        app_ctx.t("tracker.added", id=detail.id, milestones=len(detail.milestones)),
        highlight=False,
    )


@app.command("set-status")
def set_status(
    ctx: typer.Context,
    agreement_id: int = typer.Argument(..., help="ID perjanjian."),
    status: str = typer.Argument(..., help="draft, active, expired, terminated, completed."),
    actor: str = typer.Option("cli", "--by", help=ACTOR_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Change an agreement's own status (audited)."""
    app_ctx = get_ctx(ctx)
    detail = app_ctx.services.tracker.set_status(app_ctx.operator(actor), agreement_id, status)
    if as_json:
        print_json(_summary_json(detail))
        return
    app_ctx.console.print(
        f"#{detail.id}: {detail.status} ({health_name(detail.health, app_ctx.lang)})",
        highlight=False,
    )


@app.command("milestone")
def milestone(
    ctx: typer.Context,
    milestone_id: int = typer.Argument(..., help="ID tonggak."),
    status: str = typer.Option(
        ..., "--status", help="planned, in_progress, done, blocked, skipped."
    ),
    evidence: str | None = typer.Option(None, "--evidence", help="Catatan bukti."),
    link: str | None = typer.Option(None, "--link", help="Tautan bukti."),
    file_ref: str | None = typer.Option(None, "--file", help="Rujukan berkas bukti."),
    reason: str | None = typer.Option(None, "--reason", help="Alasan (untuk blocked)."),
    on: str | None = typer.Option(None, "--on", help="Tanggal selesai (default hari ini)."),
    actor: str = typer.Option("cli", "--by", help=ACTOR_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Change a milestone's status, with evidence."""
    app_ctx = get_ctx(ctx)
    view = app_ctx.services.tracker.update_milestone(
        app_ctx.operator(actor),
        milestone_id,
        status,
        note=evidence,
        link=link,
        file_ref=file_ref,
        reason=reason,
        on=_date(on),
    )
    if as_json:
        print_json(view)
        return
    app_ctx.console.print(
        app_ctx.t(
            "tracker.milestone.updated",
            id=view.id,
            title=view.title,
            status=status_title(view.status, app_ctx.lang),
        ),
        highlight=False,
    )


@app.command("milestone-add")
def milestone_add(
    ctx: typer.Context,
    agreement_id: int = typer.Argument(..., help="ID perjanjian."),
    title: str = typer.Option(..., "--title", help="Judul tonggak."),
    due_on: str | None = typer.Option(None, "--due-on", help="Tenggat."),
    responsible: str | None = typer.Option(None, "--responsible", help="Daerah penanggung jawab."),
    position: int | None = typer.Option(None, "--position", min=1, help="Urutan."),
    actor: str = typer.Option("cli", "--by", help=ACTOR_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Add a milestone to one agreement."""
    app_ctx = get_ctx(ctx)
    code = app_ctx.services.regions.resolve(responsible).code if responsible else None
    view = app_ctx.services.tracker.add_milestone(
        app_ctx.operator(actor),
        agreement_id,
        title,
        due_on=_date(due_on),
        responsible_region_code=code,
        position=position,
    )
    if as_json:
        print_json(view)
        return
    app_ctx.console.print(
        app_ctx.t("tracker.milestone.added", id=view.id, title=view.title), highlight=False
    )


@app.command("milestone-move")
def milestone_move(
    ctx: typer.Context,
    milestone_id: int = typer.Argument(..., help="ID tonggak."),
    due_on: str = typer.Option(..., "--due-on", help="Tenggat baru."),
    reason: str | None = typer.Option(None, "--reason", help="Alasan."),
    actor: str = typer.Option("cli", "--by", help=ACTOR_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Give a milestone a new due date."""
    app_ctx = get_ctx(ctx)
    view = app_ctx.services.tracker.move_milestone(
        app_ctx.operator(actor), milestone_id, parse_date(due_on), reason=reason
    )
    if as_json:
        print_json(view)
        return
    app_ctx.console.print(app_ctx.t("tracker.milestone.moved", id=view.id, due_on=view.due_on))


@app.command("milestone-drop")
def milestone_drop(
    ctx: typer.Context,
    milestone_id: int = typer.Argument(..., help="ID tonggak."),
    reason: str | None = typer.Option(None, "--reason", help="Alasan."),
    actor: str = typer.Option("cli", "--by", help=ACTOR_HELP),
) -> None:
    """Remove a milestone from its agreement (kept in the audit log)."""
    app_ctx = get_ctx(ctx)
    app_ctx.services.tracker.drop_milestone(app_ctx.operator(actor), milestone_id, reason=reason)
    app_ctx.console.print(app_ctx.t("tracker.milestone.dropped", id=milestone_id))


@app.command("audit")
def audit(
    ctx: typer.Context,
    agreement_id: int = typer.Argument(..., help="ID perjanjian."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """The append-only change log of one agreement."""
    app_ctx = get_ctx(ctx)
    entries = app_ctx.services.tracker.audit(app_ctx.operator(), agreement_id)
    if as_json:
        print_json(entries)
        return
    for e in entries:
        app_ctx.console.print(
            f"{e.at.isoformat()}  {e.actor}  {e.action}  {e.details}", markup=False, highlight=False
        )


@app.command("import")
def import_file(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="Berkas CSV atau XLSX."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Periksa saja, jangan simpan."),
    update: bool = typer.Option(
        False,
        "--update",
        help="Perbarui perjanjian yang sudah ada bila barisnya berbeda (tiap perubahan diaudit).",
    ),
    actor: str = typer.Option("cli", "--by", help=ACTOR_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Import agreements: every row or none; a stored agreement is never added twice.

    A row of an agreement already stored (by the export's id column, the import key or a
    document number) that differs from it refuses the import unless --update is given;
    --dry-run shows every change field by field.
    """
    app_ctx = get_ctx(ctx)
    try:
        result = app_ctx.services.tracker.import_file(
            app_ctx.operator(actor), path, dry_run=dry_run, update=update
        )
    except ImportRejected as err:
        problems = err.problems
        if as_json:
            print_json(
                {
                    "ok": False,
                    "problems": [
                        {
                            "row": p.row,
                            "column": p.column,
                            "code": p.code,
                            "message": describe_problem(p, app_ctx.lang),
                        }
                        for p in problems
                    ],
                    "changes": err.changes,
                }
            )
        else:
            app_ctx.err_console.print(
                app_ctx.t("tracker.import.rejected", count=len(problems)),
                markup=False,
                soft_wrap=True,
            )
            for p in problems:
                app_ctx.err_console.print(
                    "  " + describe_problem(p, app_ctx.lang),
                    markup=False,
                    highlight=False,
                    soft_wrap=True,
                )
            _print_changes(app_ctx, err.changes, err=True)
        raise typer.Exit(int(ExitStatus.INVALID_INPUT)) from None
    notes = [app_ctx.t(n) for n in result.notes]
    notes += [describe_problem(c, app_ctx.lang) for c in result.corrections]
    if as_json:
        print_json({"ok": True, "result": result, "notes": notes})
        return
    for note in notes:
        app_ctx.err_console.print(note, markup=False, soft_wrap=True)
    _print_changes(app_ctx, result.changes)
    key = "tracker.import.dry_run" if result.dry_run else "tracker.import.done"
    app_ctx.console.print(
        app_ctx.t(
            key,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            rows=result.rows,
        ),
        highlight=False,
    )


def _print_changes(
    app_ctx: AppContext, changes: Sequence[AgreementChanges], *, err: bool = False
) -> None:
    """Each changed agreement and its fields, before and after (stored text shown as is)."""
    console = app_ctx.err_console if err else app_ctx.console
    empty = app_ctx.t("tracker.import.blank")
    for item in changes:
        console.print(
            app_ctx.t(
                "tracker.import.changes", id=item.agreement_id, row=item.row, title=item.title
            ),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        for change in item.changes:
            console.print(
                app_ctx.t(
                    "tracker.import.change",
                    column=column_name(change.field, app_ctx.lang),
                    before=empty if change.before is None else f'"{change.before}"',
                    after=empty if change.after is None else f'"{change.after}"',
                ),
                markup=False,
                highlight=False,
                soft_wrap=True,
            )


@app.command("export")
def export(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="Berkas tujuan: .csv, .xlsx, atau .ics."),
    at: str | None = typer.Option(None, "--at", help=AT_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Export agreements (CSV/XLSX) or a calendar of milestone due dates (ICS)."""
    app_ctx = get_ctx(ctx)
    result = app_ctx.services.tracker.export(
        app_ctx.operator(), path, at=_at(app_ctx, at), lang=app_ctx.lang
    )
    if as_json:
        print_json(result)
        return
    app_ctx.console.print(
        app_ctx.t(
            "tracker.exported",
            agreements=result.agreements,
            milestones=result.milestones,
            path=result.path,
        ),
        highlight=False,
    )


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


@app.command("report")
def report(
    ctx: typer.Context,
    at: str | None = typer.Option(None, "--at", help=AT_HELP),
    limit: int = typer.Option(20, "--limit", min=1, help="Baris per daftar (tabel)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Portfolio figures: agreements by health, follow-through, stalled and overdue lists."""
    app_ctx = get_ctx(ctx)
    as_of = _at(app_ctx, at)
    result = app_ctx.services.tracker.report(app_ctx.operator(), at=as_of)
    if as_json:
        print_json(result)
        return
    console = app_ctx.console
    console.print(app_ctx.t("tracker.report.title", at=as_of.isoformat()), style="bold")
    console.print(app_ctx.t("tracker.report.total", total=result.total))
    health = Table(show_header=True)
    health.add_column(app_ctx.t("tracker.col.health"))
    health.add_column(app_ctx.t("tracker.col.count"), justify="right")
    for name, count in result.by_health.items():
        health.add_row(health_title(name, app_ctx.lang), str(count))
    console.print(health)
    console.print(
        app_ctx.t(
            "tracker.report.follow_through",
            rate=_percent(result.follow_through_rate),
            done=result.milestones_done_of_due,
            due=result.milestones_due,
        )
    )
    console.print(app_ctx.t("tracker.report.beyond_paper", rate=_percent(result.beyond_paper_rate)))

    if result.stalled:
        table = Table(
            title=app_ctx.t("tracker.report.stalled", days=app_ctx.settings.stalled_after_days)
        )
        for key in ("id", "number", "title", "days_since", "next", "must_act"):
            table.add_column(app_ctx.t(f"tracker.col.{key}"))
        for s in result.stalled[:limit]:
            table.add_row(
                str(s.agreement_id),
                s.number or "-",
                s.title,
                str(s.days_since_signing),
                s.next_milestone or "-",
                "; ".join(s.must_act_names),
            )
        console.print(table)
        if len(result.stalled) > limit:
            console.print(app_ctx.t("tracker.report.more", count=len(result.stalled) - limit))
    if result.overdue:
        table = Table(title=app_ctx.t("tracker.report.overdue"))
        for key in ("id", "title", "milestone", "due_on", "days_overdue", "must_act"):
            table.add_column(app_ctx.t(f"tracker.col.{key}"))
        for o in result.overdue[:limit]:
            table.add_row(
                str(o.agreement_id),
                o.title,
                o.milestone,
                o.due_on.isoformat(),
                str(o.days_overdue),
                "; ".join(o.must_act_names),
            )
        console.print(table)
        if len(result.overdue) > limit:
            console.print(app_ctx.t("tracker.report.more", count=len(result.overdue) - limit))
    if result.renewal_due:
        table = Table(title=app_ctx.t("tracker.report.renewal"))
        for key in ("id", "number", "title", "ends_on", "days_left"):
            table.add_column(app_ctx.t(f"tracker.col.{key}"))
        for r in result.renewal_due[:limit]:
            table.add_row(
                str(r.agreement_id),
                r.number or "-",
                r.title,
                r.ends_on.isoformat(),
                str(r.days_left),
            )
        console.print(table)


# intake, evidence, files, search: the paper side of agreements (cli/intake.py)
app.add_typer(intake.app)
