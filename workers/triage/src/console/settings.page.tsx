/** @jsxImportSource hono/jsx */
import { type HomeostatConfig, hasSecret } from '@homeostat/shared';

/**
 * The validated config (it holds no secrets by construction: the schema refuses secret-shaped
 * values) and, for each secret the Workers read, only whether it is set.
 */
export function SettingsPage(props: {
  config: HomeostatConfig;
  env: Record<string, unknown>;
  authMode: string;
}) {
  const secretNames = [
    'GITHUB_TOKEN',
    'GITHUB_APP_PRIVATE_KEY',
    'GITHUB_WEBHOOK_SECRET',
    'ADMIN_TOKEN',
    ...props.config.models.providers.map((p) => p.apiKeySecret),
  ];
  const unique = [...new Set(secretNames)];
  return (
    <>
      <h2>Secrets (triage)</h2>
      <table>
        <tbody>
          {unique.map((name) => (
            <tr>
              <td>
                <code>{name}</code>
              </td>
              <td class={hasSecret(props.env[name]) ? 'ok' : 'muted'}>
                {hasSecret(props.env[name]) ? 'set' : 'unset'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted">Console access: {props.authMode}</p>
      <h2>Configuration (validated, defaults filled in)</h2>
      <pre>{JSON.stringify(props.config, null, 2)}</pre>
    </>
  );
}
