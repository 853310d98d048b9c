"""IAM credential report: the format as AWS writes it, parsing and analysis.

Pure functions over text and data; no AWS access here (see wizard.aws for that).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

# The columns AWS writes, in order. Columns are looked up by name when reading.
REPORT_COLUMNS: tuple[str, ...] = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)

ROOT_USER = "<root_account>"
NOT_SUPPORTED = "not_supported"
NO_INFORMATION = "no_information"
NA = "N/A"


def format_report_csv(rows: Iterable[Mapping[str, str]]) -> str:
    """Write rows (dicts keyed by REPORT_COLUMNS) as AWS does: header line, one line a
    row, ``\\n`` line ends, no trailing quoting beyond what CSV needs."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REPORT_COLUMNS, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()
