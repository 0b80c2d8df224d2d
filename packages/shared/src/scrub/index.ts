// Filled in by the PII scrubber work (issue 3).
export {};
