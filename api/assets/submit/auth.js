// Signing in: OpenID Connect's authorization code flow with PKCE (S256),
// run by the browser against the authority's own identity provider, as
// `GET /auth/providers?authority=SLUG` describes it; and, on a server
// started with `--demo` only, the demo's people. The access token is held
// in this tab's sessionStorage (gone when the tab closes) and never sent
// anywhere but this server.

const SESSION = 'councilperf.session';
const PENDING = 'councilperf.pending';

const base64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes))).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
const random = () => base64url(crypto.getRandomValues(new Uint8Array(32)));
const sha256 = async (text) => base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));

/** The page itself is the redirect URI. */
const redirectUri = () => `${location.origin}/submit`;

const read = (key) => {
  try {
    return JSON.parse(sessionStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
};
const keep = (key, value) => sessionStorage.setItem(key, JSON.stringify(value));

let onExpired = () => {};

/** What to do when the token has expired and cannot be renewed. */
export function whenExpired(callback) {
  onExpired = callback;
}

/** The signed-in session, or null. */
export function session() {
  return read(SESSION);
}

/** The session's token ended: forget it and say so. */
export function expired() {
  if (!session()) return;
  sessionStorage.removeItem(SESSION);
  onExpired();
}

/**
 * A token valid for a while yet: a demo token is minted afresh when it is
 * about to expire; a provider's (whose client gets no refresh token) ends
 * the session, and the person signs in again.
 */
export async function currentToken() {
  const s = session();
  if (!s) return null;
  if (Date.now() < s.expiresAt - 30_000) return s.accessToken;
  if (s.kind === 'demo') {
    await demoSignIn(s.person);
    return session()?.accessToken ?? null;
  }
  expired();
  return null;
}

/** The providers that sign people in for an authority. */
export async function providers(authority) {
  const response = await fetch(`/auth/providers?authority=${encodeURIComponent(authority)}`);
  if (!response.ok) return [];
  return (await response.json()).filter((p) => p.clientId && p.authorizationEndpoint && p.tokenEndpoint);
}

/**
 * Goes to the provider's sign-in page. `resume` is what the page shows
 * again when it comes back (authority, period).
 */
export async function startSignIn(provider, resume) {
  const verifier = random();
  const state = random();
  const nonce = random();
  const scopes = provider.scopes.includes('openid') ? provider.scopes : ['openid', ...provider.scopes];
  // A scope naming the API (Entra ID's `api://…/access`) says which API the
  // token is for; otherwise it is named as the resource (RFC 8707).
  const resource = scopes.some((s) => s.includes('://')) ? null : provider.audience;
  keep(PENDING, { verifier, state, nonce, provider, resource, resume });
  const url = new URL(provider.authorizationEndpoint);
  const params = {
    client_id: provider.clientId,
    response_type: 'code',
    redirect_uri: redirectUri(),
    scope: scopes.join(' '),
    state,
    nonce,
    code_challenge: await sha256(verifier),
    code_challenge_method: 'S256',
    ...(resource ? { resource } : {}),
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  location.assign(url.href);
}

function claimsOf(jwt) {
  const part = jwt?.split('.')[1];
  if (!part) return {};
  try {
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part.replaceAll('-', '+').replaceAll('_', '/')), (c) => c.charCodeAt(0))));
  } catch {
    return {};
  }
}

/**
 * Finishes a sign-in the provider sent back to this page (`?code&state`):
 * checks the state, exchanges the code with its verifier at the token
 * endpoint, checks the ID token's nonce, issuer and audience (it came
 * straight from the provider over its own connection), and keeps the
 * access token. Answers what to show again, or null when this load is no
 * callback. Throws what went wrong.
 */
export async function completeSignIn() {
  const q = new URLSearchParams(location.search);
  if (!q.has('state') || (!q.has('code') && !q.has('error'))) return null;
  const pending = read(PENDING);
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', '/submit');
  if (!pending || q.get('state') !== pending.state) throw new Error('This sign-in was not started here, or was started twice: sign in again.');
  if (q.has('error')) throw new Error(`The sign-in was refused: ${q.get('error_description') ?? q.get('error')}`);
  const { provider } = pending;
  if (q.has('iss') && q.get('iss') !== provider.issuer) throw new Error('The answer came from another identity provider.');
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: q.get('code'),
    redirect_uri: redirectUri(),
    client_id: provider.clientId,
    code_verifier: pending.verifier,
    ...(pending.resource ? { resource: pending.resource } : {}),
  });
  const response = await fetch(provider.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const tokens = await response.json().catch(() => ({}));
  if (!response.ok || !tokens.access_token) {
    throw new Error(`The identity provider gave no token: ${tokens.error_description ?? tokens.error ?? response.status}`);
  }
  const id = claimsOf(tokens.id_token);
  const audiences = [id.aud].flat();
  if (id.nonce !== pending.nonce || id.iss !== provider.issuer || !audiences.includes(provider.clientId)) {
    throw new Error('The identity provider’s answer does not match this sign-in.');
  }
  keep(SESSION, {
    kind: 'oidc',
    issuer: provider.issuer,
    accessToken: tokens.access_token,
    expiresAt: Date.now() + (tokens.expires_in ?? 300) * 1000,
    name: id.name ?? id.email ?? id.sub,
  });
  return pending.resume ?? {};
}

/** The demo's people; none on a server started without `--demo`. */
export async function demoPeople() {
  const response = await fetch('/auth/demo').catch(() => null);
  if (!response?.ok) return [];
  return response.json();
}

/** Signs in as a demo person (a short-lived token of this server's own). */
export async function demoSignIn(person) {
  const response = await fetch('/auth/demo', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ person }),
  });
  if (!response.ok) throw new Error('The demo sign-in is not available on this server.');
  const t = await response.json();
  keep(SESSION, {
    kind: 'demo',
    person,
    accessToken: t.accessToken,
    expiresAt: Date.now() + t.expiresIn * 1000,
    name: t.name,
  });
}

/**
 * Forgets the token in this tab. The provider's own session (its cookie)
 * is the provider's: signing in again may not ask for a password.
 */
export function signOut() {
  sessionStorage.removeItem(SESSION);
  sessionStorage.removeItem(PENDING);
}
