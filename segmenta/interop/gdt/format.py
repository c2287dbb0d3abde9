"""Reading and writing GDT records: plain Python, no Django (sources: the package docstring).

``parse(data)`` turns the bytes of a GDT file into a dict and refuses anything malformed
with a GdtError naming the line and the field; ``build(record_type, items, …)`` writes a
record with the right line lengths, record length, object counts and character set.
"""

import datetime
import re
import unicodedata

CRLF = b"\r\n"
GDT_30 = "03.00"
GDT_21 = "02.10"
VERSIONS = (GDT_30, GDT_21)

# 9206: the character sets a record may declare, and the Python codec of each.
SEVEN_BIT, CP437, ISO_8859_15 = "1", "2", "3"
DEFAULT_CHARSET = CP437
CHARSETS = {SEVEN_BIT: "din66003", CP437: "cp437", ISO_8859_15: "iso8859_15"}

# DIN 66003 (ISO 646 German reference version): the eight places that differ from ASCII.
_DIN_66003 = {0x40: "§", 0x5B: "Ä", 0x5C: "Ö", 0x5D: "Ü", 0x7B: "ä", 0x7C: "ö", 0x7D: "ü", 0x7E: "ß"}
_TO_DIN_66003 = {char: bytes([code]) for code, char in _DIN_66003.items()}
# What the eight ASCII characters DIN 66003 gives away are written as instead.
_DIN_66003_STAND_INS = {"@": "(at)", "[": "(", "]": ")", "{": "(", "}": ")", "\\": "/", "|": "/", "~": "-"}

RECORD_TYPE, RECORD_LENGTH = "8000", "8100"
OBJECT_START, OBJECT_END, RECORD_END = "8200", "8201", "8202"
RECORD_LENGTH_DIGITS = {GDT_30: 7, GDT_21: 5}

# Record types.
MASTER_DATA, NEW_EXAMINATION, RESULT, SHOW_DATA = "6301", "6302", "6310", "6311"
REQUESTS = (MASTER_DATA, NEW_EXAMINATION, SHOW_DATA)

# Fields.
RECEIVER, SENDER, CHARSET, VERSION = "8315", "8316", "9206", "9218"
SOFTWARE_MAKER, SOFTWARE, SOFTWARE_RELEASE = "0102", "0103", "0132"
PATIENT_NUMBER, FAMILY_NAME, GIVEN_NAME, BIRTH_DATE, SEX = "3000", "3101", "3102", "3103", "3110"
EXAMINATION_DATE, EXAMINATION_TIME = "6200", "6201"
FINDINGS, COMMENT, RESULT_TEXT = "6220", "6227", "6228"
PROCEDURE, REQUEST_ID = "8402", "8310"

# 3110 as GDT writes it → the sex codes of Segmenta's vocabulary; and back (1 and 2 only).
SEX_CODES = {"1": "male", "2": "female", "M": "male", "W": "female", "F": "female", "D": "other", "X": "unknown",
             "U": "unknown"}
SEX_OUT = {"male": "1", "female": "2"}

MAX_LINE = 999  # three digits
TEXT_WIDTH = 70


class GdtError(ValueError):
    """A malformed GDT file or value: ``line`` (1-based) and ``field`` say where."""

    def __init__(self, message, line=None, field=None):
        super().__init__(message)
        self.message, self.line, self.field = message, line, field

    def __str__(self):
        where = ", ".join(part for part in (f"line {self.line}" if self.line else "",
                                            f"field {self.field}" if self.field else "") if part)
        return f"{where}: {self.message}" if where else self.message


# --- Characters ---------------------------------------------------------------------------

def decode(raw, charset):
    """The text of ``raw`` bytes in the GDT character set ``charset`` ("1", "2" or "3")."""
    if charset == SEVEN_BIT:
        high = next((byte for byte in raw if byte > 0x7F), None)
        if high is not None:
            raise ValueError(f"byte 0x{high:02X} is not 7-bit, but 9206 declares the 7-bit character set")
        return "".join(_DIN_66003.get(byte, chr(byte)) for byte in raw)
    if charset == ISO_8859_15 and any(0x80 <= byte <= 0x9F for byte in raw):
        # Control codes in ISO 8859-15, never text: a system that writes code page 1252 under
        # 3 (some GDT 2.1 tools name 3 so) means that page's letters there (Š, Ž, Œ, „ …).
        return "".join(bytes([byte]).decode("cp1252" if 0x80 <= byte <= 0x9F else "iso8859_15") for byte in raw)
    return raw.decode(CHARSETS[charset])


def encode(text, charset):
    """``text`` as bytes in ``charset``; a character the set lacks is written as its base
    letter ("ł" → "l") or, failing that, "?" (a result must not fail over one character)."""
    found = bytearray()
    for char in text:
        found += _encode_char(char, charset)
    return bytes(found)


def _encode_char(char, charset):
    if charset == SEVEN_BIT:
        if char in _TO_DIN_66003:
            return _TO_DIN_66003[char]
        if char in _DIN_66003_STAND_INS:
            return _DIN_66003_STAND_INS[char].encode("ascii")
        if char.isascii():
            return char.encode("ascii")
    else:
        try:
            return char.encode(CHARSETS[charset])
        except UnicodeEncodeError:
            pass
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and base != char:
        return b"".join(_encode_char(c, charset) for c in base)
    return b"?"


