import { benchMetrics, resetBenchMetrics } from './bench-metrics.ts';

/**
 * The bench's view of the Worker (issue 14, item 5): when `BENCH_METRICS` is "1", the Worker and
 * its Durable Objects see an `Env` whose bindings count what they cost — Durable Object calls,
 * D1 batches, statements and D1's own `rows_written`/`rows_read`, queue messages — and otherwise
 * the `Env` itself, untouched. Only the composition root (index.ts) applies it, so no production
 * module knows the counters exist.
 */

type DurableObjectClass<T> = new (ctx: DurableObjectState, env: Env) => T;

/** Bindings by what they are; the wrapper must not guess (an RPC stub answers every name). */
const NAMESPACES = ['RATE_LIMITER', 'FINGERPRINTS', 'RELEASE_HEALTH'] as const;
const DATABASES = ['DB'] as const;
const QUEUES = ['TRIAGE_QUEUE'] as const;

const wrapped = new WeakMap<Env, Env>();

export function benchEnv(env: Env): Env {
  if (env.BENCH_METRICS !== '1') return env;
  let view = wrapped.get(env);
  if (view === undefined) {
    const overrides: Partial<Record<keyof Env, unknown>> = {};
    for (const name of NAMESPACES) overrides[name] = countingNamespace(env[name]);
    for (const name of DATABASES) overrides[name] = countingDatabase(env[name]);
    for (const name of QUEUES) overrides[name] = countingQueue(env[name]);
    view = { ...env, ...overrides } as Env;
    wrapped.set(env, view);
  }
  return view;
}

/** The Worker's fetch handler, counting requests and seeing the bench's `Env`. */
export function benchFetch(
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>,
) {
  return (request: Request, env: Env, ctx: ExecutionContext) => {
    if (env.BENCH_METRICS !== '1') return fetch(request, env, ctx);
    if (!new URL(request.url).pathname.startsWith('/__bench/')) benchMetrics.requests++;
    return fetch(request, benchEnv(env), ctx);
  };
}

/**
 * A Durable Object class whose instances see the bench's `Env`, and whose SQLite storage counts
 * the rows it reads and writes (each cursor's `rowsRead` / `rowsWritten`).
 */
export function withBenchEnv<T>(Base: DurableObjectClass<T>): DurableObjectClass<T> {
  const Unbranded = Base as unknown as new (ctx: DurableObjectState, env: Env) => object;
  return class extends Unbranded {
    constructor(ctx: DurableObjectState, env: Env) {
      // The runtime insists on its own DurableObjectState, so its SQL handle is instrumented in
      // place rather than wrapped.
      if (env.BENCH_METRICS === '1') countRows(ctx.storage.sql);
      super(ctx, benchEnv(env));
    }
  } as unknown as DurableObjectClass<T>;
}

/** Starts a new measurement: counters at zero, earlier cursors forgotten. */
export function benchReset(): void {
  openCursors = [];
  resetBenchMetrics();
}

/** The counters, with the storage rows of cursors still open added in. */
export function benchSnapshot(): typeof benchMetrics {
  settleCursors();
  return benchMetrics;
}

/** Cursors not yet counted: a cursor's counts grow as it is read, so they are taken later. */
let openCursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];

function settleCursors(): void {
  for (const cursor of openCursors) {
    benchMetrics.doRowsRead += cursor.rowsRead;
    benchMetrics.doRowsWritten += cursor.rowsWritten;
  }
  openCursors = [];
}

function countRows(sql: SqlStorage): void {
  const exec = sql.exec.bind(sql);
  Object.defineProperty(sql, 'exec', {
    configurable: true,
    value: (query: string, ...bindings: unknown[]) => {
      // Code reads a cursor before it runs the next statement: count the earlier ones now.
      settleCursors();
      const cursor = exec(query, ...bindings);
      openCursors.push(cursor);
      return cursor;
    },
  });
}

function countingNamespace<T extends DurableObjectNamespace<Rpc.DurableObjectBranded>>(ns: T): T {
  const stubs = (stub: object) =>
    new Proxy(stub, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function' || prop === 'then') return value;
        return (...args: unknown[]) => {
          benchMetrics.doCalls++;
          if (prop === 'record') benchMetrics.events += recordedEvents(args[0]);
          return Reflect.apply(value, target, args);
        };
      },
    });
  return new Proxy(ns, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const fn = value as (...a: unknown[]) => unknown;
      if (prop === 'getByName' || prop === 'get') {
        return (...args: unknown[]) => stubs(Reflect.apply(fn, target, args) as object);
      }
      return (...args: unknown[]) => Reflect.apply(fn, target, args);
    },
  });
}

function recordedEvents(input: unknown): number {
  const events = (input as { events?: unknown } | null)?.events;
  return Array.isArray(events) ? events.length : 0;
}

function countResult(result: unknown): void {
  const meta = (result as { meta?: { rows_written?: number; rows_read?: number } } | null)?.meta;
  benchMetrics.d1RowsWritten += meta?.rows_written ?? 0;
  benchMetrics.d1RowsRead += meta?.rows_read ?? 0;
}

function countingDatabase(db: D1Database): D1Database {
  const originals = new WeakMap<object, D1PreparedStatement>();
  const statement = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        const fn = value as (...a: unknown[]) => unknown;
        if (prop === 'bind') {
          return (...args: unknown[]) =>
            statement(Reflect.apply(fn, target, args) as D1PreparedStatement);
        }
        if (prop === 'run' || prop === 'all') {
          return async (...args: unknown[]) => {
            const result = await Reflect.apply(fn, target, args);
            benchMetrics.d1Statements++;
            countResult(result);
            return result;
          };
        }
        return (...args: unknown[]) => Reflect.apply(fn, target, args);
      },
    });
    originals.set(proxy, stmt);
    return proxy;
  };
  return new Proxy(db, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const fn = value as (...a: unknown[]) => unknown;
      if (prop === 'prepare') {
        return (sql: string) => statement(Reflect.apply(fn, target, [sql]) as D1PreparedStatement);
      }
      if (prop === 'batch') {
        return async (statements: D1PreparedStatement[]) => {
          const results = (await Reflect.apply(fn, target, [
            statements.map((s) => originals.get(s) ?? s),
          ])) as unknown[];
          benchMetrics.d1Batches++;
          benchMetrics.d1Statements += statements.length;
          for (const r of results) countResult(r);
          return results;
        };
      }
      return (...args: unknown[]) => Reflect.apply(fn, target, args);
    },
  });
}

function countingQueue(queue: Queue): Queue {
  return new Proxy(queue, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const fn = value as (...a: unknown[]) => unknown;
      if (prop === 'send') {
        return async (...args: unknown[]) => {
          const result = await Reflect.apply(fn, target, args);
          benchMetrics.queueMessages++;
          return result;
        };
      }
      if (prop === 'sendBatch') {
        return async (messages: unknown[], ...rest: unknown[]) => {
          const result = await Reflect.apply(fn, target, [messages, ...rest]);
          benchMetrics.queueMessages += messages.length;
          return result;
        };
      }
      return (...args: unknown[]) => Reflect.apply(fn, target, args);
    },
  });
}
