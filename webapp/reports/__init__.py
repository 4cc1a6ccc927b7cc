"""Reports to the ministry: an edition's figures per country (edition_report), as a page, an Excel workbook
(excel) and the hours ledger as CSV (ledger_csv)."""
