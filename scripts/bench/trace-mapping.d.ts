// The repository root resolves @jridgewell/trace-mapping to the 0.3.9 that tooling hoists, whose
// package.json "exports" hide its types (triage has its own typed 0.3.31). The two calls the fix
// bench's corpus check makes, as that version defines them.
declare module '@jridgewell/trace-mapping' {
  export class TraceMap {
    constructor(map: string | object, mapUrl?: string | null);
  }
  export function originalPositionFor(
    map: TraceMap,
    needle: { line: number; column: number },
  ): { source: string | null; line: number; column: number; name: string | null };
}
