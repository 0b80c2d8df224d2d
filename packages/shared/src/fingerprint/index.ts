// Filled in by the stack parsing and fingerprinting work (issue 3).
export {};
