"""What kind of message a question is, seen from the knowledge base.

Pure rules over the words of one message (after :func:`core.text.words` spelled chat forms
out), no index needed:

* :func:`small_talk` recognises messages that are only a greeting, thanks, an acknowledgement,
  a test ("tes", "ping"), a question about the assistant itself ("siapa kamu?"), a "how are
  you?" ("apa kabar?", "gmn kabarnya") or chat the assistant has no part in (the weather, the
  time, a joke), and names the kind so the reply fits it. The last two are recognised only
  when nothing else is asked: "jam operasional layanan Gampil" and "cuaca ekstrem dan
  penanggulangan bencana" are questions;
* :func:`read_question` measures how much a question asks *how* to do something or *what*
  something is (``how_to``, ``definition``), and how much of its vocabulary belongs to
  e-government work: apps, permits, accounts, documents, budgets, staff performance, grants,
  complaints, servers, regulations (``domain``). A question with neither a how-to form over
  that vocabulary nor any of it is off-topic ("resep rendang", "capital of France").

The vocabulary is compared on stems (Sastrawi), so "pendaftaran", "mendaftar" and "daftar"
are one word; English words are compared as written. Trainers' app names count as domain
words (passed in: they come from the documents and the tracker).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from core.text import find_names, words
from knowledge_base.keyword import TextNormalizer

SmallTalk = Literal[
    "greeting", "how_are_you", "thanks", "ack", "identity", "abilities", "test", "out_of_scope"
]


def _vocabulary(text: str) -> frozenset[str]:
    """A word list written as text, one word after another."""
    return frozenset(text.split())


#: Stems (Indonesian) and words (English) of e-government work.
DOMAIN_WORDS: Final = _vocabulary(
    """
    izin perizinan permit permits licence license licensing mohon pemohon permohonan aju ajuan
    daftar register registration akun account login logout sandi password email
    surel verifikasi verify verification aktivasi activate activation otp sms notifikasi
    unggah upload unduh download berkas file files dokumen document documents lampir lampiran
    formulir form forms isi menu fitur feature features modul module dasbor dashboard data
    lapor laporan report reports rekap pengguna guna user users operator admin administrator
    akses access hak role server servers spesifikasi specification specifications pasang
    instal instalasi install installation infrastruktur infrastructure hosting database
    backup cadang aplikasi app apps application sistem system layan layanan service services
    hibah grant grants bansos bantuan sosial anggar anggaran budget budgeting rka dpa apbd
    belanja kinerja performance tunjang tunjangan allowance allowances tpp pegawai asn staff
    employee employees aktivitas activity activities atas atasan supervisor supervisors aduan
    adu pengaduan complaint complaints warga citizen citizens masyarakat opd skpd dinas
    diskominfo kominfo dpmptsp dukcapil nik ktp npwp nib oss spbe egovernment government
    pemerintah pemerintahan replikasi replika replicate replicating replication integrasi
    integration api sop regulasi regulation peraturan perwal perbup perda hukum law legal
    retribusi pajak tax pbb bphtb ponsel telepon phone cetak print tte qr revisi revision
    salur penyaluran dana fund funds transparan transparansi transparency publikasi publish
    ekspor export impor import keamanan security proses process prosedur procedure alur
    workflow syarat requirement requirements tahap stage langkah step steps panduan manual
    guide pelatihan training latih bimtek petugas officer officers kode source kerja sama
    perjanjian kesepakatan pks mou agreement agreements adendum template contoh praktik
    practice practices kendala obstacle obstacles checklist terbit issued tolak rejected
    status lacak track tracking riwayat history tanda tangan signature elektronik
    electronic digital online daring portal website situs sekda bappeda bkd bpkad inspektorat
    evaluasi     evaluation monitoring pantau pemantauan penerima recipient recipients publik public
    """
)
#: Words a how-to question is asked with ("bagaimana cara", "langkah", "syarat", "how do I").
_HOW_TO: Final = (
    r"cara\w*|caranya|langkah\w*|syarat\w*|persyaratan|prosedur\w*|alur\w*|panduan|tips"
    r"|bagaimana|how (do|does|can|should|to|are|is)|what (do|does|should|documents|file|files"
    r"|format|formats|steps)|bisa (tidak|nggak|ga)|bisakah|apakah bisa|can i|can the|can we"
    r"|berapa (lama|ukuran|maksimal|besar|hari)|maksimal|max|format apa|dokumen apa|berkas apa"
    r"|harus (melakukan apa|apa|bagaimana)|melakukan apa|perlu (disiapkan|menyiapkan|siapkan)"
    r"|disiapkan|siapkan|menyiapkan|prepare|need to do|needs to do|need for|steps|checklist"
    r"|kendala\w*|requirements?|mengapa|kenapa|why|untuk apa|buat apa|used for|fungsi\w*"
    r"|kegunaan|manfaat|mulai (memakai|menggunakan|pakai|menerapkan)|menerapkan|menggunakan"
    r"|memakai|start using|roll out|go live with|is there|ada (api|fitur|menu)|siapa (yang|saja)"
    r"|wajib|harus|seperti apa|perlu apa|butuh apa|what kind|which kind|kebutuhan\w*"
    r"|dibutuhkan|butuh|membutuhkan|diperlukan|memerlukan|perlu|needed|need|needs"
)
#: Words after "bagaimana" that still ask "how is it going?" ("gimana ya?", "gmn dong").
_PARTICLES: Final = _vocabulary("ya sih dong nih deh kah tuh lah nya kabarnya")
_DEFINITION: Final = (
    r"apa itu|apa (yang dimaksud|arti|maksud)|yang dimaksud|what is|what are|perbedaan|bedanya"
    r"|beda|difference|dasar hukum|legal basis|isi minimal|apa isi"
)
#: "bagaimana" asks about progress, not a procedure, when one of these follows.
_PROGRESS: Final = (
    r"perkembangan\w*|progres\w*|progress|kemajuan\w*|status\w*|kabar\w*|sejauh|sampai mana"
    r"|how far|how is it going"
)

_GREETING: Final = _vocabulary(
    """
    halo hallo helo hello hai hi hey hei pagi siang sore malam selamat good morning afternoon
    evening night assalamualaikum assalamu alaikum salam shalom om swastiastu permisi
    """
)
_THANKS: Final = _vocabulary("terima kasih makasih makasi thanks thank trims nuhun tq")
_ACK: Final = _vocabulary(
    """
    ok oke okay okey siap sip mantap mantab baik noted paham mengerti understood great nice
    cool wkwk wkwkwk haha hehe hihi lol deh sippp mantul keren good
    """
)
_TEST: Final = _vocabulary("tes test testing ping cek check")
#: Words that only address or soften ("min", "pak", "ya", "dong") and may surround small talk.
_FILLER: Final = _vocabulary(
    """
    min mimin admin pak bu bapak ibu kak mas mbak bang bro sis gan bot sinergi ya yah dong
    deh nih sih kok lah tuh aja saja banyak sekali so much very there all everyone semua
    ya infonya info nya atas bantuannya bantuannya for the your you help sudah lagi aktif
    active alive apa kah
    """
)
_IDENTITY: Final = (
    r"siapa (kamu|anda)|(kamu|anda)( ini)? siapa|who are you|what are you|kamu (itu )?apa"
    r"|are you a bot|kamu bot|nama kamu|your name"
)
_ABILITIES: Final = (
    r"(kamu|anda|bot) bisa apa|bisa apa saja|bisa bantu apa|(apa|what) (yang )?(bisa|can) "
    r"(kamu|anda|you) (bantu|lakukan|do|help)|what can you do|how can you help|apa (yang )?bisa"
    r" (kamu|anda) bantu|(tolong )?bantu saya|help me|^help$|^bantuan$|menu"
)


@dataclass(frozen=True)
class KnowledgeQuestion:
    """How a question reads to the knowledge base."""

    how_to: bool
    """Asks how to do something, what is needed, or why ("bagaimana cara", "syarat")."""
    definition: bool
    """Asks what something is or how two things differ ("apa itu", "bedanya")."""
    domain: int
    """How many of its words are e-government vocabulary (apps included)."""
    apps: tuple[str, ...]

    @property
    def score(self) -> float:
        """How much it asks the knowledge base: the forms, plus half a point per domain word
        (at most three)."""
        forms = (1.0 if self.how_to else 0.0) + (1.0 if self.definition else 0.0)
        return forms + 0.5 * min(self.domain, 3) + (0.5 if self.apps else 0.0)

    @property
    def on_topic(self) -> bool:
        """Something the knowledge base may answer: domain words, or an app."""
        return self.domain > 0 or bool(self.apps)


def read_question(
    text: str, *, apps: Collection[str] = (), normalizer: TextNormalizer | None = None
) -> KnowledgeQuestion:
    """How ``text`` reads as a knowledge-base question (see the module docstring)."""
    said = words(text)
    joined = f" {' '.join(said)} "
    stemmer = normalizer or _NORMALIZER
    found_apps = tuple(find_names(text, apps))
    app_words = {w for a in found_apps for w in words(a)}
    domain = sum(
        1
        for w in said
        if w not in app_words and (w in DOMAIN_WORDS or stemmer.stem(w) in DOMAIN_WORDS)
    )
    progress = re.search(rf" (?:{_PROGRESS})(?= )", joined) is not None
    how_to = re.search(rf" (?:{_HOW_TO})(?= )", joined) is not None
    if how_to and progress and not re.search(r" (cara\w*|langkah\w*|syarat\w*) ", joined):
        how_to = False  # "bagaimana perkembangan …" asks how far, not how to
    if how_to and _only_asks_how_it_goes(said):
        how_to = False  # "kerinci gmn?": "how is it going?"
    definition = re.search(rf" (?:{_DEFINITION})(?= )", joined) is not None
    return KnowledgeQuestion(how_to, definition, domain, found_apps)


def small_talk(text: str) -> SmallTalk | None:
    """The kind of small talk ``text`` is, or ``None`` when it asks something else."""
    said = words(text)
    joined = " ".join(said)
    if re.search(_IDENTITY, joined):
        return "identity"
    if re.search(_ABILITIES, joined) and _only(said, _FILLER | _GREETING | _ABILITY_WORDS):
        return "abilities"
    if not said:
        return "ack" if text.strip() else None
    if _only(said, _THANKS | _ACK | _FILLER | _GREETING) and any(w in _THANKS for w in said):
        return "thanks"
    if _only(said, _GREETING | _FILLER) and any(w in _GREETING for w in said):
        return "greeting"
    if _only(said, _TEST | _FILLER | {"bot", "on", "jalan", "berfungsi", "tidak", "ga"}) and any(
        w in _TEST or w in {"aktif", "active", "alive"} for w in said
    ):
        return "test"
    if _only(said, _ACK | _FILLER):
        return "ack"
    around = _FILLER | _GREETING | _CHAT_WORDS
    if _only_besides(joined, _HOW_ARE_YOU, around):
        return "how_are_you"
    if _only_besides(joined, _OUT_OF_SCOPE, around):
        return "out_of_scope"
    return None


#: "How are you?" ("apa kabar", "pa kabar", "gmn kabarnya", "how's it going").
_HOW_ARE_YOU: Final = (
    r"\b(kabar|kabarnya|kbr|kabare|how are (you|u|things|you doing)|how (is|has) (it|everything)"
    r" (going|been)|how have you been|how do you do|what is up|sup)\b"
)
#: Chat the assistant has no part in: the weather, the time or date, jokes, songs, its tastes.
_OUT_OF_SCOPE: Final = (
    r"\b(cuaca|hujan|gerimis|mendung|weather|rain|raining|sunny|jam berapa|pukul berapa"
    r"|tanggal berapa|hari apa|what time|what day|what date|lelucon|lawakan|lucu|jokes?|funny"
    r"|pantun|tebak tebakan|tebakan|humor|nyanyi|menyanyi|bernyanyi|sing|(your|kamu|anda)"
    r" (favou?rite|favorit)( \w+)?|(favou?rite|favorit) \w+ (kamu|anda)|\w+ kesukaan"
    r"( kamu| anda|mu))\b"
)
#: What may stand around those phrases and leave the message small talk ("besok", "now",
#: "can you tell me a …"); any other word makes it a question for the other rules.
_CHAT_WORDS: Final = _vocabulary(
    """
    apa pa bagaimana hari ini sekarang besok nanti tadi today now tomorrow tonight here di sini
    disini sana kamu anda you your u are is it the a an me us kami kita saya semuanya kalian
    everyone all guys cerita ceritakan kasih beri berikan satu one can could would bisa please
    tolong tidak nggak ga gak do does will akan what how mau want hear doing baik good fine tell
    know tahu tau
    """
)


_ABILITY_WORDS: Final = _vocabulary(
    """
    kamu anda bisa apa saja bantu lakukan what can you do how help yang tolong saya me menu
    bantuan i
    """
)


def _only_asks_how_it_goes(said: Sequence[str]) -> bool:
    """ "bagaimana" with nothing after it but particles, and no other how-to word."""
    if "bagaimana" not in said:
        return False
    after = said[len(said) - said[::-1].index("bagaimana") :]
    joined = f" {' '.join(w for w in said if w != 'bagaimana')} "
    other = re.search(rf" (?:{_HOW_TO})(?= )", joined) is not None
    return not other and all(w in _PARTICLES for w in after)


def _only_besides(joined: str, phrases: str, allowed: Collection[str]) -> bool:
    """``joined`` holds one of ``phrases``, and nothing besides them but ``allowed`` words."""
    rest, found = re.subn(phrases, " ", joined)
    return found > 0 and _only(rest.split(), allowed)


def _only(said: Sequence[str], allowed: Collection[str]) -> bool:
    return all(w in allowed for w in said)


_NORMALIZER: Final = TextNormalizer()
