"""Fonts for the generated PDFs: every script a member city writes in, as extractable text.

reportlab embeds TrueType-outline fonts (``.ttf``, ``.ttc`` with ``glyf`` outlines) but refuses
CFF/OpenType ones (``.otf``, Noto CJK), so the font set is assembled from what the machine has:

1. a *base* TrueType font for Latin, Cyrillic and Greek (DejaVu Sans, Liberation Sans, …, and at
   worst the Bitstream Vera that ships inside reportlab, so a base font always exists);
2. TrueType *fallbacks* that cover Han, Hangul and kana (WenQuanYi Zen Hei, Droid Sans Fallback,
   Nanum Gothic, …), Thai (Loma, Garuda) and Ethiopic (Abyssinica SIL, Noto Sans Ethiopic), loaded
   only when a text needs a character the base font lacks;
3. reportlab's built-in CID fonts (``HYSMyeongJo-Medium``, ``STSong-Light``, ``HeiseiMin-W3``) when
   no TrueType file covers a CJK, Cyrillic or Greek character: they need no file, and readers render
   them from their own fonts, so the text still comes back out of the PDF instead of empty boxes.

What none of these has (and right-to-left shaping, which reportlab does not do without HarfBuzz)
is drawn as the base font's missing-glyph box.

A text is split into runs, each in the first font of that chain that has its characters; `markup`
gives the runs as escaped Paragraph markup and `runs` as ``(font, text)`` pairs for canvas drawing.
Font names in the markup are always ours, never taken from the text.

Fonts are searched for in ``HEALTH_RESPONDER_FONT_DIRS`` (``os.pathsep``-separated), reportlab's
``TTFSearchPath`` and the usual system folders; no single path is assumed.
"""

from __future__ import annotations

import functools
import os
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

#: Names under which the fonts are registered with reportlab (one process-wide registry).
BASE_FONT = "HealthResponderSans"
BOLD_FONT = "HealthResponderSans-Bold"
_FALLBACK_FONT = "HealthResponderFallback-{}"

#: Environment variable naming extra font folders, searched first.
FONT_DIRS_ENV = "HEALTH_RESPONDER_FONT_DIRS"

#: Base candidates, best first: (regular file, bold file or None). Each must have TrueType outlines.
_BASE_CANDIDATES: tuple[tuple[str, str | None], ...] = (
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    ("FreeSans.ttf", "FreeSansBold.ttf"),
    ("Arial.ttf", "Arial Bold.ttf"),
    ("arial.ttf", "arialbd.ttf"),
    # Shipped inside reportlab itself: Latin only, but always present.
    ("Vera.ttf", "VeraBd.ttf"),
)

#: Fallback candidates for what the base font lacks, best coverage first: (file, TTC subfont index).
_FALLBACK_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("wqy-zenhei.ttc", 0),  # Han (simplified and traditional), Hangul, kana, Cyrillic
    ("DroidSansFallbackFull.ttf", 0),
    ("DroidSansFallback.ttf", 0),
    ("wqy-microhei.ttc", 0),
    ("NanumGothic.ttf", 0),  # Hangul and common Han
    ("UnDotum.ttf", 0),
    ("fonts-japanese-gothic.ttf", 0),
    ("ipag.ttf", 0),
    ("ukai.ttc", 0),
    ("uming.ttc", 0),
    ("Loma.ttf", 0),  # Thai (fonts-tlwg-loma-ttf), for the ASEAN network's cities
    ("Garuda.ttf", 0),
    ("AbyssinicaSIL-Regular.ttf", 0),  # Ethiopic (fonts-sil-abyssinica): Amharic, for Addis Ababa
    ("NotoSansEthiopic-Regular.ttf", 0),
    ("DejaVuSans.ttf", 0),  # Cyrillic and Greek when the base font is Latin-only
    ("LiberationSans-Regular.ttf", 0),
    ("FreeSans.ttf", 0),
)

