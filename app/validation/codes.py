"""Code lists the rules compare with, as frozensets built once at import."""

from __future__ import annotations

from typing import Final

_VAT_PREFIXES_TEXT: Final = """
    1A AD AE AF AG AI AL AM AN AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BL BJ
    BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX
    CY CZ DE DJ DK DM DO DZ EC EE EG EH EL ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG
    GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS
    IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA
    MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI
    NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA
    SB SC SD SE SG SH SI SJ SK SL SM SN SO SR ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM
    TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XI YE YT ZA ZM ZW
    """
VAT_PREFIXES: Final = frozenset(_VAT_PREFIXES_TEXT.split())
"""BR-CO-09: ISO 3166-1 alpha-2 codes plus EL (Greece), XI (Northern Ireland) and 1A (Kosovo),
as the CEN artefacts list them."""

_EXTENSIONS_TEXT: Final = """
    bmp gif fax odt ppt tiff xls bz2 gz jpeg p7s rtf txt xml csv gzip jpg pdf svg xhtml xlsx
    doc htm odp png tgz xlc zip docx html ods pps tif xlm pptx
    """
ATTACHMENT_EXTENSIONS: Final = frozenset(_EXTENSIONS_TEXT.split())
"""Attachment extensions Chorus Pro takes (API.md 5.4), lower case."""
