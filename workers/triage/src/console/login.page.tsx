/** @jsxImportSource hono/jsx */

export function LoginForm(props: { csrf: string; next: string; failed: boolean }) {
  return (
    <form method="post" action="/console/login">
      {props.failed ? (
        <p class="bad" role="alert">
          That token is not valid.
        </p>
      ) : null}
      <input type="hidden" name="csrf" value={props.csrf} />
      <input type="hidden" name="next" value={props.next} />
      <label>
        Admin token <input type="password" name="token" autocomplete="current-password" required />
      </label>{' '}
      <button type="submit">Log in</button>
    </form>
  );
}

export function Denied(props: { why: 'disabled' | 'access' }) {
  return props.why === 'disabled' ? (
    <p>
      The console is off: configure Cloudflare Access (<code>console.access</code> in the config) or
      set the <code>ADMIN_TOKEN</code> secret.
    </p>
  ) : (
    <p>A valid Cloudflare Access login is required.</p>
  );
}
