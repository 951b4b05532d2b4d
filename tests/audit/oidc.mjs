// Two real OpenID Connect issuers (panva's oidc-provider), "Kent's tenant"
// and "Croydon's tenant", for the end-to-end tests, which must verify
// tokens a real provider issued rather than ones the tests signed.
//   node oidc.mjs
// Prints {"ready":true,"kent":URL,"croydon":URL} once both listen, then
// answers one JSON command a line from stdin with one JSON line, in order:
//   {"token":{"issuer","sub","email"?,"name"?,"roles"?}} → {"token","idToken"}
//   {"keys":{"issuer","up"}}                            → {"ok":true}
//   {"forge":{"issuer","signedBy","sub"}}               → {"token"}
// and {"error":"…"} for a command that failed. Exits when stdin closes.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as readline from 'node:readline';

import * as jose from 'jose';
import Provider, { errors } from 'oidc-provider';

// oidc-provider prints its notices with console.info: stdout carries the
// protocol alone, so everything else goes to stderr.
const protocol = process.stdout.write.bind(process.stdout);
console.log = console.info = console.error;
const say = (line) => protocol(`${JSON.stringify(line)}\n`);

const API = 'api://councilperf';
const CLIENT_ID = 'councilperf-web';
const REDIRECT_URI = 'http://127.0.0.1/callback';
// councilperf's submission page in a test server, on whatever port it got:
// the browser test signs in there, and exchanges its code from that origin.
const SUBMIT_PAGE = /^http:\/\/127\.0\.0\.1:\d+\/submit$/;
const TEST_ORIGIN = /^http:\/\/127\.0\.0\.1:\d+$/;
const SCOPE = 'openid email profile api';
const JWKS_PATH = '/jwks';
const TOKEN_TTL = 10 * 60;

// The default adapter keeps every provider's codes and sessions in one
// store for the whole process: each issuer gets its own, so a code or
// session one of them issued means nothing to the other.
function memoryAdapter() {
  const store = new Map();
  const grants = new Map();
  const get = (key) => {
    const entry = store.get(key);
    if (entry && entry.expires < Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry?.value;
  };
  const put = (key, value, expiresIn) => {
    store.set(key, { value, expires: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
  };
  return class {
    constructor(model) {
      this.model = model;
    }

    key(id) {
      return `${this.model}:${id}`;
    }

    async upsert(id, payload, expiresIn) {
      const key = this.key(id);
      if (this.model === 'Session') put(`sessionUid:${payload.uid}`, id, expiresIn);
      if (payload.userCode) put(`userCode:${payload.userCode}`, id, expiresIn);
      if (payload.grantId) grants.set(payload.grantId, [...(grants.get(payload.grantId) ?? []), key]);
      put(key, payload, expiresIn);
    }

    async find(id) {
      return get(this.key(id));
    }

    async findByUid(uid) {
      const id = get(`sessionUid:${uid}`);
      return id && this.find(id);
    }

    async findByUserCode(userCode) {
      const id = get(`userCode:${userCode}`);
      return id && this.find(id);
    }

    async consume(id) {
      const payload = get(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id) {
      store.delete(this.key(id));
    }

    async revokeByGrantId(grantId) {
      for (const key of grants.get(grantId) ?? []) store.delete(key);
      grants.delete(grantId);
    }
  };
}

const readBody = async (req) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString());
};

// The login and consent pages a person would see, reduced to one form
// each: the driver below posts them as a browser would.
function interactions(provider, accounts) {
  return async (ctx, next) => {
    const uid = /^\/interaction\/([^/]+)$/.exec(ctx.path)?.[1];
    if (!uid) return next();
    ctx.set('cache-control', 'no-store');
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== uid) ctx.throw(400, 'interaction mismatch');
    const { prompt, params, session, grantId } = details;
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = `<form method="post" action="/interaction/${uid}">`
        + (prompt.name === 'login' ? '<input name="login">' : '')
        + `<button>${prompt.name}</button></form>`;
      return undefined;
    }
    if (ctx.method !== 'POST') ctx.throw(405);
    const form = await readBody(ctx.req);
    let result;
    if (prompt.name === 'login') {
      const login = form.get('login');
      if (!accounts.has(login)) ctx.throw(403, `no account ${login}`);
      result = { login: { accountId: login } };
    } else if (prompt.name === 'consent') {
      const grant = grantId
        ? await provider.Grant.find(grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
      if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
      if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      result = { consent: { grantId: await grant.save() } };
    } else {
      ctx.throw(501, `no page for the ${prompt.name} prompt`);
    }
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: true,
    });
    ctx.status = 303;
    ctx.redirect(returnTo);
    return undefined;
  };
}

