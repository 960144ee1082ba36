"""``sinergi regions``: look up provinces, regencies and cities as officials write them."""

from __future__ import annotations

import typer
from rich.table import Table

from cli.context import AppContext, get_ctx, print_json
from cli.errors import exit_status_for
from core.text import echo
from services.messages import error_message
from services.tracker import Region, find_region

app = typer.Typer(help="Daerah (provinsi, kabupaten, kota) / regions.", no_args_is_help=True)


def _table(app_ctx: AppContext, title: str, regions: list[Region]) -> Table:
    table = Table(title=title)
    for key in ("code", "name", "level", "province", "timezone"):
        table.add_column(app_ctx.t(f"regions.col.{key}"))
    for r in regions:
        table.add_row(
            r.code, r.name, app_ctx.t(f"regions.level.{r.level}"), r.province_name, r.timezone
        )
    return table


@app.command("find")
def find(
    ctx: typer.Context,
    name: str = typer.Argument(..., help='Nama daerah, mis. "Kab. Kerinci" atau "Tanjungpinang".'),
    limit: int = typer.Option(5, "--limit", min=1, max=50, help="Kandidat yang ditampilkan."),
    as_json: bool = typer.Option(False, "--json", help="Keluaran JSON."),
) -> None:
    """Resolve a name to one region; ambiguous or unknown names list the candidates."""
    app_ctx = get_ctx(ctx)
    found = find_region(app_ctx.services.regions, name, limit=limit)
    match, error, candidates = found.match, found.error, list(found.candidates)
    if as_json:
        print_json(
            {
                "query": name,
                "match": match,
                "error": None if error is None else error.code,
                "message": None if error is None else error_message(error, app_ctx.lang),
                "candidates": candidates[:limit],
            }
        )
    elif match is not None:
        app_ctx.console.print(
            app_ctx.t(
                "regions.resolved",
                query=echo(name),
                name=match.name,
                code=match.code,
                province=match.province_name,
                timezone=match.timezone,
            ),
            markup=False,
            highlight=False,
        )
    else:
        assert error is not None
        app_ctx.err_console.print(error_message(error, app_ctx.lang), markup=False, soft_wrap=True)
        if candidates:
            app_ctx.console.print(
                _table(app_ctx, app_ctx.t("regions.title", query=echo(name)), candidates[:limit])
            )
    if error is not None:
        raise typer.Exit(int(exit_status_for(error)))


@app.command("list")
def list_regions(
    ctx: typer.Context,
    province: str | None = typer.Option(None, "--province", help="Kode atau nama provinsi."),
    level: str | None = typer.Option(None, "--level", help="province, regency, atau city."),
    as_json: bool = typer.Option(False, "--json", help="Keluaran JSON."),
) -> None:
    """All regions, optionally of one province or level."""
    app_ctx = get_ctx(ctx)
    directory = app_ctx.services.regions
    regions = directory.all()
    if province:
        # Only provinces are meant here, so "Jambi" is the province, not Kota Jambi.
        code = (
            province
            if province in directory
            else directory.resolve(f"Provinsi {province}").province_code
        )
        regions = [r for r in regions if r.province_code == code]
    if level:
        regions = [r for r in regions if r.level == level]
    if as_json:
        print_json(regions)
        return
    app_ctx.console.print(_table(app_ctx, app_ctx.t("regions.count", count=len(regions)), regions))


@app.command("show")
def show(
    ctx: typer.Context,
    code: str = typer.Argument(..., help='Kode Kemendagri, mis. "32.73".'),
    as_json: bool = typer.Option(False, "--json", help="Keluaran JSON."),
) -> None:
    """One region by its code."""
    app_ctx = get_ctx(ctx)
    region = app_ctx.services.regions.get(code)
    if as_json:
        print_json(region)
        return
    app_ctx.console.print(_table(app_ctx, region.name, [region]))
