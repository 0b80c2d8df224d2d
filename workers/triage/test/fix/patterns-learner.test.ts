import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import {
  LEARNING_RATE,
  RETIRE_BELOW,
  RETIRE_MIN_USES,
  recordPatternOutcome,
} from '../../src/fix/patterns/pattern-learner.ts';
import { getPattern } from '../../src/fix/patterns/pattern-store.ts';

/**
 * The learner (seed 001 "PatternLearner"; docs/architecture.md#defaults): EMA with α = 0.1, uses,
 * successes and failures counted, retirement under 0.5 after 10 uses, each outcome counted once,
 * and nothing at all outside production.
 */

const NOW = Date.parse('2026-11-21T09:00:00.000Z');
let n = 0;

async function freshPattern(confidence: number): Promise<string> {
  const id = `learned:learner-${++n}-${Math.random().toString(36).slice(2, 8)}`;
  await env.DB.prepare(
    `INSERT INTO fix_patterns (id, scope, error_type, message_template, frame_shape, transform,
       params, confidence, state, provenance, created_at, updated_at)
     VALUES (?1, 'acme/tab-tools', 'TypeError', 'x', '*', 'token-rewrite', '{}', ?2, 'active',
       'learned', ?3, ?3)`,
  )
    .bind(id, confidence, NOW)
    .run();
  return id;
}

/** The EMA as the seeds state it, in JS: the stored values must be exactly these doubles. */
function ema(start: number, outcomes: boolean[]): number[] {
  const out: number[] = [];
  let c = start;
  for (const s of outcomes) {
    c = 0.9 * c + 0.1 * (s ? 1 : 0);
    out.push(c);
  }
  return out;
}

describe('pattern learner', () => {
  test('constants are the seeds’: α 0.1, retire under 0.5 after 10 uses', ({ expect }) => {
    expect([LEARNING_RATE, RETIRE_BELOW, RETIRE_MIN_USES]).toEqual([0.1, 0.5, 10]);
  });

  test('EMA numbers exactly, with uses, successes and failures', async ({ expect }) => {
    const id = await freshPattern(0.9);
    const outcomes = [true, false, true, true, false];
    const expected = ema(0.9, outcomes);
    expect(expected.slice(0, 2)).toEqual([0.91, 0.9 * 0.91]);
    for (const [i, success] of outcomes.entries()) {
      const result = await recordPatternOutcome(env.DB, {
        patternId: id,
        outcomeId: `attempt:${id}:${i}`,
        success,
        env: 'production',
        now: NOW + i,
      });
      expect(result).toEqual({
        status: 'recorded',
        confidence: expected[i],
        uses: i + 1,
        successes: outcomes.slice(0, i + 1).filter(Boolean).length,
        failures: outcomes.slice(0, i + 1).filter((s) => !s).length,
        state: 'active',
        retired: false,
      });
    }
    expect(await getPattern(env.DB, id)).toMatchObject({
      confidence: expected[4],
      uses: 5,
      updated_at: NOW + 4,
    });
  });

  test('a redelivered outcome counts once', async ({ expect }) => {
    const id = await freshPattern(0.8);
    const input = {
      patternId: id,
      outcomeId: `attempt:${id}`,
      success: false,
      env: 'production' as const,
      now: NOW,
    };
    expect(await recordPatternOutcome(env.DB, input)).toMatchObject({
      status: 'recorded',
      uses: 1,
    });
    expect(await recordPatternOutcome(env.DB, input)).toEqual({ status: 'duplicate' });
    expect(await recordPatternOutcome(env.DB, { ...input, success: true })).toEqual({
      status: 'duplicate',
    });
    expect(await getPattern(env.DB, id)).toMatchObject({
      uses: 1,
      failures: 1,
      confidence: 0.9 * 0.8,
    });
  });

  test('retired at 10 uses under 0.5, not before', async ({ expect }) => {
    const id = await freshPattern(0.9);
    const curve = ema(0.9, Array(10).fill(false));
    // Under 0.5 from the 6th failure on, but retirement waits for the 10th use.
    expect(curve.findIndex((c) => c < 0.5)).toBe(5);
    for (let i = 0; i < 10; i++) {
      const result = await recordPatternOutcome(env.DB, {
        patternId: id,
        outcomeId: `attempt:${id}:${i}`,
        success: false,
        env: 'production',
        now: NOW,
      });
      expect(result).toMatchObject({
        status: 'recorded',
        uses: i + 1,
        confidence: curve[i],
        state: i === 9 ? 'retired' : 'active',
        retired: i === 9,
      });
    }
  });

  test('a pattern at 0.5 or more after 10 uses stays active', async ({ expect }) => {
    const id = await freshPattern(0.9);
    const outcomes = [false, false, true, false, true, false, true, false, true, true];
    const curve = ema(0.9, outcomes);
    expect(curve[9]).toBeGreaterThanOrEqual(0.5);
    let last: unknown;
    for (const [i, success] of outcomes.entries()) {
      last = await recordPatternOutcome(env.DB, {
        patternId: id,
        outcomeId: `o:${id}:${i}`,
        success,
        env: 'production',
      });
    }
    expect(last).toMatchObject({ state: 'active', uses: 10, confidence: curve[9] });
  });

  test('dev and test never learn; an unknown pattern is said so', async ({ expect }) => {
    const id = await freshPattern(0.8);
    for (const e of ['dev', 'test'] as const) {
      expect(
        await recordPatternOutcome(env.DB, {
          patternId: id,
          outcomeId: `x:${id}:${e}`,
          success: true,
          env: e,
        }),
      ).toEqual({ status: 'skipped_env', env: e });
    }
    expect(await getPattern(env.DB, id)).toMatchObject({ uses: 0, confidence: 0.8 });
    const { results } = await env.DB.prepare(
      'SELECT * FROM fix_pattern_outcomes WHERE pattern_id = ?1',
    )
      .bind(id)
      .all();
    expect(results).toEqual([]);
    expect(
      await recordPatternOutcome(env.DB, {
        patternId: 'learned:nope',
        outcomeId: 'x:nope',
        success: true,
        env: 'production',
      }),
    ).toEqual({ status: 'unknown_pattern' });
  });
});
