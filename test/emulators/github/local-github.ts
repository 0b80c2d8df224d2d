import { addDirectoryRepo } from './directory-repo.ts';
import type { EmulatorOptions } from './github-emulator.ts';
import { type GitHubServer, startGitHubServer } from './github-server.ts';
import { LocalCi, type LocalCiOptions } from './local-ci.ts';
import { WebhookSender, type WebhookSenderOptions } from './webhook-sender.ts';

/**
 * The whole local GitHub of the closed loop (issue 10, item 7) in one call: the emulator on a
 * port (give its `url` to the stack as `github.apiBaseUrl`), directories served as repositories,
 * the local CI, and — once the stack's webhook URL is known — signed deliveries of every event to
 * it. `settle()` waits until nothing is left to run or deliver (a delivery can make the receiver
 * call the API, which can queue a CI run, whose result is delivered in turn).
 */

export interface LocalGitHub extends GitHubServer {
  ci: LocalCi | null;
  /** Head commit SHA of each repository added from a directory, by slug. */
  repos: Record<string, string>;
  /** Starts delivering every event from now on to `url`; returns the sender (its log). */
  deliverTo(url: string, secret: string, options?: Partial<WebhookSenderOptions>): WebhookSender;
  settle(): Promise<void>;
}

export async function startLocalGitHub(
  options: Omit<EmulatorOptions, 'baseUrl'> & {
    /** Repositories to serve: slug → directory. */
    repos?: Record<string, string>;
    /** The CI's options, or false for none. */
    ci?: LocalCiOptions | false;
  } = {},
): Promise<LocalGitHub> {
  const { repos = {}, ci: ciOptions = {}, ...emulatorOptions } = options;
  const server = await startGitHubServer(emulatorOptions);
  const heads: Record<string, string> = {};
  for (const [slug, dir] of Object.entries(repos)) {
    heads[slug] = (await addDirectoryRepo(server.emulator, slug, dir)).sha;
  }
  const ci = ciOptions === false ? null : new LocalCi(server.emulator, ciOptions).start();
  const senders: WebhookSender[] = [];
  const stops: (() => void)[] = [];
  return {
    ...server,
    ci,
    repos: heads,
    deliverTo(url, secret, more = {}) {
      const sender = new WebhookSender({ ...more, url, secret });
      stops.push(sender.attach(server.emulator));
      senders.push(sender);
      return sender;
    },
    async settle() {
      const activity = () =>
        server.emulator.requests.length +
        senders.reduce((n, s) => n + s.deliveries.length, 0) +
        (ci?.runs.length ?? 0);
      let before: number;
      do {
        before = activity();
        await ci?.idle();
        for (const sender of senders) await sender.idle();
      } while (activity() !== before);
    },
    async close() {
      ci?.stop();
      for (const stop of stops) stop();
      await server.close();
    },
  };
}
