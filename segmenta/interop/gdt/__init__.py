"""GDT (Gerätedatentransfer): the file interface German practice systems (PVS) use to talk
to special programs. Segmenta reads the practice system's requests (6302 "new examination",
6311 "show data", 6301 "master data") to open or create the patient, and writes a 6310
result record with the signed session's summary back.

``format`` is plain Python (no Django): lines, records, character sets. ``patients``,
``results``, ``folders`` and ``hooks`` are the Django shell around it; ``segmenta gdt``
(segmenta/interop/management/commands/gdt.py) is the command line.

What the format is, and where each rule comes from
--------------------------------------------------
The GDT specifications are published by the QMS (Qualitätsring Medizinische Software e.V.,
qms-standards.de). The official GDT 3.0 document itself could not be read here; the rules
below are taken from public implementations and sample files that agree with each other:

- Line: a 3-digit length, a 4-digit field id, the content, CR LF. The length counts the
  bytes of the whole line in its character set, CR LF included (every line and the 8100
  total of the GDT 2.1 sample record ``EDV1EKG1.001`` in github.com/retconx/optigdt add up:
  59 lines, 880 bytes). Every character set GDT allows is one byte per character.
- Record: starts with 8000 (record type), then 8100 (record length: the bytes of the whole
  record, 8000 and 8100 lines included). 8100 has 5 digits in GDT 2.1 (the same sample) and
  7 in GDT 3.0, where it is optional (Doc Cirrus inSuite's GDT 3.0 definition ``gdt_v_30``,
  ``sizeRecLen = 7``; github.com/zdavatz/gdt2dicom src/gdt.rs writes ``8100`` with 7 digits).
- GDT 3.0 groups fields into objects: 8200 opens one (``Obj_Kopfdaten``, ``Obj_Patient``,
  ``Obj_Anforderung`` …), 8201 closes it with the number of the object's lines (8200 and
  8201 counted), 8202 ends the record with the number of all its lines (8000, 8100 and
  8202 counted). (inSuite ``gdt_v_30`` and its 6301/6302 writers; gdt2dicom src/gdt.rs;
  IT-Med's GDT 3.0 writer ch.itmed.lmz.risch.laborder.gdt.GdtBody, which writes
  ``921803.00`` and the same counts.) GDT 2.1 records are flat; both are read.
- Version 9218: ``03.00`` for GDT 3.0, ``02.10`` for 2.1.
- Character set 9206: 1 = 7-bit (the German reference version of ISO 646, DIN 66003, with
  umlauts and ß in place of [ \\ ] { | } ~ and § for @), 2 = IBM code page 437, the default
  when 9206 is missing, 3 = ISO 8859-15 in GDT 3.0 (inSuite ``gdt_v_30``: "ASCII (german)",
  "Code page 437", "ISO 8859-15"). For GDT 2.1, tools name 3 differently (inSuite: ISO
  8859-15; optigdt: ANSI code page 1252); Segmenta reads 3 as ISO 8859-15, which agrees
  with ISO 8859-1 and code page 1252 on every letter German names use, and bytes 0x80-0x9F
  (control codes in ISO 8859, never text) as code page 1252's letters; it writes ISO 8859-15.
- Record types: 6301 master data, 6302 request for a new examination, 6310 examination
  data (results), 6311 request to show examination data.
- Fields used: 8315/8316 GDT ids of receiver/sender, 3000 patient number, 3101 family name,
  3102 given name, 3103 birth date (TTMMJJJJ), 3110 sex (1 male, 2 female; the letters
  M, W, D, X, U are read too), 6200 date (TTMMJJJJ) and 6201 time (HHMMSS) of the
  examination, 8402 device- and procedure-specific code, 8310 request id, 6220 findings,
  6227 comment, 6228 result text lines, 0102/0103/0132 software maker, name and release.

Not verified (the official document was not available): whether GDT 3.0 still allows
records without objects; which object 6200/6201 belong to in a 6310 (Segmenta writes them
in ``Obj_Anforderung``, as gdt2dicom does); the longest line content a practice system
accepts (Segmenta wraps text at 70 characters); whether GDT 3.0 defines more values for
9206 than 1-3 (Segmenta refuses any other value, naming the field); the allowed 8402
values (configurable, default ``ALLG00``); 3110 codes other than 1 and 2. Write GDT 2.1
(``SEGMENTA_GDT_VERSION=02.10``) for a practice system that reads no objects.
"""
