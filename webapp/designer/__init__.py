"""Process designers' slice: drafts of the BPMN/DMN edited in the browser, checked with the deploy's own
validation, and deployed from the draft; and the running cases' failed steps (repairs.py: the errors page, retry,
suspend/resume/terminate). Its routes, operations, model and templates live together here."""
