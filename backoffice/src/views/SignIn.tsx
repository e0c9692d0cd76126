import { useState } from "preact/hooks";
import { signIn, SignInError } from "../auth";
import type { SiteConfig } from "../config";
import { navigate, safeNext } from "../router";

export function SignIn({ config, next, onSignedIn }: { config: SiteConfig; next: string; onSignedIn: () => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const expired = new URLSearchParams(location.search).get("expired") === "1";

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(config, email.trim(), password);
      onSignedIn();
      navigate(safeNext(next), true);
    } catch (exc) {
      setError(exc instanceof SignInError ? exc.message : "Sign-in failed; try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="signin">
      <form class="card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Arbiter back office</h1>
        {expired && (
          <p class="notice" role="status">
            Your session has ended. Sign in again to go back where you were.
          </p>
        )}
        <label>
          Email
          <input
            type="email"
            name="email"
            autocomplete="username"
            required
            value={email}
            onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        {config.environment === "local" && (
          <p class="muted small">Local demo: admin@, reviewer@ or viewer@arbiter.local, password arbiter-demo.</p>
        )}
      </form>
    </main>
  );
}