#: reportlab's CID fonts, by script; they are not embedded but come back as text.
CID_KOREAN = "HYSMyeongJo-Medium"
CID_CHINESE = "STSong-Light"
CID_JAPANESE = "HeiseiMin-W3"

_SYSTEM_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "~/Library/Fonts",
    "C:/Windows/Fonts",
)

#: Longest text accepted anywhere in a document; a longer one is cut with an ellipsis.
MAX_TEXT_LENGTH = 5000


def clean_text(value: object, *, max_length: int = MAX_TEXT_LENGTH, single_line: bool = False) -> str:
    """Return ``value`` as text a PDF can carry: no control characters, lone surrogates or excess.

    ``None`` becomes an empty string. Tabs become spaces; line breaks are kept unless
    ``single_line``. Characters beyond U+FFFF become U+FFFD. Text longer than ``max_length`` is cut
    and ends with an ellipsis.
    """
    if value is None:
        return ""
    text = str(value)
    # Printable text of the Basic Multilingual Plane has nothing to clean (controls, surrogates,
    # unassigned and private-use code points, tabs and line breaks are all unprintable).
    if not (text.isprintable() and (text.isascii() or max(text) <= "\uffff")):
        text = "".join(_clean_char(c, single_line) for c in text.replace("\r\n", "\n"))
    if len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text


def _clean_char(c: str, single_line: bool) -> str:
    if c == "\n" or c == "\r":
        return " " if single_line else "\n"
    if c == "\t":
        return " "
    # Control, surrogate, unassigned and private-use code points render as nothing useful and can
    # break the PDF's text encoding; format characters (ZWJ, bidi marks) are kept.
    if unicodedata.category(c) in ("Cc", "Cs", "Cn", "Co"):
        return ""
    # reportlab writes characters past U+FFFF (emoji, CJK extension B) into the font's ToUnicode map
    # unencoded, which corrupts the text of the whole font for readers: show a replacement mark.
    if ord(c) > 0xFFFF:
        return "\ufffd"
    return c


