/**
 * The unread count shown on the toolbar badge, capped at "99+". With no feeds at all this throws
 * ("Reduce of empty array with no initial value"): a bug no built-in pattern knows, which only a
 * model can fix, kept in the demo so the local loop can show a model fix and a failed one.
 */
export function unreadBadge(unreadPerFeed: number[]): string {
  const total = unreadPerFeed.reduce((sum, n) => sum + n);
  if (total === 0) return '';
  return total > 99 ? '99+' : String(total);
}
