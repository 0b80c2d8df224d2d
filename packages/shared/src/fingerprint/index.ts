export {
  normalizeFramePath,
  parseStack,
  type StackFrame,
} from '../stack/parse-stack.ts';
export {
  computeFingerprint,
  FINGERPRINT_VERSION,
  type FingerprintInput,
  type FingerprintResult,
  fingerprintOf,
} from './compute-fingerprint.ts';
export { parameterizeMessage } from './parameterize.ts';
