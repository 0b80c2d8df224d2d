import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { UploadError, uploadReport } from './lib/test-report-upload.ts';

const USAGE = `usage: npm run report-tests -- <report.json> [--url URL] [--key KEY] [--sha SHA] [--version V]
  <report.json>  a Playwright JSON report (reporter: [['json', { outputFile: 'report.json' }]])
  --url          the ingest Worker (default $HOMEOSTAT_INGEST_URL, else http://127.0.0.1:8787)
  --key          a public ingest key of the extension (default $HOMEOSTAT_INGEST_KEY)
  --sha          the commit tested (default $GITHUB_SHA, $CI_COMMIT_SHA or $GIT_COMMIT, else the
                 report's own git metadata)
  --version      the extension version tested (default: none, counted as 0)`;

/** Reports are read whole; far above any real one (Playwright writes megabytes at most). */
const MAX_REPORT_BYTES = 64 * 1024 * 1024;

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : err}\n${USAGE}`);
    return 2;
  }
  const [file] = args.positionals;
  const key = args.values.key ?? process.env.HOMEOSTAT_INGEST_KEY;
  if (args.values.help || file === undefined || key === undefined || key === '') {
    console.error(USAGE);
    return args.values.help ? 0 : 2;
  }
  const sha =
    args.values.sha ??
    process.env.GITHUB_SHA ??
    process.env.CI_COMMIT_SHA ??
    process.env.GIT_COMMIT;
  let raw: unknown;
  try {
    if ((await stat(file)).size > MAX_REPORT_BYTES) throw new Error('larger than 64 MiB');
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    console.error(`report-tests: cannot read ${file}: ${err instanceof Error ? err.message : err}`);
    return 1;
  }
  try {
    const summary = await uploadReport(raw, {
      url: args.values.url ?? process.env.HOMEOSTAT_INGEST_URL ?? 'http://127.0.0.1:8787',
      key,
      ...(sha ? { sha } : {}),
      ...(args.values.version ? { version: args.values.version } : {}),
    });
    const { counts } = summary;
    console.log(
      `report-tests: ${summary.failures} failed test(s) sent in ${summary.parts} request(s)` +
        ` for commit ${summary.commit ?? 'unknown'}: ${counts.new} new, ${counts.known} known,` +
        ` ${counts.duplicate} duplicate, ${counts.rate_limited} rate-limited`,
    );
    return counts.rate_limited > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof UploadError) {
      console.error(`report-tests: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      sha: { type: 'string' },
      version: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

process.exitCode = await main();
