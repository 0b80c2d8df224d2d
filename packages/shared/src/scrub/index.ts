export { scrubText } from './scrub-text.ts';
export { scrubEvent, scrubValue } from './scrub-value.ts';
