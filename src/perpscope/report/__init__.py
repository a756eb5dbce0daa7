"""Market reports: ``perpscope report`` and :meth:`perpscope.api.Perpscope.report` (docs/report.md).

:func:`gather` computes every figure into a :class:`ReportData`; :func:`write_report` adds the sentences, the
charts and the Markdown and HTML pages.
"""

from perpscope.report.build import gather
from perpscope.report.data import ReportData
from perpscope.report.render import ReportFiles, write_report

__all__ = ["ReportData", "ReportFiles", "gather", "write_report"]