class FontSet:
    """The registered fonts and the rule that picks one for each character.

    Obtain the process-wide instance with `get_fonts`; it loads fallback fonts lazily.
    """

    def __init__(self, search_dirs: Iterable[str | os.PathLike[str]] | None = None, *, name_prefix: str = ""):
        """Find and register the fonts.

        ``search_dirs`` replaces the usual font folders (reportlab's own folder is always searched
        last); ``name_prefix`` keeps the registered names of such a set apart from the default one.
        """
        self._lock = threading.RLock()
        self._prefix = name_prefix
        self._index = _font_index(tuple(str(d) for d in search_dirs) if search_dirs is not None else None)
        self.regular = name_prefix + BASE_FONT
        self.bold = name_prefix + BOLD_FONT
        base, bold, self.base_path = self._load_base()
        pdfmetrics.registerFont(base)
        pdfmetrics.registerFont(bold)
        pdfmetrics.registerFontFamily(
            self.regular, normal=self.regular, bold=self.bold, italic=self.regular, boldItalic=self.bold
        )
        self._base_cmap: dict[int, int] = base.face.charToGlyph
        # Fallbacks are opened on first need: a 16 MB CJK font costs memory and time that a
        # Latin-only document should not pay.
        self._fallback_paths = [
            (path, index)
            for name, index in _FALLBACK_CANDIDATES
            if (path := self._index.get(name.lower())) and path != self.base_path
        ]
        self._fallbacks: list[tuple[str, dict[int, int]]] = []
        self._next_fallback = 0
        self._cid_registered = False
        self._choice_cache: dict[int, str] = {}

    def _load_base(self) -> tuple[TTFont, TTFont, str]:
        for regular_file, bold_file in _BASE_CANDIDATES:
            path = self._index.get(regular_file.lower())
            base = _load(self.regular, path, 0)
            if base is None:
                continue
            bold = _load(self.bold, self._index.get(bold_file.lower()) if bold_file else None, 0)
            # Without a bold face, bold text is drawn in the regular one rather than failing.
            return base, bold or _load(self.bold, path, 0), path
        raise RuntimeError("no usable TrueType base font, not even reportlab's own Vera.ttf")

    @property
    def fallback_paths(self) -> list[str]:
        """Font files that may serve characters the base font lacks, in order of preference."""
        return [path for path, _ in self._fallback_paths]

    def covers(self, text: str) -> bool:
        """Whether the base font alone has every character of ``text``."""
        if text.isascii():
            return True
        cmap = self._base_cmap
        return all(ord(c) in cmap for c in text)

    def font_for(self, char: str, context: str = "") -> str:
        """The font to draw ``char`` with; ``context`` (the whole text) decides Han as Japanese or Korean."""
        code = ord(char)
        if code in self._base_cmap or char.isspace():
            return self.regular
        cached = self._choice_cache.get(code)
        if cached is not None:
            return cached
        with self._lock:
            for name, cmap in self._loaded_fallbacks():
                if code in cmap:
                    self._choice_cache[code] = name
                    return name
        cid = _cid_font_for(char, context)
        if cid is None:
            # No font here has it: the base font's "missing glyph" box keeps at least the text.
            return self.regular
        with self._lock:
            self._register_cid()
        return cid

    def runs(self, text: str, *, bold: bool = False) -> list[tuple[str, str]]:
        """Split ``text`` into ``(font name, text)`` runs, each drawable in a single font."""
        base = self.bold if bold else self.regular
        if self.covers(text):
            return [(base, text)] if text else []
        out: list[tuple[str, str]] = []
        current, chunk = None, []
        for char in text:
            font = self.font_for(char, text)
            if font == self.regular:
                font = base
            # Spaces join the run they are in so that a CJK phrase stays one run.
            if char.isspace() and current is not None:
                font = current
            if font != current and chunk:
                out.append((current, "".join(chunk)))
                chunk = []
            current = font
            chunk.append(char)
        if chunk:
            out.append((current, "".join(chunk)))
        return out

    def markup(self, text: str, *, bold: bool = False) -> str:
        """Escaped Paragraph markup for user ``text``: literal characters, line breaks, font runs.

        Everything the text contains is escaped, so tags in it print as text; the only tags in the
        result are ``<br/>`` and ``<font name="…">`` with one of our own font names.
        """
        lines = clean_text(text).split("\n")
        out = []
        for line in lines:
            parts = []
            for font, run in self.runs(line, bold=bold):
                if font in (self.regular, self.bold):
                    parts.append(escape(run))
                else:
                    parts.append(f'<font name="{font}">{escape(run)}</font>')
            out.append("".join(parts))
        return "<br/>".join(out)

    def string_width(self, text: str, size: float, *, bold: bool = False) -> float:
        """Width of ``text`` in points when drawn run by run at ``size``."""
        return sum(pdfmetrics.stringWidth(run, font, size) for font, run in self.runs(text, bold=bold))

    def draw(
        self, canvas, x: float, y: float, text: str, size: float, *, bold: bool = False, align: str = "left"
    ) -> float:
        """Draw single-line ``text`` on ``canvas`` run by run; returns the width drawn.

        ``align`` is ``left``, ``right`` (``x`` is the right edge) or ``center``.
        """
        runs = self.runs(clean_text(text, single_line=True), bold=bold)
        width = sum(pdfmetrics.stringWidth(run, font, size) for font, run in runs)
        if align == "right":
            x -= width
        elif align == "center":
            x -= width / 2
        for font, run in runs:
            canvas.setFont(font, size)
            canvas.drawString(x, y, run)
            x += pdfmetrics.stringWidth(run, font, size)
        return width

    def _loaded_fallbacks(self):
        """Yield ``(font name, cmap)`` of each fallback, opening the next file only when asked."""
        yield from self._fallbacks
        while self._next_fallback < len(self._fallback_paths):
            path, index = self._fallback_paths[self._next_fallback]
            name = self._prefix + _FALLBACK_FONT.format(self._next_fallback)
            self._next_fallback += 1
            font = _load(name, path, index)
            if font is None:
                continue
            pdfmetrics.registerFont(font)
            # Bold text with a CJK run must still resolve: the fallback is its own bold.
            pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
            self._fallbacks.append((name, font.face.charToGlyph))
            yield self._fallbacks[-1]

    def _register_cid(self) -> None:
        if self._cid_registered:
            return
        for name in (CID_KOREAN, CID_CHINESE, CID_JAPANESE):
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(UnicodeCIDFont(name))
            for bold in (0, 1):
                for italic in (0, 1):
                    addMapping(name, bold, italic, name)
        self._cid_registered = True


