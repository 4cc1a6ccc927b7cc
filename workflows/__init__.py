"""The process layer: BPMN/DMN/edition files and the engine adapter (no Flask, no database)."""
