import type { Surface } from '@homeostat/shared';

/**
 * The fixer's contracts (issue 9; docs/architecture.md#the-fixer): what each stage hands the next.
 *
 *   RepoSnapshot (source/) ─┐
 *   source maps (sourcemap/) ┴→ localize (localize/) → FixContext
 *   FixContext → patterns (patterns/) | model (model/) → Candidate
 *   Candidate → guardrails (guardrails/) → GuardrailVerdict → (issue 10) branch, commit, PR
 *
 * Every path here is a repository path: relative, '/'-separated, no leading '/', no '..'.
 */

/** One file of the repository at the snapshot's commit. */
export interface SourceFile {
  path: string;
  content: string;
  /** The git blob SHA GitHub reported (the same content has the same SHA). */
  blobSha: string;
}

export type ReadFailure = 'not_found' | 'outside_repo' | 'too_large' | 'binary' | 'not_a_file';

export type ReadOutcome = { ok: true; file: SourceFile } | { ok: false; reason: ReadFailure };

/** Read access to one repository at one commit (the default branch's head when it was taken). */
export interface RepoSnapshot {
  readonly repo: string;
  readonly commitSha: string;
  /** Every blob path of the tree at `commitSha`. */
  paths(): readonly string[];
  read(path: string): Promise<ReadOutcome>;
}

/** A stack frame after source-map and source-root resolution. */
export interface ResolvedFrame {
  function: string | null;
  /** Repository path of the original source. */
  path: string;
  /** 1-based line in the original source. */
  line: number;
  /** 1-based column in the original source, when known. */
  column: number | null;
  via: 'source_map' | 'source_roots';
}

export interface CodeWindow {
  path: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  text: string;
}

export type ContextFileRole = 'frame' | 'import' | 'test';

/**
 * Everything a candidate may be built from, deterministic and bounded (issue 9, item 3). The event
 * is the scrubbed sample: attacker-controlled text that stays data (never instructions).
 */
export interface FixContext {
  repo: string;
  commitSha: string;
  extensionId: string;
  fingerprint: string;
  event: {
    type: string;
    message: string;
    stack: string | null;
    surface: Surface;
    version: string;
    /**
     * The SDK's `mechanism` tag when the sample had one (e.g. 'onunhandledrejection',
     * 'chrome.runtime.lastError'): the pattern library only treats an error as an unhandled
     * rejection on that evidence or on the code's own structure (patterns/, issue 9 item 4).
     */
    mechanism?: string | null;
  };
  evidence: {
    title: string;
    culprit: string | null;
    events: number;
    installs: number;
    versions: string[];
    surfaces: Surface[];
    firstSeen: number;
    lastSeen: number;
  };
  /** In-app frames, innermost first. */
  frames: ResolvedFrame[];
  /** The innermost in-app frame: where the fix most likely belongs. */
  culprit: ResolvedFrame | null;
  /** Files read for the context, by path. */
  files: Record<string, SourceFile & { role: ContextFileRole }>;
  windows: CodeWindow[];
  /**
   * The files a candidate may change: the in-app frames' files, their direct imports and their
   * tests, already filtered by the repository's `paths.include/exclude`. Guardrails enforce it.
   */
  editablePaths: string[];
}

/** One SEARCH/REPLACE edit (docs/architecture.md#model-output-format). */
export interface FileEdit {
  path: string;
  search: string;
  replace: string;
}

export type CandidateSource =
  | { kind: 'pattern'; patternId: string; confidence: number; fuzzy: boolean }
  | {
      kind: 'model';
      provider: string;
      model: string;
      /** Rows of fix_model_calls this candidate cost. */
      callIds: number[];
      /** Candidates that normalised to this same diff, of how many well-formed ones. */
      votes: number;
      of: number;
      costUsd: number;
      inputTokens: number;
      outputTokens: number;
    };

export interface FileChange {
  path: string;
  before: string;
  after: string;
}

/** A proposed change, before guardrails. */
export interface Candidate {
  source: CandidateSource;
  changes: FileChange[];
  /** One line written by Homeostat (never model prose): what the change does. */
  summary: string;
}
