/**
 * The JSON reporter's output types of @playwright/test 1.65.1, vendored so the zod schema beside
 * them can be checked against the published declarations (issue 13, item 2) without adding
 * Playwright Test to the project. Source: npm package `playwright@1.65.1`, files
 * `types/testReporter.d.ts` (JSONReport, JSONReportSuite, JSONReportSpec, JSONReportTest,
 * JSONReportError, JSONReportTestResult, JSONReportTestStep, JSONReportSTDIOEntry, TestError) and
 * `types/test.d.ts` (TestStatus, TestAnnotation, TestDetailsAnnotation, Location, Metadata);
 * github.com/microsoft/playwright, packages/playwright/types/. Copyright (c) Microsoft
 * Corporation, Apache License 2.0 (http://www.apache.org/licenses/LICENSE-2.0).
 *
 * One elision: `JSONReport.config` is `Omit<FullConfig, 'projects'> & { projects: … }` upstream;
 * FullConfig's ~30 other fields (reporters, web server, grep, …) are reduced to the ones read
 * here plus an index signature. Everything else is verbatim.
 */

// biome-ignore lint/suspicious/noExplicitAny: verbatim upstream (`test.d.ts`: Metadata).
export type Metadata = { [key: string]: any };

export type TestStatus = 'passed' | 'failed' | 'timedOut' | 'skipped' | 'interrupted';

export type TestDetailsAnnotation = {
  type: string;
  description?: string;
};

export type TestAnnotation = TestDetailsAnnotation & {
  location?: Location;
};

export interface Location {
  column: number;
  file: string;
  line: number;
}

export interface TestError {
  cause?: TestError;
  location?: Location;
  message?: string;
  snippet?: string;
  stack?: string;
  value?: string;
}

/** Upstream: `Omit<FullConfig, 'projects'>`, reduced (see above). */
export interface JSONReportConfig {
  configFile?: string;
  rootDir: string;
  metadata: Metadata;
  version: string;
  [key: string]: unknown;
}

export interface JSONReport {
  config: JSONReportConfig & {
    projects: {
      outputDir: string;
      repeatEach: number;
      retries: number;
      metadata: Metadata;
      id: string;
      name: string;
      testDir: string;
      testIgnore: string[];
      testMatch: string[];
      timeout: number;
    }[];
  };
  suites: JSONReportSuite[];
  errors: TestError[];
  stats: {
    startTime: string; // Date in ISO 8601 format.
    duration: number; // In milliseconds;
    expected: number;
    unexpected: number;
    flaky: number;
    skipped: number;
  };
}

export interface JSONReportSuite {
  title: string;
  file: string;
  column: number;
  line: number;
  specs: JSONReportSpec[];
  suites?: JSONReportSuite[];
}

export interface JSONReportSpec {
  tags: string[];
  title: string;
  ok: boolean;
  tests: JSONReportTest[];
  id: string;
  file: string;
  line: number;
  column: number;
}

export interface JSONReportTest {
  timeout: number;
  annotations: TestAnnotation[];
  expectedStatus: TestStatus;
  projectName: string;
  projectId: string;
  results: JSONReportTestResult[];
  status: 'skipped' | 'expected' | 'unexpected' | 'flaky';
}

export interface JSONReportError {
  message: string;
  location?: Location;
}

export interface JSONReportTestResult {
  workerIndex: number;
  parallelIndex: number;
  shardIndex?: number;
  status: TestStatus | undefined;
  duration: number;
  error: TestError | undefined;
  errors: JSONReportError[];
  stdout: JSONReportSTDIOEntry[];
  stderr: JSONReportSTDIOEntry[];
  retry: number;
  steps?: JSONReportTestStep[];
  startTime: string; // Date in ISO 8601 format.
  attachments: {
    name: string;
    path?: string;
    body?: string;
    contentType: string;
  }[];
  annotations: TestAnnotation[];
  errorLocation?: Location;
}

export interface JSONReportTestStep {
  title: string;
  subtitle?: string;
  duration: number;
  error: TestError | undefined;
  steps?: JSONReportTestStep[];
}

export type JSONReportSTDIOEntry = { text: string } | { buffer: string };