# --- Reading ------------------------------------------------------------------------------

def _lines(data):
    """[(line number, field, raw content)] of ``data``, each line's length checked."""
    if data.endswith(b"\x1a"):  # an end-of-file mark some DOS-era systems still write
        data = data[:-1]
    if not data:
        raise GdtError("the file is empty")
    if not data.endswith(b"\n"):
        raise GdtError("the last line does not end with CR LF", line=data.count(b"\n") + 1)
    found = []
    for number, line in enumerate(data[:-1].split(b"\n"), start=1):
        if not line.endswith(b"\r"):
            raise GdtError("the line ends with LF alone; GDT lines end with CR LF", line=number)
        body = line[:-1]
        head = body[:7]
        if len(body) < 7 or not head.isdigit():
            raise GdtError("a line starts with 3 digits of length and a 4-digit field id", line=number,
                           field=head[3:7].decode("ascii", "replace") or None)
        field = head[3:].decode("ascii")
        declared, actual = int(head[:3]), len(body) + 2
        if declared != actual:
            raise GdtError(f"the line says it is {declared} bytes long but is {actual} (CR LF included)",
                           line=number, field=field)
        found.append((number, field, body[7:]))
    return found


def parse(data):
    """The GDT record in ``data`` (bytes) as a dict:

    ``record_type``, ``version``, ``charset`` ("1"-"3"), ``length`` (8100, or None),
    ``receiver``, ``sender``, ``patient`` {number, family_name, given_name, birth_date (a
    date or None), sex (a vocabulary code or None)}, ``request`` {procedure, request_id,
    date, time}, and ``fields``: every line as {line, field, value, object}.
    """
    lines = _lines(data)
    number, field, content = lines[0]
    if field != RECORD_TYPE:
        raise GdtError(f"a record starts with field 8000 (record type), not {field}", line=number, field=field)
    charset = _charset(lines)
    fields, stack, total = [], [], 0
    for number, field, raw in lines:
        total += len(raw) + 9
        try:
            value = decode(raw, charset)
        except (ValueError, UnicodeDecodeError) as error:
            raise GdtError(str(error), line=number, field=field) from None
        if field == RECORD_TYPE and number != 1:
            raise GdtError("a second record starts here; one record per file", line=number, field=field)
        if field == OBJECT_START:
            stack.append((value, number))
        elif field == OBJECT_END:
            if not stack:
                raise GdtError("8201 closes an object that was never opened", line=number, field=field)
            name, opened = stack.pop()
            _count(value, number - opened + 1, f"object {name}", number, field)
        elif field == RECORD_END:
            if stack:
                raise GdtError(f"the record ends inside object {stack[-1][0]}", line=number, field=field)
            _count(value, number, "record", number, field)
            if number != len(lines):
                raise GdtError("lines follow the end of the record (8202)", line=number + 1, field=lines[number][1])
        fields.append({"line": number, "field": field, "value": value, "object": stack[-1][0] if stack else None})
    if stack:
        raise GdtError(f"object {stack[-1][0]} is never closed (8201)", line=stack[-1][1], field=OBJECT_START)
    return _record(fields, total, charset)


def _charset(lines):
    declared = [(number, raw) for number, field, raw in lines if field == CHARSET]
    if not declared:
        return DEFAULT_CHARSET
    number, raw = declared[0]
    value = raw.decode("ascii", "replace").strip()
    if value not in CHARSETS:
        raise GdtError(f"character set {value!r} is not one GDT defines (1 = 7-bit, 2 = IBM CP 437, "
                       "3 = ISO 8859-15)", line=number, field=CHARSET)
    return value


def _count(value, actual, what, number, field):
    if not value.strip().isdigit() or int(value) != actual:
        raise GdtError(f"the {what} has {actual} lines, not {value!r}", line=number, field=field)


def _record(fields, total, charset):
    first = {}
    for item in fields:
        first.setdefault(item["field"], item)

    def value(field):
        return first[field]["value"].strip() if field in first else ""

    length = None
    if RECORD_LENGTH in first:
        item = first[RECORD_LENGTH]
        if not value(RECORD_LENGTH).isdigit() or int(value(RECORD_LENGTH)) != total:
            raise GdtError(f"the record is {total} bytes long, not {item['value']!r}", line=item["line"],
                           field=RECORD_LENGTH)
        length = total
    record_type = value(RECORD_TYPE)
    if not re.fullmatch(r"\d{4}", record_type):
        raise GdtError(f"{record_type!r} is not a record type", line=1, field=RECORD_TYPE)
    return {
        "record_type": record_type,
        "version": value(VERSION) or None,
        "charset": charset,
        "length": length,
        "receiver": value(RECEIVER),
        "sender": value(SENDER),
        "patient": {
            "number": value(PATIENT_NUMBER),
            "family_name": value(FAMILY_NAME),
            "given_name": value(GIVEN_NAME),
            "birth_date": _date(first.get(BIRTH_DATE)),
            "sex": _sex(first.get(SEX)),
        },
        "request": {"procedure": value(PROCEDURE), "request_id": value(REQUEST_ID),
                    "date": _date(first.get(EXAMINATION_DATE)), "time": value(EXAMINATION_TIME)},
        "fields": fields,
    }


