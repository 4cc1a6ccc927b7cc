"""Process designers' slice: drafts of the BPMN/DMN edited in the browser, checked with the deploy's own
validation, and deployed from the draft. Its routes, operations, model and templates live together here."""