def _cid_font_for(char: str, context: str) -> str | None:
    """The CID font for a character of the scripts their collections hold; None for any other."""
    code = ord(char)
    if not _in_cid_collections(code):
        return None
    if _is_hangul(code):
        return CID_KOREAN
    if _is_kana(code):
        return CID_JAPANESE
    if any(_is_kana(ord(c)) for c in context):
        return CID_JAPANESE
    if any(_is_hangul(ord(c)) for c in context):
        return CID_KOREAN
    return CID_CHINESE


def _in_cid_collections(code: int) -> bool:
    return (
        0x0370 <= code <= 0x04FF  # Greek and Cyrillic, held by all three collections
        or 0x1100 <= code <= 0x11FF
        or 0x2E80 <= code <= 0x9FFF  # CJK radicals, punctuation, kana, Hangul jamo, Han
        or 0xAC00 <= code <= 0xD7AF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF
    )


def _is_hangul(code: int) -> bool:
    return 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


def _is_kana(code: int) -> bool:
    return 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9F


def _load(name: str, path: str | None, index: int) -> TTFont | None:
    if not path:
        return None
    try:
        font = TTFont(name, path, subfontIndex=index)
    except (TTFError, OSError, ValueError, KeyError, IndexError):
        # CFF-outline (.otf-in-.ttc) or damaged files: skip, the next candidate will do.
        return None
    _reuse_subsets(font)
    return font


#: Font subsets kept per font file, and compressed font streams kept in all (each ~20-35 kB).
SUBSETS_KEPT = 32
STREAMS_KEPT = 64


def _reuse_subsets(font: TTFont) -> None:
    """Let ``font`` reuse the subset files it made for earlier documents.

    reportlab cuts a new subset of the font file into every document (the ``name``, ``cvt``, ``fpgm``
    and ``prep`` tables copied, the glyphs gathered) and compresses it: two thirds of a one-page
    document's cost. A subset is a pure function of the characters in it, in order, and a document in
    Latin script has the same first subset as the last one (the ASCII block, then the few other
    characters its template uses), so the bytes are kept and handed out again.
    """
    face = font.face
    make = face.makeSubset
    cached = functools.lru_cache(maxsize=SUBSETS_KEPT)(lambda key: make(list(key)))
    face.makeSubset = lambda subset: cached(tuple(subset))
    # A new subset reads the tables it copies again, and the whole glyf table (10 MB in a CJK font)
    # only to slice out the few glyphs it keeps: 6 ms a subset. Tables are read once; glyf is sliced
    # in place.
    read, tables = face.get_table, {}

    def get_table(tag: str):
        if tag == "glyf":
            return _Slices(face._ttf_data, *face.get_table_pos(tag))
        if tag not in tables:
            tables[tag] = read(tag)
        return tables[tag]

    face.get_table = get_table


class _Slices:
    """A table of a font file that copies only the slices taken of it (reportlab slices glyf by glyph)."""

    def __init__(self, data: bytes, start: int, length: int) -> None:
        self._data, self._start, self._length = data, start, length

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, part: slice) -> bytes:
        begin, end, _step = part.indices(self._length)
        return self._data[self._start + begin : self._start + end]