def _date(item):
    """A TTMMJJJJ field as a date (None when absent); GdtError when it is no date."""
    if item is None or not item["value"].strip():
        return None
    text = item["value"].strip()
    try:
        if re.fullmatch(r"\d{8}", text):
            return datetime.datetime.strptime(text, "%d%m%Y").date()
    except ValueError:
        pass
    raise GdtError(f"{text!r} is not a date written TTMMJJJJ (day, month, year)", line=item["line"],
                   field=item["field"])


def _sex(item):
    if item is None or not item["value"].strip():
        return None
    text = item["value"].strip().upper()
    if text not in SEX_CODES:
        raise GdtError(f"{item['value']!r} is not a sex GDT defines (1 male, 2 female)", line=item["line"],
                       field=item["field"])
    return SEX_CODES[text]


def check_receiver(record, own_id):
    """Refuse a record addressed (8315) to another program than ``own_id``; one without a
    receiver is taken, as practice systems that cannot name one send them."""
    receiver = record["receiver"]
    if receiver and receiver != own_id:
        item = next(item for item in record["fields"] if item["field"] == RECEIVER)
        raise GdtError(f"the record is addressed to {receiver!r}, not to Segmenta's GDT id {own_id!r} "
                       "(SEGMENTA_GDT_OWN_ID)", line=item["line"], field=RECEIVER)
    return record


def values(record, field):
    """Every value of ``field`` in a parsed record, in order."""
    return [item["value"] for item in record["fields"] if item["field"] == field]


# --- Writing ------------------------------------------------------------------------------

def line(field, content, charset):
    """One line: length, field id, content, CR LF. GdtError when it would pass 999 bytes."""
    if not re.fullmatch(r"\d{4}", field):
        raise GdtError("a field id is 4 digits", field=field)
    text = re.sub(r"[\x00-\x1f\x7f]", " ", str(content))
    body = field.encode("ascii") + encode(text, charset)
    length = len(body) + 5
    if length > MAX_LINE:
        raise GdtError(f"the line would be {length} bytes long; GDT allows {MAX_LINE}", field=field)
    return b"%03d" % length + body + CRLF


def wrap(text, width=TEXT_WIDTH):
    """``text`` as lines of at most ``width`` characters, broken between words where it can
    (and its own line breaks kept)."""
    found = []
    for paragraph in str(text).splitlines() or [""]:
        words, current = paragraph.split(), ""
        if not words:
            found.append("")
            continue
        for word in words:
            while len(word) > width:
                if current:
                    found.append(current)
                    current = ""
                found.append(word[:width])
                word = word[width:]
            if current and len(current) + 1 + len(word) > width:
                found.append(current)
                current = word
            else:
                current = f"{current} {word}" if current else word
        if current:
            found.append(current)
    return found


def build(record_type, items, charset=DEFAULT_CHARSET, version=GDT_30):
    """The bytes of one record. ``items`` are (field, value) pairs and, for GDT 3.0, objects
    as (object name, [(field, value), …]); a GDT 2.1 record writes the objects' fields flat.
    Empty values are left out. 8000, 8100, 9206 (in the head object) and 9218 are added."""
    if charset not in CHARSETS:
        raise GdtError(f"character set {charset!r} is not one GDT defines", field=CHARSET)
    if version not in VERSIONS:
        raise GdtError(f"version {version!r} is not one Segmenta writes ({', '.join(VERSIONS)})", field=VERSION)
    objects = version == GDT_30
    lines = [line(RECORD_TYPE, record_type, charset)]
    for item in items:
        name, content = item
        if isinstance(content, list):
            inner = [line(field, value, charset) for field, value in content if value not in (None, "")]
            lines += ([line(OBJECT_START, name, charset), *inner, line(OBJECT_END, len(inner) + 2, charset)]
                      if objects else inner)
        elif content not in (None, ""):
            lines.append(line(name, content, charset))
    if objects:
        lines.append(line(RECORD_END, len(lines) + 2, charset))  # 8100 and 8202 counted
    digits = RECORD_LENGTH_DIGITS[version]
    total = sum(map(len, lines)) + 3 + 4 + digits + 2
    lines.insert(1, line(RECORD_LENGTH, f"{total:0{digits}d}", charset))
    return b"".join(lines)


def head(receiver, sender, charset, version, software=()):
    """The fields every record carries first (Obj_Kopfdaten in GDT 3.0): receiver and sender
    ids, character set, version, and the software's maker, name and release if given."""
    maker, name, release = (*software, "", "", "")[:3]
    return ("Obj_Kopfdaten", [(RECEIVER, receiver), (SENDER, sender), (CHARSET, charset), (VERSION, version),
                              (SOFTWARE_MAKER, maker), (SOFTWARE, name), (SOFTWARE_RELEASE, release)])
