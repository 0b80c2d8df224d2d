export { scrubText, scrubTextCore } from './scrub-text.ts';
export { scrubEvent, scrubEventCore, scrubValue } from './scrub-value.ts';
