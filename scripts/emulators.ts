import { SANDBOX, startSandbox } from './lib/sandbox.ts';

/**
 * `npm run emulators`: the sandbox's emulated GitHub, model provider and Chrome Web Store on
 * 127.0.0.1, standalone, for anyone who wants to point a stack of their own at them. Prints the
 * config file it wrote and every credential the emulators accept; Ctrl-C stops them.
 */
const sandbox = await startSandbox();
const lines = [
  `GitHub API      ${sandbox.github.url}   token ${SANDBOX.githubToken}`,
  `  repository    ${SANDBOX.slug} (the demo extension; a CI runs its npm test on every push)`,
  `  webhooks      none yet: the demo delivers them signed with ${SANDBOX.webhookSecret}`,
  `model (OpenAI)  ${sandbox.model.baseUrl}   key ${SANDBOX.modelKey}`,
  `Chrome Web Store ${sandbox.store.baseUrl}   OAuth ${sandbox.store.tokenUrl}`,
  `  client        ${SANDBOX.cws.clientId} / ${SANDBOX.cws.clientSecret} / refresh ${SANDBOX.cws.refreshToken}`,
  `  item          ${SANDBOX.extensionId} (publisher ${SANDBOX.publisherId}), ${SANDBOX.version} live`,
  `config          ${sandbox.configFile}`,
  `                npm start -- --config ${sandbox.configFile}  (set the tokens above as .dev.vars)`,
];
for (const line of lines) console.log(`emulators: ${line}`);
console.log('emulators: running; Ctrl-C stops them');
await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
await sandbox.close();
