import { breadcrumbsIntegration } from '@homeostat/extension-sdk/breadcrumbs';
import { init, wrap } from '@homeostat/extension-sdk/relay';

// Nothing of the page is patched: the SDK listens in this isolated world and relays to the
// service worker (breadcrumbs here are messages only). `wrap` covers the callbacks the content
// script hands to the page's DOM.
init({ integrations: (defaults) => [...defaults, breadcrumbsIntegration()] });

/** Reads a price the page is expected to show; throws a TypeError when it is missing. */
function readPrice(): number {
  const price = document.querySelector<HTMLElement>('[data-price]');
  return Number((price as HTMLElement).dataset.price);
}

// The page (or a test) asks for a scan by event; the handler runs in this isolated world.
document.addEventListener(
  'homeostat-demo:scan',
  wrap(() => {
    document.documentElement.dataset.homeostatDemoPrice = String(readPrice());
  }),
);

// An uncaught error of the content script itself, outside any wrapped callback.
document.addEventListener('homeostat-demo:later', () => {
  setTimeout(function checkoutWatcher() {
    throw new RangeError(`Checkout watcher gave up after ${document.title.length} polls`);
  });
});

document.documentElement.dataset.homeostatDemo = 'ready';