class _KeptFlate(pdfdoc.PDFStreamFilterZCompress):
    """reportlab's Flate filter, remembering what it compressed for byte strings (font files).

    Page contents (text) are compressed every time; the same subset file (`_reuse_subsets`) is
    compressed once. The output is the same bytes zlib gives.
    """

    def __init__(self) -> None:
        self._kept: dict[bytes, bytes] = {}
        self._lock = threading.Lock()

    def encode(self, text):
        """Compress ``text``; byte strings from a kept subset come from the cache."""
        if not isinstance(text, bytes) or len(text) < 2048:
            return super().encode(text)
        with self._lock:
            done = self._kept.pop(text, None)
        if done is None:
            done = super().encode(text)
        with self._lock:
            self._kept[text] = done  # most recently used last
            while len(self._kept) > STREAMS_KEPT:
                del self._kept[next(iter(self._kept))]
        return done


# ttfonts and pdfdoc look the filter up in pdfdoc at each use: one instance serves every document.
pdfdoc.PDFZCompress = _KeptFlate()


def _search_dirs(extra: tuple[str, ...] | None) -> list[Path]:
    dirs: list[str] = []
    if extra is not None:
        dirs.extend(extra)
    else:
        dirs.extend(d for d in os.environ.get(FONT_DIRS_ENV, "").split(os.pathsep) if d)
        dirs.extend(str(d) for d in getattr(rl_config, "TTFSearchPath", ()) if isinstance(d, str))
        dirs.extend(_SYSTEM_FONT_DIRS)
    # reportlab's own font folder goes last so a system font always wins over Vera.
    dirs.append(str(Path(rl_config.__file__).parent / "fonts"))
    return [Path(os.path.expanduser(d)) for d in dirs]


@functools.lru_cache(maxsize=8)
def _font_index(extra: tuple[str, ...] | None) -> dict[str, str]:
    """Map lower-cased font file names to their first path in search order."""
    index: dict[str, str] = {}
    for root in _search_dirs(extra):
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()  # stable choice when a name exists twice
            for filename in sorted(filenames):
                if filename.lower().endswith((".ttf", ".ttc")):
                    index.setdefault(filename.lower(), os.path.join(dirpath, filename))
    return index


_fonts: FontSet | None = None
_fonts_lock = threading.Lock()


def get_fonts() -> FontSet:
    """The process-wide `FontSet`, created and registered with reportlab on first use."""
    global _fonts
    if _fonts is None:
        with _fonts_lock:
            if _fonts is None:
                _fonts = FontSet()
    return _fonts


def warm() -> None:
    """Register the fonts and build one small document of each kind, once per worker at its start.

    The first document a fresh worker served cost 400 ms (font files parsed, lazy imports of reportlab,
    its first-use caches); after this the first one costs what the tenth does. Korean text in the
    sample opens the fallback font as a real document with such a name would.
    """
    from datetime import date

    from health_responder.reports import builders
    from health_responder.reports.data import (
        CertificateData,
        DispatchLineData,
        DispatchReportData,
        Party,
        PickLineData,
        PickListData,
    )

    get_fonts().runs("세종 Sejong")
    day, url = date(2026, 1, 1), "https://example.org/verify/WARMUP00"
    line = DispatchLineData("ITEM", "Item 세종", "LOT", day, 1, "each", True, "Warehouse")
    builders.build_dispatch_report(
        DispatchReportData(
            "DSP", day, "shipped", "REQ", "high", Party("Sender"), "Warehouse", Party("세종 Sejong"),
            "", "", 1, [line], "", url, "WARMUP00", "Association",
        )
    )  # fmt: skip
    builders.build_pick_list(
        PickListData(
            "DSP", "REQ", "high", "Provider", "City", day, day,
            [PickLineData("Warehouse", "ITEM", "Item", "LOT", day, 1, "each")], "Association",
            verification_url=url, verification_code="WARMUP00",
        )
    )  # fmt: skip
    builders.build_certificate(
        CertificateData("Association", "세종 Participant", "Program", "Topic", "Provider", "City", day, url, "WARMUP00")
    )  # fmt: skip
