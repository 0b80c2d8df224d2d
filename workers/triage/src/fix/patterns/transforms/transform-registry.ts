import { catchNoTabTransform } from './catch-no-tab.transform.ts';
import { catchReceivingEndTransform } from './catch-receiving-end.transform.ts';
import { contextInvalidatedGuardTransform } from './context-invalidated-guard.transform.ts';
import { destructureDefaultTransform } from './destructure-default.transform.ts';
import { jsonParseGuardTransform } from './json-parse-guard.transform.ts';
import { lastErrorCheckTransform } from './last-error-check.transform.ts';
import { listenerRejectionCatchTransform } from './listener-rejection-catch.transform.ts';
import { optionalCallTransform } from './optional-call.transform.ts';
import { optionalChainTransform } from './optional-chain.transform.ts';
import { storageQuotaFallbackTransform } from './storage-quota-fallback.transform.ts';
import { tokenRewriteTransform } from './token-rewrite.transform.ts';
import type { PatternTransform, TransformId } from './transform.types.ts';

/** The closed set of transforms a stored pattern may name (`fix_patterns.transform`). */
export const TRANSFORMS: Readonly<Record<TransformId, PatternTransform>> = {
  'optional-chain': optionalChainTransform,
  'json-parse-guard': jsonParseGuardTransform,
  'last-error-check': lastErrorCheckTransform,
  'catch-receiving-end': catchReceivingEndTransform,
  'catch-no-tab': catchNoTabTransform,
  'storage-quota-fallback': storageQuotaFallbackTransform,
  'context-invalidated-guard': contextInvalidatedGuardTransform,
  'listener-rejection-catch': listenerRejectionCatchTransform,
  'optional-call': optionalCallTransform,
  'destructure-default': destructureDefaultTransform,
  'token-rewrite': tokenRewriteTransform,
};
