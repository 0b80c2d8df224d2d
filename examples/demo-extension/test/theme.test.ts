import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accentColour, type Settings } from '../src/theme.ts';

test('the saved accent colour is used', () => {
  assert.equal(accentColour({ theme: { accent: '#0a7' } }), '#0a7');
});

test('a profile without saved settings does not break the popup', () => {
  assert.doesNotThrow(() => accentColour({} as Settings));
});
