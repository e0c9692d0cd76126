/**
 * Sign-in against Cognito (InitiateAuth, USER_PASSWORD_AUTH) and the session kept for this browser tab.
 *
 * Cognito may answer a password with a challenge instead of tokens, and the app completes each one:
 * NEW_PASSWORD_REQUIRED (a reviewer invited with a temporary password chooses their own), MFA_SETUP (a pool that
 * requires MFA: an authenticator app is set up with the challenge's session) and SOFTWARE_TOKEN_MFA (the code of
 * the reviewer's authenticator app). A reviewer who has just chosen their password also sets up an authenticator
 * app (AssociateSoftwareToken, VerifySoftwareToken, SetUserMFAPreference), so every invited account signs in with
 * two factors from then on.
 */
import type { SiteConfig } from "./config";

export interface Session {
  idToken: string;
  email: string;
  expiresAt: number; // epoch milliseconds
}

/** A step Cognito asks for before it gives tokens (or, `TOTP_ENROLL`, one the app asks after a new password). */
export interface Challenge {
  name: "NEW_PASSWORD_REQUIRED" | "MFA_SETUP" | "SOFTWARE_TOKEN_MFA" | "TOTP_ENROLL";
  email: string;
  /** Cognito's session for the challenge (absent for TOTP_ENROLL, which uses the access token). */
  session?: string;
  accessToken?: string;
  idToken?: string;
  /** The authenticator app's secret (MFA_SETUP, TOTP_ENROLL), once associated. */
  secret?: string;
}

export type SignInStep = { session: Session } | { challenge: Challenge };

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

/** One Cognito call; SignInError with a message a reviewer can act on. */
async function cognito(config: SiteConfig, target: string, body: Record<string, unknown>): Promise<Record<string, any>> {
  let response: Response;
  try {
    response = await fetch(cognitoEndpoint(config), {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${target}`,
      },
      body: JSON.stringify(body),
    });
  } catch {
    throw new SignInError("The sign-in service cannot be reached. Check your connection and try again.");
  }
  const answer = (await response.json().catch(() => ({}))) as Record<string, any>;
  if (!response.ok) {
    const kind = String(answer.__type ?? "").split("#").pop();
    if (kind === "NotAuthorizedException" || kind === "UserNotFoundException") throw new SignInError("Wrong email or password.");
    if (kind === "CodeMismatchException" || kind === "EnableSoftwareTokenMFAException")
      throw new SignInError("That code is not the one your authenticator app shows now; try the next one.");
    if (kind === "InvalidPasswordException")
      throw new SignInError(answer.message || "That password does not meet the password policy.");
    throw new SignInError(answer.message || `Sign-in failed (${response.status}).`);
  }
  return answer;
}

function keep(idToken: string, email: string): Session {
  const exp = Number(claims(idToken).exp ?? 0) * 1000;
  const session: Session = { idToken, email, expiresAt: exp || Date.now() + 3600_000 };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

/** Tokens, a challenge to answer, or (after a new password) the authenticator set-up the app asks for. */
async function next(config: SiteConfig, email: string, answer: Record<string, any>, enroll: boolean): Promise<SignInStep> {
  if (answer.ChallengeName) {
    const name = answer.ChallengeName as string;
    if (name !== "NEW_PASSWORD_REQUIRED" && name !== "MFA_SETUP" && name !== "SOFTWARE_TOKEN_MFA")
      throw new SignInError(`Your account needs a step this app does not support (${name}); ask an administrator.`);
    const challenge: Challenge = { name, email, session: answer.Session };
    if (name === "MFA_SETUP") {
      const associated = await cognito(config, "AssociateSoftwareToken", { Session: answer.Session });
      challenge.secret = associated.SecretCode;
      challenge.session = associated.Session ?? answer.Session;
    }
    return { challenge };
  }
  const result = answer.AuthenticationResult ?? {};
  const idToken = result.IdToken as string | undefined;
  if (!idToken) throw new SignInError("Sign-in answered without a token.");
  if (enroll && result.AccessToken) {
    const associated = await cognito(config, "AssociateSoftwareToken", { AccessToken: result.AccessToken });
    return { challenge: { name: "TOTP_ENROLL", email, accessToken: result.AccessToken, idToken, secret: associated.SecretCode } };
  }
  return { session: keep(idToken, email) };
}

export async function signIn(config: SiteConfig, email: string, password: string): Promise<SignInStep> {
  const answer = await cognito(config, "InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: config.cognito.clientId,
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  return next(config, email, answer, false);
}

/** NEW_PASSWORD_REQUIRED: the reviewer's own password; then an authenticator app is set up. */
export async function chooseNewPassword(config: SiteConfig, challenge: Challenge, password: string): Promise<SignInStep> {
  const answer = await cognito(config, "RespondToAuthChallenge", {
    ChallengeName: "NEW_PASSWORD_REQUIRED",
    ClientId: config.cognito.clientId,
    Session: challenge.session,
    ChallengeResponses: { USERNAME: challenge.email, NEW_PASSWORD: password },
  });
  return next(config, challenge.email, answer, true);
}

/** The authenticator app's code: verifies a new one (MFA_SETUP, TOTP_ENROLL) or answers SOFTWARE_TOKEN_MFA. */
export async function answerCode(config: SiteConfig, challenge: Challenge, code: string): Promise<SignInStep> {
  if (challenge.name === "SOFTWARE_TOKEN_MFA") {
    const answer = await cognito(config, "RespondToAuthChallenge", {
      ChallengeName: "SOFTWARE_TOKEN_MFA",
      ClientId: config.cognito.clientId,
      Session: challenge.session,
      ChallengeResponses: { USERNAME: challenge.email, SOFTWARE_TOKEN_MFA_CODE: code },
    });
    return next(config, challenge.email, answer, false);
  }
  if (challenge.name === "MFA_SETUP") {
    const verified = await cognito(config, "VerifySoftwareToken", {
      Session: challenge.session,
      UserCode: code,
      FriendlyDeviceName: "Arbiter back office",
    });
    const answer = await cognito(config, "RespondToAuthChallenge", {
      ChallengeName: "MFA_SETUP",
      ClientId: config.cognito.clientId,
      Session: verified.Session ?? challenge.session,
      ChallengeResponses: { USERNAME: challenge.email },
    });
    return next(config, challenge.email, answer, false);
  }
  if (challenge.name === "TOTP_ENROLL" && challenge.accessToken && challenge.idToken) {
    await cognito(config, "VerifySoftwareToken", {
      AccessToken: challenge.accessToken,
      UserCode: code,
      FriendlyDeviceName: "Arbiter back office",
    });
    await cognito(config, "SetUserMFAPreference", {
      AccessToken: challenge.accessToken,
      SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
    });
    return { session: keep(challenge.idToken, challenge.email) };
  }
  throw new SignInError("This step has no code to answer; sign in again.");
}

/** The authenticator app's otpauth:// address for the secret (what a QR code would hold). */
export function otpauthUri(challenge: Challenge, issuer = "Arbiter"): string {
  return `otpauth://totp/${encodeURIComponent(issuer)}:${encodeURIComponent(challenge.email)}?secret=${challenge.secret}&issuer=${encodeURIComponent(issuer)}`;
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
