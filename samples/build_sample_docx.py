"""Regenerate the sample DOCX: ``python samples/build_sample_docx.py``.

The sample is kept as a real DOCX (headings, numbered and bulleted lists, a table) because
trainers upload Word files more than any other format.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import docx

TARGET = Path(__file__).resolve().parent / "docs" / "sabilulungan-transparansi-hibah.docx"


def build(target: Path = TARGET) -> Path:
    d = docx.Document()
    props = d.core_properties
    props.title = "Panduan Transparansi Hibah dan Bantuan Sosial Sabilulungan"
    props.author = "Bagian Kesejahteraan Rakyat"
    props.version = "1.1"
    props.created = props.modified = datetime(2025, 2, 10, tzinfo=UTC)
    d.add_heading("Panduan Transparansi Hibah dan Bantuan Sosial Sabilulungan", 0)
    d.add_paragraph(
        "Sabilulungan adalah aplikasi pengelolaan hibah dan bantuan sosial yang membuka seluruh "
        "tahapan, dari pengajuan proposal sampai laporan pertanggungjawaban, kepada publik. "
        "Warga dapat melihat siapa penerima hibah, berapa nilainya dan untuk kegiatan apa, "
        "sehingga penyaluran dana lebih adil dan mudah diawasi."
    )
    d.add_heading("Siapa yang dapat mengajukan hibah", 1)
    for text in (
        "Organisasi kemasyarakatan berbadan hukum yang terdaftar di pemerintah daerah.",
        "Lembaga pendidikan dan keagamaan dengan izin operasional yang masih berlaku.",
        "Kelompok masyarakat dengan surat keterangan dari kelurahan.",
    ):
        d.add_paragraph(text, style="List Bullet")
    d.add_heading("Langkah pengajuan proposal", 1)
    d.add_paragraph("Pemohon mengikuti langkah berikut:")
    for text in (
        "Daftarkan lembaga di Sabilulungan dengan mengunggah akta pendirian dan NPWP lembaga.",
        "Isi formulir proposal: nama kegiatan, tujuan, jumlah penerima manfaat dan rincian biaya.",
        "Unggah proposal bertanda tangan pengurus dan surat rekomendasi camat.",
        "Pantau status verifikasi di menu Proposal Saya; perbaiki berkas bila diminta.",
        "Setelah ditetapkan dalam keputusan kepala daerah, tandatangani naskah perjanjian hibah "
        "daerah (NPHD).",
    ):
        d.add_paragraph(text, style="List Number")
    d.add_heading("Verifikasi dan penetapan", 1)
    d.add_paragraph(
        "Perangkat daerah teknis memverifikasi kelengkapan dan kelayakan proposal, termasuk "
        "survei lapangan bila diperlukan. Tim Anggaran Pemerintah Daerah menimbang proposal yang "
        "layak sesuai kemampuan keuangan daerah. Daftar penerima yang ditetapkan diumumkan di "
        "halaman publik Sabilulungan."
    )
    table = d.add_table(rows=5, cols=2)
    for r, (tahap, waktu) in enumerate(
        (
            ("Tahap", "Batas waktu"),
            ("Pengajuan proposal", "Januari sampai Mei tahun sebelumnya"),
            ("Verifikasi perangkat daerah", "30 hari kerja sejak proposal lengkap"),
            ("Pencairan dana", "Setelah NPHD ditandatangani"),
            ("Laporan pertanggungjawaban", "Paling lambat 10 Januari tahun berikutnya"),
        )
    ):
        table.cell(r, 0).text = tahap
        table.cell(r, 1).text = waktu
    d.add_heading("Laporan pertanggungjawaban", 1)
    d.add_paragraph(
        "Penerima hibah wajib mengunggah laporan penggunaan dana beserta bukti pengeluaran dan "
        "foto kegiatan. Penerima yang belum menyampaikan laporan tidak dapat mengajukan hibah "
        "pada tahun berikutnya. Laporan yang sudah diverifikasi ikut ditampilkan kepada publik."
    )
    d.add_heading("Catatan untuk daerah yang mereplikasi", 1)
    for text in (
        "Sesuaikan formulir dan persyaratan dengan peraturan kepala daerah tentang hibah.",
        "Tetapkan perangkat daerah verifikator untuk setiap jenis hibah.",
        "Pastikan halaman publik aktif sejak tahap pengumuman penerima.",
    ):
        d.add_paragraph(text, style="List Bullet")
    target.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(target))
    return target


if __name__ == "__main__":
    print(build())
