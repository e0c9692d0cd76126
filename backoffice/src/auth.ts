/** Sign-in against Cognito (InitiateAuth, USER_PASSWORD_AUTH) and the session kept for this browser tab. */
import type { SiteConfig } from "./config";

export interface Session {
  idToken: string;
  email: string;
  expiresAt: number; // epoch milliseconds
}

const KEY = "arbiter.session";

export class SignInError extends Error {}

function claims(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
  return JSON.parse(json) as Record<string, unknown>;
}

function cognitoEndpoint(config: SiteConfig): string {
  return config.cognito.endpoint || `https://cognito-idp.${config.region}.amazonaws.com/`;
}

export async function signIn(config: SiteConfig, email: string, password: string): Promise<Session> {
  let response: Response;
  try {
    response = await fetch(cognitoEndpoint(config), {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
      },
      body: JSON.stringify({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: config.cognito.clientId,
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }),
    });
  } catch {
    throw new SignInError("The sign-in service cannot be reached. Check your connection and try again.");
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, any>;
  if (!response.ok) {
    const kind = String(body.__type ?? "").split("#").pop();
    if (kind === "NotAuthorizedException" || kind === "UserNotFoundException")
      throw new SignInError("Wrong email or password.");
    throw new SignInError(body.message || `Sign-in failed (${response.status}).`);
  }
  if (body.ChallengeName) {
    throw new SignInError(`Your account needs an extra step (${body.ChallengeName}); ask an administrator.`);
  }
  const idToken = body.AuthenticationResult?.IdToken as string | undefined;
  if (!idToken) throw new SignInError("Sign-in answered without a token.");
  const exp = Number(claims(idToken).exp ?? 0) * 1000;
  const session: Session = { idToken, email, expiresAt: exp || Date.now() + 3600_000 };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

/** The current session, or null when there is none or it has expired. */
export function currentSession(): Session | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    const session = JSON.parse(raw) as Session;
    if (!session.idToken || session.expiresAt <= Date.now()) return null;
    return session;
  } catch {
    return null;
  }
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}
