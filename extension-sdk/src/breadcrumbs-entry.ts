/**
 * `@homeostat/extension-sdk/breadcrumbs`: console, navigation and message breadcrumbs, for the
 * service worker, pages and content scripts alike. Optional, as sentry-javascript's integrations
 * are, so that the core stays small.
 * @example
 * import { breadcrumbsIntegration } from '@homeostat/extension-sdk/breadcrumbs';
 * init({ …, integrations: (defaults) => [...defaults, breadcrumbsIntegration()] });
 */
export { type BreadcrumbsOptions, breadcrumbsIntegration } from './integrations/breadcrumbs.ts';
