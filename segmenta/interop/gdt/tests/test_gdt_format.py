"""The GDT reader and writer on their own (no database): our sample requests in each
character set, malformed files refused naming the line and field, and records written with
lengths and counts a reader checking them by hand accepts."""

import datetime
from pathlib import Path

import pytest

from segmenta.interop.gdt import format

FIXTURES = Path(__file__).parent / "fixtures"


def sample(name):
    return (FIXTURES / name).read_bytes()


def lines_of(data):
    """The record's lines as (declared length, field, content bytes), checked by hand."""
    found = []
    for raw in data.split(b"\r\n")[:-1]:
        assert int(raw[:3]) == len(raw) + 2, raw
        found.append((int(raw[:3]), raw[3:7].decode(), raw[7:]))
    return found


def test_a_gdt_30_request_in_ibm_code_page_437_is_read_with_its_umlauts_and_objects():
    record = format.parse(sample("request_6302_gdt30_cp437.gdt"))
    assert (record["record_type"], record["version"], record["charset"], record["length"]) == ("6302", "03.00", "2", 333)
    assert record["patient"] == {"number": "4711", "family_name": "Größer-Öztürk", "given_name": "Jürgen",
                                 "birth_date": datetime.date(1961, 3, 17), "sex": "male"}
    assert record["request"] == {"procedure": "ALLG00", "request_id": "A-0815",
                                 "date": datetime.date(2026, 11, 25), "time": "101500"}
    assert (record["receiver"], record["sender"]) == ("SEGMENTA", "PRAX_EDV")
    family = next(item for item in record["fields"] if item["field"] == "3101")
    assert (family["line"], family["object"]) == (11, "Obj_Patient")


def test_a_flat_gdt_21_request_in_iso_8859_15_is_read():
    record = format.parse(sample("request_6302_gdt21_iso8859_15.gdt"))
    assert (record["version"], record["charset"], record["length"]) == ("02.10", "3", 166)
    assert record["patient"]["family_name"] == "Weiß" and record["patient"]["given_name"] == "Renée"
    assert record["patient"]["sex"] == "female"
    assert all(item["object"] is None for item in record["fields"])


def test_a_7_bit_request_reads_its_umlauts_from_the_german_reference_version():
    data = sample("request_6311_gdt30_7bit.gdt")
    assert b"M}~ig" in data and b"K{the" in data  # ü, ß and ä where ASCII has } ~ {
    record = format.parse(data)
    assert record["record_type"] == "6311" and record["charset"] == "1"
    assert (record["patient"]["family_name"], record["patient"]["given_name"]) == ("Müßig", "Käthe")
    assert record["patient"]["sex"] == "female"  # written W


def test_without_9206_a_record_is_read_in_code_page_437():
    data = format.build("6302", [("3000", "1"), ("3101", "Bär")], charset="2", version="02.10")
    assert b"9206" not in data and "Bär".encode("cp437") in data
    assert format.parse(data)["patient"]["family_name"] == "Bär"


def test_a_line_whose_length_is_wrong_is_refused_naming_the_line_and_field():
    with pytest.raises(format.GdtError) as error:
        format.parse(sample("wrong_line_length.gdt"))
    assert (error.value.line, error.value.field) == (11, "3101")
    assert str(error.value) == "line 11, field 3101: the line says it is 23 bytes long but is 22 (CR LF included)"


def test_a_record_without_8000_at_its_start_is_refused():
    with pytest.raises(format.GdtError) as error:
        format.parse(sample("missing_8000.gdt"))
    assert (error.value.line, error.value.field) == (1, "8100")
    assert "starts with field 8000" in str(error.value)


@pytest.mark.parametrize(("change", "line", "field", "words"), [
    (lambda d: d.replace(b"01681000000333", b"01681000000334"), 2, "8100", "333 bytes long, not '0000334'"),
    (lambda d: d.replace(b"01082017\r\n0248200", b"01082016\r\n0248200"), 15, "8201",
     "object Obj_Patient has 7 lines, not '6'"),
    (lambda d: d.replace(b"011820222", b"011820221"), 22, "8202", "record has 22 lines, not '21'"),
    (lambda d: d.replace(b"01092062", b"01092064"), 6, "9206", "character set '4'"),
    (lambda d: d.replace(b"017310317031961", b"017310331021961"), 13, "3103", "not a date"),
    (lambda d: d.replace(b"01031101", b"01031107"), 14, "3110", "not a sex"),
    (lambda d: d.replace(b"\r\n", b"\n"), 1, None, "LF alone"),
    (lambda d: d[:-2], 22, None, "does not end with CR LF"),
    (lambda d: d + b"01380006302\r\n", 23, "8000", "lines follow the end of the record"),
    (lambda d: d.replace(b"0158402ALLG00\r\n", b"01x8402ALLG00\r\n"), 21, "8402", "3 digits of length"),
])
def test_malformed_records_are_refused_naming_where(change, line, field, words):
    with pytest.raises(format.GdtError) as error:
        format.parse(change(sample("request_6302_gdt30_cp437.gdt")))
    assert (error.value.line, error.value.field) == (line, field)
    assert words in str(error.value)


