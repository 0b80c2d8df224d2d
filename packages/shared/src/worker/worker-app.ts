import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isPublicError } from './public-error.ts';

/** The JSON error body every Homeostat Worker answers with. */
export interface ErrorBody {
  error: { code: string; message: string; issues?: { path: string; code: string }[] };
}

/**
 * The one place where errors become responses. Expected errors keep their status and safe
 * message; anything else is logged by name only (its message may carry request data) and
 * answered with a generic 500.
 */
export function errorResponse(err: unknown): Response {
  if (isPublicError(err)) {
    const headers: Record<string, string> = {};
    if (err.retryAfterSeconds !== undefined) {
      headers['retry-after'] = String(Math.max(0, Math.ceil(err.retryAfterSeconds)));
    }
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err.issues !== undefined) body.error.issues = [...err.issues];
    return Response.json(body, { status: err.httpStatus as ContentfulStatusCode, headers });
  }
  console.error('unhandled error', err instanceof Error ? err.name : typeof err);
  const body: ErrorBody = { error: { code: 'internal', message: 'internal error' } };
  return Response.json(body, { status: 500 });
}

/** A Hono app with Homeostat's not-found and error handling already in place. */
export function createWorkerApp<Bindings extends object>(): Hono<{ Bindings: Bindings }> {
  const app = new Hono<{ Bindings: Bindings }>();
  app.notFound(() => {
    const body: ErrorBody = { error: { code: 'not_found', message: 'no such route' } };
    return Response.json(body, { status: 404 });
  });
  app.onError((err) => errorResponse(err));
  return app;
}
