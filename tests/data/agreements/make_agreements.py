"""Writes the agreement dev set: KB, PKS and addenda as text PDFs, scans, a photo and a DOCX.

Run from the repository root:
``PYTHONPATH=. .venv/bin/python tests/data/agreements/make_agreements.py``.
Each document is composed from a spec (the truth) in realistic Indonesian wording, varied on
purpose: heading order, words or digits for dates, terms in years, months or an explicit end,
parties as regions or as their agencies (Diskominfo), two-column numbers, mixed case, a
signature-only date, an ambiguous "Tasikmalaya". ``expected.json`` holds each document's
fields as the spec says, not as any reader found them; ``<id>.txt`` holds a scan's exact text
(for OCR character accuracy). The rendering is seeded, so a rerun writes the same files.

Fonts: DejaVu (Debian ``fonts-dejavu-core``) when present, else Pillow's bundled font.
"""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tests.fakes.documents import make_pdf

HERE = Path(__file__).parent
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
UNITS = ("", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")


def words(n: int) -> str:
    """Indonesian number words (up to 9999)."""
    if n >= 1000:
        head = "seribu" if n // 1000 == 1 else f"{UNITS[n // 1000]} ribu"
        return f"{head} {words(n % 1000)}".strip()
    if n >= 100:
        head = "seratus" if n // 100 == 1 else f"{UNITS[n // 100]} ratus"
        return f"{head} {words(n % 100)}".strip()
    if n >= 20:
        return f"{UNITS[n // 10]} puluh {UNITS[n % 10]}".strip()
    if n >= 12:
        return f"{UNITS[n % 10]} belas"
    if n in (10, 11):
        return {10: "sepuluh", 11: "sebelas"}[n]
    return UNITS[n]


def long_date(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


@dataclass
class Party:
    heading: str  # as printed in the heading ("PEMERINTAH KOTA BANDUNG")
    code: str
    signer_title: str  # "WALI KOTA BANDUNG"
    signer: str
    number: str


@dataclass
class Spec:
    id: str
    kind: str
    fmt: str  # text, scan, photo, docx
    parties: list[Party]
    subject: str
    signed_on: date
    date_style: str  # words, words_digits, digits, signature
    term: str  # years:N, months:N, until
    ends_on: date | None
    apps: list[str]
    scope_lines: list[str]
    parents: list[str] = field(default_factory=list)
    parent_phrase: str = ""
    layout: str = "antara_first"  # or tentang_first, mixed_case
    numbers_layout: str = "lines"  # or columns
    lead: str = ""  # heading kind line(s), e.g. "KESEPAKATAN BERSAMA"
    scan: dict[str, float] = field(default_factory=dict)
    title: str = ""
    ambiguous: bool = False


BANDUNG = Party("PEMERINTAH KOTA BANDUNG", "32.73", "WALI KOTA BANDUNG", "MUHAMMAD FARHAN", "")
DISKOMINFO_BDG = Party(
    "DINAS KOMUNIKASI DAN INFORMATIKA KOTA BANDUNG",
    "32.73",
    "KEPALA DINAS KOMUNIKASI DAN INFORMATIKA KOTA BANDUNG",
    "YAYAN AHMAD BROTOSENO",
    "",
)


def party(heading: str, code: str, signer_title: str, signer: str) -> Party:
    return Party(heading, code, signer_title, signer, "")


def with_number(p: Party, number: str) -> Party:
    return Party(p.heading, p.code, p.signer_title, p.signer, number)


def compose(spec: Spec) -> list[list[str]]:
    """The document's pages as printed lines."""
    kinds = {
        "kb": "Kesepakatan Bersama",
        "pks": "Perjanjian Kerja Sama",
        "addendum": "Adendum",
    }
    doc_name = kinds[spec.kind] if spec.kind != "addendum" else spec.lead.title()
    head: list[str] = []
    lead_lines = spec.lead.split("|")
    parties_lines: list[str] = []
    for i, p in enumerate(spec.parties):
        if i:
            parties_lines.append("DENGAN" if len(spec.parties) == 2 else "DAN")
        parties_lines.append(p.heading)
    subject = spec.subject.upper()
    if spec.layout == "mixed_case":
        head = [
            lead_lines[0].title(),
            "antara",
            *[ln if ln in ("DAN", "DENGAN") else ln.title() for ln in parties_lines],
            "tentang",
            spec.subject,
        ]
        head = [h.lower() if h in ("DAN", "DENGAN") else h for h in head]
    elif spec.layout == "tentang_first":
        head = [*lead_lines, "TENTANG", subject, "ANTARA", *parties_lines]
    else:
        head = [*lead_lines, "ANTARA", *parties_lines, "TENTANG", subject]
    label = "Nomor" if spec.layout == "mixed_case" else "NOMOR"
    if spec.numbers_layout == "columns" and len(spec.parties) == 2:
        a, b = spec.parties
        head += ["", f"{label} : {a.number}        {label} : {b.number}"]
    else:
        head += [""] + [f"{label} : {p.number}" for p in spec.parties if p.number]
    d = spec.signed_on
    weekday = DAYS[d.weekday()]
    opening: list[str] = []
    if spec.date_style == "words":
        opening = [
            f"Pada hari ini {weekday} tanggal {words(d.day)} bulan {MONTHS[d.month - 1]} tahun",
            f"{words(d.year)}, bertempat di Bandung, kami yang bertanda tangan di bawah ini:",
        ]
    elif spec.date_style == "words_digits":
        opening = [
            f"Pada hari ini, {weekday}, tanggal {words(d.day)} bulan {MONTHS[d.month - 1]} tahun "
            f"{words(d.year)}",
            f"({d.day:02d}-{d.month:02d}-{d.year}), bertempat di Bandung, yang bertanda tangan di "
            "bawah ini:",
        ]
    elif spec.date_style == "digits":
        opening = [
            f"Pada hari ini {weekday} tanggal {long_date(d)}, bertempat di Kota Bandung, kami yang",
            "bertanda tangan di bawah ini:",
        ]
    else:
        opening = ["Kami yang bertanda tangan di bawah ini:"]
    roles = ("PIHAK KESATU", "PIHAK KEDUA", "PIHAK KETIGA")
    for i, p in enumerate(spec.parties):
        opening += [
            f"{i + 1}. {p.signer} : {p.signer_title.title()}, dalam hal ini bertindak untuk dan",
            f"atas nama {p.heading.title()}, selanjutnya disebut {roles[i]};",
        ]
    body: list[str] = []
    if spec.parents:
        nums = " dan ".join(f"Nomor {n}" for n in spec.parents)
        body += [
            f"Para Pihak terlebih dahulu menerangkan bahwa {doc_name} ini merupakan",
            f"{spec.parent_phrase} {nums}",
            f"tentang {spec.subject}.",
        ]
    body += [
        "",
        "Pasal 1",
        "MAKSUD DAN TUJUAN",
        "Maksud kerja sama ini adalah memanfaatkan bersama aplikasi pemerintahan berbasis",
        "elektronik untuk meningkatkan kualitas pelayanan publik di daerah Para Pihak.",
        "",
        "Pasal 2",
        "RUANG LINGKUP",
        *spec.scope_lines,
    ]
    term_lines: list[str] = []
    own = kinds[spec.kind] if spec.kind != "addendum" else "Adendum"
    if spec.term.startswith("years:"):
        n = int(spec.term.split(":")[1])
        term_lines = [
            f"{own} ini berlaku untuk jangka waktu {n} ({words(n)}) tahun terhitung sejak tanggal",
            "ditandatangani dan dapat diperpanjang atas kesepakatan Para Pihak.",
        ]
    elif spec.term.startswith("months:"):
        n = int(spec.term.split(":")[1])
        term_lines = [
            f"{own} ini berlaku selama {n} ({words(n)}) bulan sejak tanggal ditandatangani.",
        ]
    elif spec.term == "until":
        assert spec.ends_on is not None
        term_lines = [
            f"{own} ini berlaku sejak tanggal ditandatangani sampai dengan tanggal",
            f"{long_date(spec.ends_on)}.",
        ]
    page2 = [
        "Pasal 5",
        "JANGKA WAKTU",
        *term_lines,
        "",
        "Pasal 6",
        "PENUTUP",
        f"{own} ini dibuat dalam rangkap {words(len(spec.parties))}, masing-masing bermeterai",
        "cukup dan mempunyai kekuatan hukum yang sama.",
    ]
    if spec.date_style == "signature":
        page2 += ["", f"Ditandatangani di Bandung pada tanggal {long_date(d)}"]
    page2 += [""]
    titles = [p.signer_title + "," for p in spec.parties]
    page2 += ["   ".join(roles[: len(spec.parties)]), "   ".join(titles), "", "ttd", ""]
    page2 += ["   ".join(p.signer for p in spec.parties)]
    return [_wrap([*head, "", *opening, *body]), _wrap(page2)]


def _wrap(lines: list[str], width: int = 84) -> list[str]:
    """Lines as a typist breaks them: none runs off the page."""
    import textwrap

    out: list[str] = []
    for line in lines:
        out.extend(textwrap.wrap(line, width, break_on_hyphens=False) or [""])
    return out


def truth(spec: Spec) -> dict[str, object]:
    return {
        "kind": spec.kind,
        "numbers": [p.number for p in spec.parties if p.number],
        "title": spec.title,
        "signed_on": spec.signed_on.isoformat(),
        "ends_on": spec.ends_on.isoformat() if spec.ends_on else None,
        "region_codes": list(dict.fromkeys(p.code for p in spec.parties)),
        "apps": spec.apps,
        "parent_numbers": spec.parents,
    }


# ---------------------------------------------------------------------------------------------
# rendering


def _font(size: int, serif: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSerif.ttf" if serif else "DejaVuSans.ttf"
    path = Path("/usr/share/fonts/truetype/dejavu") / name
    if path.is_file():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def render(lines: list[str], params: dict[str, float], seed: int) -> Image.Image:
    dpi = int(params.get("dpi", 200))
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    size = int(dpi * 11 / 72)  # 11 pt
    font = _font(size, serif=bool(params.get("serif", 1)))
    page = Image.new("L", (width, height), 250)
    draw = ImageDraw.Draw(page)
    y = int(dpi * 0.9)
    for line in lines:
        if line:
            draw.text((int(dpi * 0.9), y), line, font=font, fill=25)
        y += int(size * 1.45)
    rng = random.Random(seed)
    if params.get("shadow"):
        gradient = Image.linear_gradient("L").resize((width, height)).rotate(30, fillcolor=0)
        page = Image.composite(
            page, Image.new("L", page.size, 110), gradient.point(lambda v: 140 + v // 3)
        )
    if params.get("rotate"):
        page = page.rotate(
            params["rotate"], expand=True, fillcolor=225, resample=Image.Resampling.BICUBIC
        )
    if params.get("blur"):
        page = page.filter(ImageFilter.GaussianBlur(params["blur"]))
    noise = params.get("noise", 0.0)
    if noise:
        pixels = page.load()
        assert pixels is not None
        for _ in range(int(page.width * page.height * noise)):
            pixels[rng.randrange(page.width), rng.randrange(page.height)] = rng.choice((0, 255))
    return page


def scanned_pdf(pages: list[Image.Image], dpi: int) -> bytes:
    out = io.BytesIO()
    rgb = [p.convert("RGB") for p in pages]  # saved as JPEG streams, like scanners do
    rgb[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=rgb[1:], quality=70)
    return out.getvalue()


def write(spec: Spec, index: int) -> str:
    pages = compose(spec)
    if spec.fmt == "text":
        name = f"{spec.id}.pdf"
        (HERE / name).write_bytes(make_pdf(pages, title=None))
    elif spec.fmt == "docx":
        name = f"{spec.id}.docx"
        import docx

        document = docx.Document()
        for line in (line for page in pages for line in page if line):
            document.add_paragraph(line)
        out = io.BytesIO()
        document.save(out)
        (HERE / name).write_bytes(out.getvalue())
    elif spec.fmt == "scan":
        name = f"{spec.id}.pdf"
        images = [render(p, spec.scan, seed=index * 10 + n) for n, p in enumerate(pages)]
        (HERE / name).write_bytes(scanned_pdf(images, int(spec.scan.get("dpi", 200))))
        (HERE / f"{spec.id}.txt").write_text("\n\f\n".join("\n".join(p) for p in pages) + "\n")
    else:  # photo: one page photographed, the signature page left out
        name = f"{spec.id}.jpg"
        image = render(pages[0] + pages[1][:4], spec.scan, seed=index).convert("RGB")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=72)
        (HERE / name).write_bytes(out.getvalue())
        (HERE / f"{spec.id}.txt").write_text("\n".join(pages[0] + pages[1][:4]) + "\n")
    return name


# ---------------------------------------------------------------------------------------------
# the set

KERINCI = party("PEMERINTAH KABUPATEN KERINCI", "15.01", "BUPATI KERINCI", "MONADI")
SERGAI = party(
    "PEMERINTAH KABUPATEN SERDANG BEDAGAI", "12.18", "BUPATI SERDANG BEDAGAI", "DARMA WIJAYA"
)
TANJUNGPINANG = party(
    "PEMERINTAH KOTA TANJUNGPINANG", "21.72", "WALI KOTA TANJUNGPINANG", "LIS DARMANSYAH"
)
TASIK_KAB = party(
    "PEMERINTAH KABUPATEN TASIKMALAYA", "32.06", "BUPATI TASIKMALAYA", "CECEP NURUL YAKIN"
)
SAROLANGUN = party("PEMERINTAH KABUPATEN SAROLANGUN", "15.03", "BUPATI SAROLANGUN", "HURMIN")
JABAR = party("PEMERINTAH PROVINSI JAWA BARAT", "32", "GUBERNUR JAWA BARAT", "DEDI MULYADI")
BANJAR = party("PEMERINTAH KOTA BANJAR", "32.79", "WALI KOTA BANJAR", "SUDARSONO")
GARUT = party("PEMERINTAH KABUPATEN GARUT", "32.05", "BUPATI GARUT", "ABDUSY SYAKUR AMIN")
MEMPAWAH = party("PEMERINTAH KABUPATEN MEMPAWAH", "61.02", "BUPATI MEMPAWAH", "ERLINA")
SUMEDANG = party("PEMERINTAH KABUPATEN SUMEDANG", "32.11", "BUPATI SUMEDANG", "DONY AHMAD MUNIR")
CIMAHI = party("PEMERINTAH KOTA CIMAHI", "32.77", "WALI KOTA CIMAHI", "NGATIYANA")
BANYUWANGI = party(
    "PEMERINTAH KABUPATEN BANYUWANGI", "35.10", "BUPATI BANYUWANGI", "IPUK FIESTIANDANI"
)
MAKASSAR = party("PEMERINTAH KOTA MAKASSAR", "73.71", "WALI KOTA MAKASSAR", "MUNAFRI ARIFUDDIN")
SLEMAN = party("PEMERINTAH KABUPATEN SLEMAN", "34.04", "BUPATI SLEMAN", "HARDA KISWAYA")
PONTIANAK = party("PEMERINTAH KOTA PONTIANAK", "61.71", "WALI KOTA PONTIANAK", "EDI RUSDI KAMTONO")
LOTIM = party("PEMERINTAH KABUPATEN LOMBOK TIMUR", "52.03", "BUPATI LOMBOK TIMUR", "HAERUL WARISIN")
DISKOMINFO_SERGAI = party(
    "DINAS KOMUNIKASI DAN INFORMATIKA KABUPATEN SERDANG BEDAGAI",
    "12.18",
    "KEPALA DINAS KOMUNIKASI DAN INFORMATIKA KABUPATEN SERDANG BEDAGAI",
    "ZAKARIA",
)
DPMPTSP_GARUT = party(
    "DINAS PENANAMAN MODAL DAN PELAYANAN TERPADU SATU PINTU KABUPATEN GARUT",
    "32.05",
    "KEPALA DINAS PENANAMAN MODAL DAN PELAYANAN TERPADU SATU PINTU KABUPATEN GARUT",
    "RIDWAN EFFENDI",
)
TASIK_KOTA_BARE = party(
    "PEMERINTAH TASIKMALAYA", "32.78", "WALI KOTA TASIKMALAYA", "VIMAN ALFARIZI RAMADHAN"
)
TASIK_BARE_NO_SIGNER = party(
    "PEMERINTAH DAERAH TASIKMALAYA", "32.06", "KEPALA DAERAH TASIKMALAYA", "CECEP NURUL YAKIN"
)

SCOPE_HAYU = [
    "Ruang lingkup Kesepakatan Bersama ini meliputi:",
    "a. replikasi aplikasi Hayu.Bdg untuk layanan pengaduan warga;",
    "b. replikasi aplikasi e-RK untuk penilaian kinerja pegawai; dan",
    "c. pelatihan sumber daya manusia pengelola aplikasi.",
]
SCOPE_GAMPIL = [
    "Ruang lingkup Perjanjian ini meliputi penyerahan kode sumber, instalasi, dan",
    "pendampingan penggunaan aplikasi Gampil untuk layanan perizinan daring.",
]


def specs() -> list[Spec]:
    b = BANDUNG
    kb = "KESEPAKATAN BERSAMA"
    pks = "PERJANJIAN KERJA SAMA"
    out = [
        Spec(
            "kb-01-kerinci",
            "kb",
            "text",
            [with_number(b, "119/HK.01/Bag.Huk/2025"), with_number(KERINCI, "180/45/HK/2025")],
            "Replikasi Aplikasi Hayu.Bdg dan e-RK",
            date(2025, 3, 17),
            "words",
            "years:5",
            date(2030, 3, 17),
            ["Hayu.Bdg", "e-RK"],
            SCOPE_HAYU,
            lead=kb,
            title="Kesepakatan Bersama tentang Replikasi Aplikasi Hayu.Bdg dan e-RK",
        ),
        Spec(
            "kb-02-sergai",
            "kb",
            "text",
            [with_number(b, "415.4/021-Huk/2024"), with_number(SERGAI, "119/1527/Pem/2024")],
            "Penyelenggaraan Pemerintahan Berbasis Elektronik",
            date(2024, 8, 12),
            "digits",
            "years:5",
            date(2029, 8, 12),
            ["Gampil", "e-budgeting"],
            [
                "Ruang lingkup Nota Kesepahaman ini meliputi pemanfaatan aplikasi Gampil",
                "dan aplikasi e-budgeting serta pertukaran data dan informasi.",
            ],
            lead="NOTA KESEPAHAMAN",
            numbers_layout="columns",
            title="Nota Kesepahaman tentang Penyelenggaraan Pemerintahan Berbasis Elektronik",
        ),
        Spec(
            "kb-03-tanjungpinang-scan",
            "kb",
            "scan",
            [
                with_number(b, "415.4/008-Huk/2025"),
                with_number(TANJUNGPINANG, "100.3.7/03/KB/2025"),
            ],
            "Pengembangan Kota Cerdas",
            date(2025, 2, 3),
            "words_digits",
            "until",
            date(2028, 12, 31),
            ["Sabilulungan", "e-RK"],
            [
                "Ruang lingkup meliputi pertukaran pengetahuan pengembangan kota cerdas, replikasi",
                "aplikasi Sabilulungan untuk transparansi hibah, dan aplikasi e-RK.",
            ],
            lead=kb,
            scan={"rotate": 1.2, "noise": 0.0015, "dpi": 200},
            title="Kesepakatan Bersama tentang Pengembangan Kota Cerdas",
        ),
        Spec(
            "kb-04-tasikmalaya-scan",
            "kb",
            "scan",
            [
                with_number(b, "119/2231/Diskominfo/2023"),
                with_number(TASIK_KAB, "555/45-Kominfo/2023"),
            ],
            "Kerja Sama Penyelenggaraan Sistem Pemerintahan Berbasis Elektronik",
            date(2023, 11, 8),
            "words",
            "years:3",
            date(2026, 11, 8),
            ["Gampil"],
            SCOPE_GAMPIL,
            lead=kb,
            scan={"rotate": -2.0, "noise": 0.002, "dpi": 200, "serif": 0},
            title="Kesepakatan Bersama tentang Kerja Sama Penyelenggaraan Sistem Pemerintahan "
            "Berbasis Elektronik",
        ),
        Spec(
            "kb-05-sarolangun-photo",
            "kb",
            "photo",
            [with_number(b, "119/118/Diskominfo/2025"), with_number(SAROLANGUN, "100/12/HK/2025")],
            "Replikasi Aplikasi Hayu.Bdg",
            date(2025, 6, 2),
            "words",
            "years:2",
            date(2027, 6, 2),
            ["Hayu.Bdg"],
            ["Ruang lingkup meliputi replikasi aplikasi Hayu.Bdg beserta pelatihan admin."],
            lead=kb,
            scan={"rotate": 3.5, "noise": 0.001, "blur": 0.8, "shadow": 1, "dpi": 150},
            title="Kesepakatan Bersama tentang Replikasi Aplikasi Hayu.Bdg",
        ),
        Spec(
            "pks-06-sergai",
            "pks",
            "text",
            [
                with_number(DISKOMINFO_BDG, "027/PKS.33-Diskominfo/2024"),
                with_number(DISKOMINFO_SERGAI, "555/211/Kominfo/2024"),
            ],
            "Replikasi Aplikasi Gampil",
            date(2024, 11, 5),
            "words",
            "years:2",
            date(2026, 11, 5),
            ["Gampil"],
            SCOPE_GAMPIL,
            parents=["415.4/021-Huk/2024", "119/1527/Pem/2024"],
            parent_phrase="pelaksanaan dari Nota Kesepahaman antara Pemerintah Kota Bandung dan "
            "Pemerintah Kabupaten Serdang Bedagai",
            lead=pks,
            title="Perjanjian Kerja Sama tentang Replikasi Aplikasi Gampil",
        ),
        Spec(
            "pks-07-kerinci-scan",
            "pks",
            "scan",
            [with_number(b, "027/PKS.12-Diskominfo/2025"), with_number(KERINCI, "180/77/PKS/2025")],
            "Pemanfaatan Aplikasi Hayu.Bdg",
            date(2025, 5, 20),
            "words_digits",
            "years:3",
            date(2028, 5, 20),
            ["Hayu.Bdg"],
            ["Ruang lingkup meliputi pemasangan dan pemanfaatan aplikasi Hayu.Bdg."],
            parents=["119/HK.01/Bag.Huk/2025", "180/45/HK/2025"],
            parent_phrase="tindak lanjut dari Kesepakatan Bersama",
            lead=pks,
            scan={"rotate": 0.8, "noise": 0.001, "dpi": 200},
            title="Perjanjian Kerja Sama tentang Pemanfaatan Aplikasi Hayu.Bdg",
        ),
        Spec(
            "add-08-sergai",
            "addendum",
            "text",
            [
                with_number(DISKOMINFO_BDG, "027/PKS.33-ADD.1/2025"),
                with_number(DISKOMINFO_SERGAI, "555/211.1/Kominfo/2025"),
            ],
            "Replikasi Aplikasi Gampil",
            date(2025, 10, 1),
            "words",
            "until",
            date(2027, 12, 31),
            ["Gampil"],
            ["Ketentuan Pasal 5 diubah sehingga jangka waktu diperpanjang."],
            parents=["027/PKS.33-Diskominfo/2024", "555/211/Kominfo/2024"],
            parent_phrase="perubahan atas Perjanjian Kerja Sama",
            lead="ADENDUM PERTAMA|PERJANJIAN KERJA SAMA",
            title="Adendum Pertama Perjanjian Kerja Sama tentang Replikasi Aplikasi Gampil",
        ),
        Spec(
            "add-09-kerinci-scan",
            "addendum",
            "scan",
            [with_number(b, "119/HK.01-ADD.2/2026"), with_number(KERINCI, "180/45.2/HK/2026")],
            "Replikasi Aplikasi Hayu.Bdg dan e-RK",
            date(2026, 1, 14),
            "words",
            "until",
            date(2031, 3, 17),
            ["Hayu.Bdg", "e-RK", "Sabilulungan"],
            [
                "Ruang lingkup ditambah dengan replikasi aplikasi Sabilulungan, sehingga",
                "meliputi aplikasi Hayu.Bdg, aplikasi e-RK, dan aplikasi Sabilulungan.",
            ],
            parents=["119/HK.01/Bag.Huk/2025", "180/45/HK/2025"],
            parent_phrase="perubahan kedua atas Kesepakatan Bersama",
            lead="ADENDUM KEDUA|KESEPAKATAN BERSAMA",
            scan={"rotate": -1.0, "noise": 0.0015, "dpi": 200},
            title="Adendum Kedua Kesepakatan Bersama tentang Replikasi Aplikasi Hayu.Bdg dan e-RK",
        ),
        Spec(
            "kb-10-jabar",
            "kb",
            "text",
            [with_number(JABAR, "120/45/Hukham/2024"), with_number(b, "415.4/077-Huk/2024")],
            "Percepatan Transformasi Digital Daerah",
            date(2024, 4, 22),
            "words",
            "years:5",
            date(2029, 4, 22),
            ["e-Kinerja"],
            [
                "Ruang lingkup meliputi pendampingan transformasi digital, integrasi data, dan",
                "pemanfaatan aplikasi e-Kinerja di lingkungan pemerintah daerah.",
            ],
            lead=kb,
            layout="tentang_first",
            title="Kesepakatan Bersama tentang Percepatan Transformasi Digital Daerah",
        ),
        Spec(
            "kb-11-three-parties",
            "kb",
            "text",
            [
                with_number(b, "415.4/090-Huk/2025"),
                with_number(CIMAHI, "180/22/Huk/2025"),
                with_number(SUMEDANG, "100.3/31/Hukum/2025"),
            ],
            "Pemanfaatan Bersama Aplikasi Perizinan Daring",
            date(2025, 7, 9),
            "words",
            "years:4",
            date(2029, 7, 9),
            ["Gampil"],
            SCOPE_GAMPIL,
            lead=kb,
            title="Kesepakatan Bersama tentang Pemanfaatan Bersama Aplikasi Perizinan Daring",
        ),
        Spec(
            "pks-12-garut-months",
            "pks",
            "text",
            [
                with_number(DISKOMINFO_BDG, "027/PKS.41-Diskominfo/2025"),
                with_number(DPMPTSP_GARUT, "503/1182/DPMPTSP/2025"),
            ],
            "Pendampingan Implementasi Aplikasi Gampil",
            date(2025, 9, 15),
            "digits",
            "months:18",
            date(2027, 3, 15),
            ["Gampil"],
            SCOPE_GAMPIL,
            parents=["415.4/051-Huk/2025", "119/871/Huk/2025"],
            parent_phrase="pelaksanaan Kesepakatan Bersama antara Pemerintah Kota Bandung dan "
            "Pemerintah Kabupaten Garut",
            lead="PERJANJIAN KERJASAMA",
            title="Perjanjian Kerjasama tentang Pendampingan Implementasi Aplikasi Gampil",
        ),
        Spec(
            "kb-13-banjar-scan",
            "kb",
            "scan",
            [with_number(b, "415.4/102-Huk/2022"), with_number(BANJAR, "130/44/Pem/2022")],
            "Replikasi Aplikasi e-budgeting",
            date(2022, 9, 26),
            "words",
            "years:5",
            date(2027, 9, 26),
            ["e-budgeting"],
            ["Ruang lingkup meliputi replikasi aplikasi e-budgeting dan pelatihan operator."],
            lead=kb,
            scan={"rotate": 2.5, "noise": 0.003, "dpi": 200, "blur": 0.5},
            title="Kesepakatan Bersama tentang Replikasi Aplikasi e-budgeting",
        ),
        Spec(
            "pks-14-garut-scan",
            "pks",
            "scan",
            [
                with_number(b, "027/PKS.08-Diskominfo/2023"),
                with_number(GARUT, "119/PKS.3-Kominfo/2023"),
            ],
            "Replikasi Aplikasi Sabilulungan",
            date(2023, 3, 6),
            "words",
            "years:2",
            date(2025, 3, 6),
            ["Sabilulungan"],
            ["Ruang lingkup meliputi replikasi aplikasi Sabilulungan untuk transparansi hibah."],
            parents=["415.4/014-Huk/2022", "119/2/Huk/2022"],
            parent_phrase="pelaksanaan dari Kesepakatan Bersama",
            lead=pks,
            scan={"rotate": -0.6, "noise": 0.002, "dpi": 200, "serif": 0},
            title="Perjanjian Kerja Sama tentang Replikasi Aplikasi Sabilulungan",
        ),
        Spec(
            "kb-15-mempawah-mixed",
            "kb",
            "text",
            [with_number(b, "415.4/044-Huk/2025"), with_number(MEMPAWAH, "180/9/HK/2025")],
            "Replikasi Aplikasi Layanan Publik",
            date(2025, 4, 28),
            "words",
            "years:5",
            date(2030, 4, 28),
            ["Hayu.Bdg", "Gampil"],
            [
                "Ruang lingkup meliputi replikasi aplikasi Hayu.Bdg dan aplikasi Gampil beserta",
                "pendampingan teknis selama masa implementasi.",
            ],
            lead=kb,
            layout="mixed_case",
            title="Kesepakatan Bersama tentang Replikasi Aplikasi Layanan Publik",
        ),
        Spec(
            "add-16-banyuwangi",
            "addendum",
            "text",
            [with_number(b, "415.4/061-Huk/2025"), with_number(BANYUWANGI, "180/210/429.011/2025")],
            "Kerja Sama Pengembangan Aplikasi Pelayanan Publik",
            date(2025, 8, 4),
            "words",
            "until",
            date(2029, 12, 31),
            ["Hayu.Bdg", "Salaman"],
            [
                "Ruang lingkup diubah sehingga meliputi aplikasi Hayu.Bdg dan aplikasi Salaman",
                "untuk pelayanan administrasi kependudukan.",
            ],
            parents=["415.4/031-Huk/2023", "180/97/429.011/2023"],
            parent_phrase="perubahan pertama atas Kesepakatan Bersama",
            lead="PERUBAHAN PERTAMA ATAS|KESEPAKATAN BERSAMA",
            title="Perubahan Pertama Atas Kesepakatan Bersama tentang Kerja Sama Pengembangan "
            "Aplikasi Pelayanan Publik",
        ),
        Spec(
            "kb-17-sumedang-docx",
            "kb",
            "docx",
            [with_number(b, "415.4/070-Huk/2024"), with_number(SUMEDANG, "100.3/12/Huk/2024")],
            "Replikasi Aplikasi e-RK",
            date(2024, 10, 21),
            "words",
            "years:3",
            date(2027, 10, 21),
            ["e-RK"],
            ["Ruang lingkup meliputi replikasi aplikasi e-RK untuk tunjangan kinerja pegawai."],
            lead=kb,
            title="Kesepakatan Bersama tentang Replikasi Aplikasi e-RK",
        ),
        Spec(
            "pks-18-tasik-kota-scan",
            "pks",
            "scan",
            [
                with_number(b, "027/PKS.19-Diskominfo/2024"),
                with_number(TASIK_KOTA_BARE, "555/108/Kominfo/2024"),
            ],
            "Pemanfaatan Aplikasi Salaman",
            date(2024, 6, 10),
            "words",
            "years:2",
            date(2026, 6, 10),
            ["Salaman"],
            ["Ruang lingkup meliputi pemanfaatan aplikasi Salaman untuk layanan kependudukan."],
            parents=["415.4/040-Huk/2024", "119/40/Huk/2024"],
            parent_phrase="tindak lanjut Kesepakatan Bersama",
            lead=pks,
            scan={"rotate": 1.0, "noise": 0.001, "dpi": 200},
            title="Perjanjian Kerja Sama tentang Pemanfaatan Aplikasi Salaman",
        ),
        Spec(
            "kb-19-tasik-ambiguous",
            "kb",
            "text",
            [
                with_number(b, "415.4/111-Huk/2023"),
                with_number(TASIK_BARE_NO_SIGNER, "100/3/Huk/2023"),
            ],
            "Kerja Sama Bidang Komunikasi dan Informatika",
            date(2023, 12, 4),
            "words",
            "years:5",
            date(2028, 12, 4),
            [],
            [
                "Ruang lingkup meliputi pertukaran data, peningkatan kapasitas aparatur,",
                "dan jaringan.",
            ],
            lead=kb,
            ambiguous=True,
            title="Kesepakatan Bersama tentang Kerja Sama Bidang Komunikasi dan Informatika",
        ),
        Spec(
            "kb-20-makassar-signature-scan",
            "kb",
            "scan",
            [with_number(b, "415.4/015-Huk/2023"), with_number(MAKASSAR, "180/101/Hukum/2023")],
            "Pertukaran Pengetahuan Kota Cerdas",
            date(2023, 6, 5),
            "signature",
            "years:3",
            date(2026, 6, 5),
            ["Sabilulungan"],
            ["Ruang lingkup meliputi studi tiru dan replikasi aplikasi Sabilulungan."],
            lead=kb,
            scan={"rotate": -1.6, "noise": 0.002, "dpi": 200},
            title="Kesepakatan Bersama tentang Pertukaran Pengetahuan Kota Cerdas",
        ),
        Spec(
            "pks-21-sleman",
            "pks",
            "text",
            [
                with_number(b, "027/PKS.55-Diskominfo/2025"),
                with_number(SLEMAN, "070/0312/Diskominfo/2025"),
            ],
            "Replikasi Aplikasi Sampurasun dan e-Retribusi",
            date(2025, 11, 24),
            "words_digits",
            "years:1",
            date(2026, 11, 24),
            ["Sampurasun", "e-Retribusi"],
            [
                "Ruang lingkup meliputi replikasi aplikasi “Sampurasun” untuk aduan warga dan",
                "aplikasi e-Retribusi untuk pembayaran retribusi daerah.",
            ],
            parents=["415.4/088-Huk/2025", "180/45/Huk/2025"],
            parent_phrase="pelaksanaan dari Kesepakatan Bersama",
            lead=pks,
            title="Perjanjian Kerja Sama tentang Replikasi Aplikasi Sampurasun dan e-Retribusi",
        ),
        Spec(
            "kb-22-pontianak-scan",
            "kb",
            "scan",
            [with_number(b, "415.4/120-Huk/2024"), with_number(PONTIANAK, "180/55/HK/2024")],
            "Replikasi Aplikasi Gampil dan Hayu.Bdg",
            date(2024, 12, 2),
            "words_digits",
            "years:5",
            date(2029, 12, 2),
            ["Gampil", "Hayu.Bdg"],
            [
                "Ruang lingkup meliputi replikasi aplikasi Gampil dan aplikasi Hayu.Bdg serta",
                "dukungan teknis selama masa uji coba.",
            ],
            lead=kb,
            numbers_layout="columns",
            scan={"rotate": 0.5, "noise": 0.001, "dpi": 200},
            title="Kesepakatan Bersama tentang Replikasi Aplikasi Gampil dan Hayu.Bdg",
        ),
        Spec(
            "kb-23-lotim",
            "kb",
            "text",
            [with_number(b, "415.4/131-Huk/2025"), with_number(LOTIM, "180/402/HK/2025")],
            "Replikasi Aplikasi Sabilulungan",
            date(2025, 12, 11),
            "words",
            "years:5",
            date(2030, 12, 11),
            ["Sabilulungan"],
            ["Ruang lingkup meliputi replikasi aplikasi Sabilulungan untuk hibah dan bansos."],
            lead="MEMORANDUM SALING PENGERTIAN",
            title="Memorandum Saling Pengertian tentang Replikasi Aplikasi Sabilulungan",
        ),
    ]
    return out


def main() -> None:
    expected: dict[str, dict[str, object]] = {}
    for index, spec in enumerate(specs(), start=1):
        name = write(spec, index)
        expected[name] = {"format": spec.fmt, **truth(spec)}
    (HERE / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
