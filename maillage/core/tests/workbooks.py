"""Hand-made XLSX files for the hostile-input tests: a workbook is a zip of XML parts, written
here byte by byte so a test can make one that a spreadsheet program never would (a gigabyte
shared string, a zip directory that lies, an entity declaration, a row number far away)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
    '<sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_xml(rows: Iterable[tuple[int, list[str]]], *, prolog: str = "") -> bytes:
    """A sheet of inline strings; a cell written `#s:N` refers to shared string N."""
    parts = [
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{_MAIN}"><sheetData>'
    ]
    for number, cells in rows:
        parts.append(f'<row r="{number}">')
        for index, cell in enumerate(cells):
            ref = f"{_column(index)}{number}"
            if cell.startswith("#s:"):
                parts.append(f'<c r="{ref}" t="s"><v>{cell[3:]}</v></c>')
            else:
                parts.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(cell)}</t></is></c>')
        parts.append("</row>")
    parts.append("</sheetData></worksheet>")
    return "".join(parts).encode()


def shared_strings_xml(strings: list[str]) -> bytes:
    items = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}" count="{len(strings)}">'
        f"{items}</sst>"
    ).encode()


class _Part:
    """A zip member already compressed (raw deflate), with its real CRC and size and the size
    the zip's directory will declare."""

    def __init__(self, name: str, compressed: bytes, crc: int, size: int, declared: int) -> None:
        self.name, self.compressed, self.crc, self.size = name, compressed, crc, size
        self.declared = declared


def part(name: str, data: bytes, *, declared: int | None = None) -> _Part:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    compressed = compressor.compress(data) + compressor.flush()
    size = len(data)
    return _Part(name, compressed, zlib.crc32(data), size, size if declared is None else declared)


def repeated_part(
    name: str, head: bytes, block: bytes, count: int, tail: bytes, *, declared: int | None = None
) -> _Part:
    """`head + block * count + tail`, compressed without ever being built: `block` is
    compressed once (a full flush makes each copy's bytes the same) and repeated."""
    pieces = []
    for data in (head, block, tail):
        compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
        pieces.append(compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH))
    last = zlib.compressobj(1, zlib.DEFLATED, -15).flush()  # an empty final block
    compressed = pieces[0] + pieces[1] * count + pieces[2] + last
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + len(block) * count + len(tail)
    return _Part(name, compressed, crc, size, size if declared is None else declared)


def write_zip(path: Path, parts: list[_Part]) -> Path:
    """The zip by hand (sizes under 4 GB): local headers, data, central directory."""
    body = bytearray()
    directory = bytearray()
    for member in parts:
        name = member.name.encode()
        offset = len(body)
        fields = (20, 0, 8, 0, 33, member.crc, len(member.compressed), member.declared, len(name))
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields, 0) + name + member.compressed
        directory += (
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, offset) + name
        )
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(directory), len(body), 0
    )
    path.write_bytes(bytes(body + directory + end))
    return path


def write_workbook(
    path: Path,
    rows: list[list[str]],
    *,
    shared: list[str] | None = None,
    sheet: bytes | None = None,
    strings_part: _Part | None = None,
) -> Path:
    """A one-sheet workbook: `rows` from row 1 (the headers), or the sheet's XML as given."""
    sheet = sheet if sheet is not None else sheet_xml(enumerate(rows, start=1))
    strings = strings_part or part("xl/sharedStrings.xml", shared_strings_xml(shared or []))
    return write_zip(
        path,
        [
            part("[Content_Types].xml", CONTENT_TYPES.encode()),
            part("_rels/.rels", ROOT_RELS.encode()),
            part("xl/workbook.xml", WORKBOOK.encode()),
            part("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.encode()),
            part("xl/worksheets/sheet1.xml", sheet),
            strings,
        ],
    )


def shared_string_bomb(
    path: Path, rows: list[list[str]], *, megabytes: int, declared: int | None = None
) -> Path:
    """A workbook whose shared string 0 is `megabytes` MB of one letter (a cell `#s:0` shows
    it): a few kilobytes on disk per gigabyte. `declared`: the size the directory claims."""
    strings = repeated_part(
        "xl/sharedStrings.xml",
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}"><si><t>'.encode(),
        b"A" * (1 << 20),
        megabytes,
        b"</t></si></sst>",
        declared=declared,
    )
    return write_workbook(path, rows, strings_part=strings)
