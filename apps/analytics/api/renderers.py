"""CSV for every analytics endpoint (`?format=csv`): the response's `results` rows, flattened."""

from __future__ import annotations

import csv
import io
from typing import Any

from rest_framework.renderers import BaseRenderer


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: dict | None = None):
        rows = data.get("results", [data]) if isinstance(data, dict) else list(data or [])
        view = (renderer_context or {}).get("view")
        columns = list(rows[0]) if rows else getattr(view, "csv_columns", list)()
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        # Always a header line: an empty body would lose its Content-Type on the way out.
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
        return out.getvalue().encode(self.charset) or b"\n"
