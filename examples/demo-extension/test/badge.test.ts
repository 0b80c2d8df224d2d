import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unreadBadge } from '../src/badge.ts';

test('counts unread items across feeds, capped at 99+', () => {
  assert.equal(unreadBadge([2, 3]), '5');
  assert.equal(unreadBadge([60, 60]), '99+');
});

test('no unread items shows no badge', () => {
  assert.equal(unreadBadge([0, 0]), '');
});