async function issuer(name) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `${name}-${crypto.randomBytes(6).toString('hex')}`;
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const accounts = new Map();
  const state = { keysUp: true };

  const server = http.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}`;

  const provider = new Provider(url, {
    adapter: memoryAdapter(),
    jwks: { keys: [jwk] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    routes: { jwks: JWKS_PATH },
    clients: [
      {
        client_id: CLIENT_ID,
        token_endpoint_auth_method: 'none',
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    pkce: { methods: ['S256'], required: () => true },
    clientBasedCORS: (ctx, origin) => TEST_ORIGIN.test(origin),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid'],
    async findAccount(ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            name: account.name,
            ...(account.email ? { email: account.email, email_verified: true } : {}),
          };
        },
      };
    },
    // Read when a token is minted, so a later change of the account's
    // roles shows in the next token, as with Entra ID.
    async extraTokenClaims(ctx, token) {
      const account = accounts.get(token.accountId);
      if (!account) return undefined;
      return {
        name: account.name,
        roles: account.roles,
        ...(account.email ? { email: account.email } : {}),
      };
    },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        // Without it a code that carries `openid` is exchanged for an
        // opaque token for the userinfo endpoint, not one for the API.
        useGrantedResource: () => true,
        getResourceServerInfo(ctx, resource) {
          if (resource !== API) throw new errors.InvalidTarget(`unknown resource ${resource}`);
          return {
            scope: 'api',
            audience: API,
            accessTokenTTL: TOKEN_TTL,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    ttl: {
      AccessToken: TOKEN_TTL,
      AuthorizationCode: 60,
      IdToken: TOKEN_TTL,
      Interaction: 10 * 60,
      Session: 60 * 60,
      Grant: 60 * 60,
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    // The driver reports the provider's own words, not an HTML page.
    async renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
  });

  const registered = provider.Client.prototype.redirectUriAllowed;
  provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(uri) {
    return SUBMIT_PAGE.test(uri) || registered.call(this, uri);
  };

  provider.use(async (ctx, next) => {
    if (!state.keysUp && ctx.path === JWKS_PATH) {
      ctx.status = 503;
      ctx.body = { error: 'temporarily_unavailable' };
      return undefined;
    }
    return next();
  });
  provider.use(interactions(provider, accounts));
  server.on('request', provider.callback());

  return { name, url, server, provider, accounts, state, privateKey, kid };
}

// Enough of a browser's cookie handling for one sign-in against one
// origin: oidc-provider scopes its interaction cookies by path and
// clears them with an expiry in the past.
class CookieJar {
  #cookies = new Map();

  store(response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let gone = value === '';
      for (const attribute of attributes) {
        const [key, v = ''] = attribute.split('=');
        const k = key.toLowerCase();
        if (k === 'path') path = v;
        if (k === 'max-age' && Number(v) <= 0) gone = true;
        if (k === 'expires' && Date.parse(v) <= Date.now()) gone = true;
      }
      const key = `${name};${path}`;
      if (gone) this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    return [...this.#cookies.values()]
      .filter(({ path }) => pathname === path || pathname.startsWith(path.endsWith('/') ? path : `${path}/`))
      .map(({ name, value }) => `${name}=${value}`)
      .join('; ');
  }
}

const base64url = (bytes) => Buffer.from(bytes).toString('base64url');
const random = () => base64url(crypto.randomBytes(32));

async function why(response) {
  const text = await response.text();
  return `${response.status} ${response.url}: ${text.slice(0, 500)}`;
}

// The authorization code flow with PKCE as a browser and a public client
// run it: every step through the issuer's own endpoints.
async function signIn(iss, sub) {
  const discovery = await (await fetch(`${iss.url}/.well-known/openid-configuration`)).json();
  const jar = new CookieJar();
  const request = async (url, init = {}) => {
    const cookie = jar.header(url);
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...init.headers, ...(cookie ? { cookie } : {}) },
    });
    jar.store(response);
    return response;
  };

  const verifier = random();
  const challenge = base64url(crypto.createHash('sha256').update(verifier).digest());
  const stateParam = random();
  const nonce = random();
  const authorize = new URL(discovery.authorization_endpoint);
  authorize.search = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state: stateParam,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource: API,
  });

  let url = authorize.href;
  let callback;
  // Two pages (login, consent) and a few redirects between them.
  for (let step = 0; step < 12 && !callback; step += 1) {
    const response = await request(url);
    if (response.status >= 300 && response.status < 400) {
      const location = new URL(response.headers.get('location'), url).href;
      await response.arrayBuffer();
      if (location.startsWith(`${REDIRECT_URI}?`)) callback = new URL(location);
      else url = location;
    } else if (response.status === 200 && new URL(url).pathname.startsWith('/interaction/')) {
      await response.arrayBuffer();
      const submitted = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ login: sub }).toString(),
      });
      if (submitted.status !== 303) throw new Error(`interaction refused: ${await why(submitted)}`);
      url = new URL(submitted.headers.get('location'), url).href;
      await submitted.arrayBuffer();
    } else {
      throw new Error(`sign-in stopped: ${await why(response)}`);
    }
  }
  if (!callback) throw new Error('sign-in never reached the redirect URI');
  const answer = Object.fromEntries(callback.searchParams);
  if (answer.error) throw new Error(`authorization refused: ${answer.error}: ${answer.error_description}`);
  if (answer.state !== stateParam) throw new Error('the state came back changed');
  if (answer.iss && answer.iss !== iss.url) throw new Error(`the answer names issuer ${answer.iss}`);
  if (!answer.code) throw new Error(`no code in ${callback.href}`);

  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      code: answer.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      resource: API,
    }).toString(),
  });
  if (response.status !== 200) throw new Error(`token endpoint: ${await why(response)}`);
  const tokens = await response.json();
  if (tokens.access_token?.split('.').length !== 3) {
    throw new Error('the access token is not a JWT: was the resource indicator applied?');
  }
  if (jose.decodeJwt(tokens.id_token).nonce !== nonce) throw new Error('the ID token carries another nonce');
  return { token: tokens.access_token, idToken: tokens.id_token };
}

const issuers = Object.fromEntries(
  await Promise.all(['kent', 'croydon'].map(async (name) => [name, await issuer(name)])),
);

function named(name) {
  const found = Object.hasOwn(issuers, name) && issuers[name];
  if (!found) throw new Error(`no issuer ${JSON.stringify(name)}: kent or croydon`);
  return found;
}

const commands = {
  async token({ issuer: name, sub, email, name: fullName, roles = [] }) {
    const iss = named(name);
    if (typeof sub !== 'string' || !sub) throw new Error('token needs a sub');
    if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
      throw new Error('roles must be an array of strings');
    }
    iss.accounts.set(sub, { email, name: fullName ?? sub, roles });
    return signIn(iss, sub);
  },
  async keys({ issuer: name, up }) {
    named(name).state.keysUp = Boolean(up);
    return { ok: true };
  },
  // Everything a real token of the named issuer carries, but the signer.
  async forge({ issuer: name, signedBy, sub }) {
    const iss = named(name);
    const signer = named(signedBy);
    const account = iss.accounts.get(sub);
    const claims = {
      client_id: CLIENT_ID,
      scope: 'api',
      ...(account ? { name: account.name, roles: account.roles } : {}),
      ...(account?.email ? { email: account.email } : {}),
    };
    const token = await new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: signer.kid })
      .setIssuer(iss.url)
      .setSubject(sub)
      .setAudience(API)
      .setIssuedAt()
      .setExpirationTime(`${TOKEN_TTL}s`)
      .setJti(random())
      .sign(signer.privateKey);
    return { token };
  },
};

say({ ready: true, kent: issuers.kent.url, croydon: issuers.croydon.url });

for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!line.trim()) continue;
  try {
    const command = JSON.parse(line);
    const [name] = Object.keys(command);
    if (!Object.hasOwn(commands, name)) throw new Error(`unknown command ${JSON.stringify(name)}`);
    say(await commands[name](command[name]));
  } catch (e) {
    say({ error: String(e?.message ?? e) });
  }
}

for (const { server } of Object.values(issuers)) {
  server.closeAllConnections();
  server.close();
}
process.exit(0);
