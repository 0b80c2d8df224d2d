export { scrubText } from './scrub-text.ts';
export { SCRUB_MAX_DEPTH, scrubEvent, scrubValue } from './scrub-value.ts';