def test_a_byte_above_127_in_a_7_bit_record_is_refused():
    data = format.build("6302", [format.head("A", "B", "1", "03.00"), ("3101", "X")], charset="1")
    bad = data.replace(b"0103101X", b"0103101\xe4")
    with pytest.raises(format.GdtError) as error:
        format.parse(bad)
    assert error.value.field == "3101" and "0xE4 is not 7-bit" in str(error.value)


@pytest.mark.parametrize("charset", ["1", "2", "3"])
@pytest.mark.parametrize("version", ["03.00", "02.10"])
def test_a_written_record_has_the_right_lengths_and_reads_back_the_same(charset, version):
    items = [format.head("PRAX_EDV", "SEGMENTA", charset, version),
             ("Obj_Patient", [("3000", "4711"), ("3101", "Größer-Öztürk"), ("3102", "Jürgen"),
                              ("3103", "17031961"), ("3110", "1")]),
             ("8402", "ALLG00"), ("6220", "Straße, Übelkeit: keine"), ("6228", "ÄÖÜ äöü ß")]
    data = format.build("6310", items, charset=charset, version=version)
    lines = lines_of(data)
    assert lines[0][1:] == ("8000", b"6310") and lines[1][1] == "8100"
    assert int(lines[1][2]) == len(data) and len(lines[1][2]) == (7 if version == "03.00" else 5)
    fields = [field for _length, field, _content in lines]
    if version == "03.00":
        assert fields[-1] == "8202" and int(lines[-1][2]) == len(lines)
        assert fields.count("8200") == fields.count("8201") == 2
    else:
        assert "8200" not in fields and "8202" not in fields
    record = format.parse(data)
    assert record["patient"]["family_name"] == "Größer-Öztürk" and record["charset"] == charset
    assert format.values(record, "6220") == ["Straße, Übelkeit: keine"]
    assert format.values(record, "6228") == ["ÄÖÜ äöü ß"]
    assert record["version"] == version


def test_the_character_sets_write_umlauts_as_each_one_codes_them():
    family = [("3101", "Öß")]
    assert b"3101\\~" in format.build("6310", family, charset="1", version="02.10")
    assert b"3101\x99\xe1" in format.build("6310", family, charset="2", version="02.10")
    assert b"3101\xd6\xdf" in format.build("6310", family, charset="3", version="02.10")


def test_characters_a_set_lacks_are_written_as_their_base_letter_or_a_question_mark():
    assert format.encode("Nguyễn Łukasz €", "2") == b"Nguyen ?ukasz ?"
    assert format.encode("Nguyễn Łukasz €", "3") == b"Nguyen ?ukasz \xa4"
    assert format.encode("§ 630f", "2") == b"? 630f"  # code page 437 has no §
    assert format.encode("§ 630f", "1") == b"@ 630f"
    assert format.encode("a[1]@b", "1") == b"a(1)(at)b"


def test_a_line_longer_than_999_bytes_is_refused_and_text_is_wrapped_to_fit():
    with pytest.raises(format.GdtError) as error:
        format.line("6228", "x" * 991, "2")
    assert error.value.field == "6228"
    assert len(format.line("6228", "x" * 990, "2")) == 999
    wrapped = format.wrap("Das ist ein langer Satz " * 10 + "\nZweite Zeile", width=30)
    assert all(len(piece) <= 30 for piece in wrapped) and wrapped[-1] == "Zweite Zeile"
    assert " ".join(wrapped[:-1]) == ("Das ist ein langer Satz " * 10).strip()


def test_line_breaks_inside_a_value_never_split_a_gdt_line():
    data = format.line("6228", "one\r\ntwo", "2")
    assert data == b"0176228one  two\r\n"


def test_code_page_1252_letters_under_character_set_3_are_read_as_such():
    data = format.build("6302", [("9206", "3"), ("3101", "Simic")], charset="3", version="02.10")
    data = data.replace(b"3101Simic", b"3101\x8aimi\xe6")  # Š in code page 1252, æ in both
    assert format.parse(data)["patient"]["family_name"] == "Šimiæ"
    with pytest.raises(format.GdtError) as error:
        format.parse(data.replace(b"\x8aimi", b"\x81imi"))  # a byte code page 1252 leaves empty
    assert error.value.field == "3101"
