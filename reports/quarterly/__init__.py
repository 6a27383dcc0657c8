"""The quarterly survey report (季度摸排报告): built once, rendered as a page, a print view and a workbook."""
