import { useState } from "preact/hooks";
import { answerCode, type Challenge, chooseNewPassword, otpauthUri, signIn, SignInError, type SignInStep } from "../auth";
import type { SiteConfig } from "../config";
import { navigate, safeNext } from "../router";

const TITLES: Record<Challenge["name"], string> = {
  NEW_PASSWORD_REQUIRED: "Choose your password",
  MFA_SETUP: "Set up your authenticator app",
  TOTP_ENROLL: "Set up your authenticator app",
  SOFTWARE_TOKEN_MFA: "Two-step sign-in",
};

export function SignIn({ config, next, onSignedIn }: { config: SiteConfig; next: string; onSignedIn: () => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [code, setCode] = useState("");
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const expired = new URLSearchParams(location.search).get("expired") === "1";

  async function step(call: () => Promise<SignInStep>) {
    setBusy(true);
    setError(null);
    try {
      const result = await call();
      if ("session" in result) {
        onSignedIn();
        navigate(safeNext(next), true);
      } else {
        setChallenge(result.challenge);
        setCode("");
      }
    } catch (exc) {
      setError(exc instanceof SignInError ? exc.message : "Sign-in failed; try again.");
    } finally {
      setBusy(false);
    }
  }

  function submit(event: Event) {
    event.preventDefault();
    if (!challenge) return void step(() => signIn(config, email.trim(), password));
    if (challenge.name === "NEW_PASSWORD_REQUIRED") return void step(() => chooseNewPassword(config, challenge, newPassword));
    return void step(() => answerCode(config, challenge, code.trim()));
  }

  const title = challenge ? TITLES[challenge.name] : "Arbiter back office";
  return (
    <main class="signin">
      <form class="card" onSubmit={submit} aria-labelledby="signin-title" data-step={challenge?.name ?? "password"}>
        <h1 id="signin-title">{title}</h1>
        {expired && !challenge && (
          <p class="notice" role="status">
            Your session has ended. Sign in again to go back where you were.
          </p>
        )}
        {!challenge && (
          <>
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
          </>
        )}
        {challenge?.name === "NEW_PASSWORD_REQUIRED" && (
          <>
            <p>Your account was created with a temporary password. Choose your own to go on.</p>
            <label>
              New password
              <input
                type="password"
                name="new-password"
                autocomplete="new-password"
                required
                value={newPassword}
                onInput={(e) => setNewPassword((e.target as HTMLInputElement).value)}
              />
            </label>
          </>
        )}
        {(challenge?.name === "MFA_SETUP" || challenge?.name === "TOTP_ENROLL") && (
          <>
            <p>
              Add Arbiter to your authenticator app (Google Authenticator, 1Password, Authy…) with this key, then enter
              the six-digit code it shows. You will be asked for a code each time you sign in.
            </p>
            <p>
              Key: <code data-testid="totp-secret">{challenge.secret}</code>
            </p>
            <p class="muted small">
              Or open <a href={otpauthUri(challenge)}>this link</a> on the device that has the app.
            </p>
          </>
        )}
        {challenge && challenge.name !== "NEW_PASSWORD_REQUIRED" && (
          <label>
            Authenticator code
            <input
              type="text"
              name="code"
              inputMode="numeric"
              autocomplete="one-time-code"
              pattern="[0-9]{6}"
              required
              value={code}
              onInput={(e) => setCode((e.target as HTMLInputElement).value)}
            />
          </label>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : challenge ? "Continue" : "Sign in"}
        </button>
        {config.environment === "local" && !challenge && (
          <p class="muted small">Local demo: admin@, reviewer@ or viewer@arbiter.local, password arbiter-demo.</p>
        )}
      </form>
    </main>
  );
}
