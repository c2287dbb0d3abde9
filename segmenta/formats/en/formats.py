"""English pages keep the ISO dates (2026-03-01) and 24-hour times of their tables and
lists, which templates ask for as SHORT_DATE_FORMAT and SHORT_DATETIME_FORMAT; German and
Spanish pages get Django's own formats for those (01.03.2026, 01/03/2026). Everything not
set here is Django's English format."""

SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
