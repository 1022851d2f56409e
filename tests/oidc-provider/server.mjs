// Test-only OpenID Connect provider for Passerelle's end-to-end tests.
//
// Contract (see README.md): listens on 127.0.0.1:$PORT (0 = any free port),
// prints exactly one JSON line `{"issuer":"http://127.0.0.1:<port>"}` to stdout
// once ready, logs only to stderr, and exits when stdin closes or on SIGTERM.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

// oidc-provider prints its notices with console.info (stdout). stdout belongs to
// the readiness line only, so route everything else to stderr, and drop the
// notices that are expected for a throw-away in-memory test provider.
const EXPECTED_NOTICES = [
  /quick start development-only in-memory adapter/,
  /already parsed request body detected/,
];
const toStderr = (...args) => {
  const text = args.map(String).join(' ');
  if (!EXPECTED_NOTICES.some((re) => re.test(text))) process.stderr.write(`${text}\n`);
};
console.log = toStderr;
console.info = toStderr;
console.warn = toStderr;
console.debug = toStderr;

const { default: Provider } = await import('oidc-provider');

const PORT = Number.parseInt(process.env.PORT ?? '0', 10);
const CLIENT_ID = process.env.CLIENT_ID || 'passerelle-e2e';
const REDIRECT_URI = process.env.REDIRECT_URI || 'http://127.0.0.1:9/callback';
const AUDIENCE = process.env.AUDIENCE || 'passerelle-api';
const PASSWORD = 'correct horse';
const RS_SCOPE = 'api';
// A confidential machine client (client-credentials grant), standing for a partner
// firm's back office that signs in at the network's identity provider.
const MACHINE_CLIENT_ID = process.env.MACHINE_CLIENT_ID || 'passerelle-e2e-machine';
const MACHINE_CLIENT_SECRET = process.env.MACHINE_CLIENT_SECRET || 'machine secret for tests only';
const PARTNER_SCOPES = 'agreements:read activity:read outreach:read outreach:write';
// The web console's client (public, PKCE), registered when both are given: its
// redirect URI names the port the server under test listens on.
const CONSOLE_CLIENT_ID = process.env.CONSOLE_CLIENT_ID || '';
const CONSOLE_REDIRECT_URI = process.env.CONSOLE_REDIRECT_URI || '';

// RFC 8707 resource indicators must be absolute URIs and oidc-provider enforces
// it. When AUDIENCE is not one (the default `passerelle-api` is not), the
// provider internally uses RESOURCE and the `resource=<AUDIENCE>` parameter
// sent by clients is translated on the way in. The token `aud` is AUDIENCE.
const isAbsoluteUri = (s) => {
  try { new URL(s); return true; } catch { return false; }
};
const RESOURCE = isAbsoluteUri(AUDIENCE) ? AUDIENCE : `urn:passerelle-e2e:resource:${AUDIENCE}`;

let exiting = false;
function shutdown(code = 0) {
  if (exiting) return;
  exiting = true;
  process.exit(code);
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.on('SIGHUP', () => shutdown(0));
process.stdin.on('end', () => shutdown(0));
process.stdin.on('close', () => shutdown(0));
process.stdin.on('error', () => shutdown(0));
process.stdin.resume();
process.stdout.on('error', () => {}); // reader went away; we exit via stdin/signals

// ---------------------------------------------------------------- accounts
const accounts = new Map(); // accountId -> { email, name }

function accountFor(rawEmail) {
  const email = rawEmail.trim().toLowerCase();
  const accountId = `acct-${createHash('sha256').update(email).digest('hex').slice(0, 16)}`;
  const at = email.indexOf('@');
  const name = at === -1 ? email : email.slice(0, at);
  accounts.set(accountId, { email, name });
  return accountId;
}

async function findAccount(_ctx, sub) {
  const acct = accounts.get(sub);
  if (!acct) return undefined;
  return {
    accountId: sub,
    async claims() {
      return { sub, email: acct.email, email_verified: true, name: acct.name };
    },
  };
}

// ---------------------------------------------------------------- keys
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = {
  ...privateKey.export({ format: 'jwk' }),
  kid: `e2e-${randomBytes(6).toString('hex')}`,
  alg: 'RS256',
  use: 'sig',
};

// ---------------------------------------------------------------- http plumbing
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > 64 * 1024) { reject(new Error('body too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

function sendHtml(res, status, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Passerelle test IdP</title></head><body>${body}</body></html>`);
}

function loginForm(uid, { email = '', error } = {}) {
  return `<h1>Sign in</h1>${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login">
<label>Email <input type="email" name="email" value="${esc(email)}" required autofocus></label>
<label>Password <input type="password" name="password" required></label>
<button type="submit">Sign in</button>
</form>`;
}

// Grant everything requested (OIDC scopes, claims, API scope), so no consent
// prompt is ever shown.
async function grantFor(provider, interaction, accountId) {
  const { params } = interaction;
  let grant;
  if (interaction.grantId) grant = await provider.Grant.find(interaction.grantId);
  if (!grant) grant = new provider.Grant({ accountId, clientId: params.client_id });
  if (params.scope) grant.addOIDCScope(params.scope);
  if (params.claims) {
    try {
      const requested = JSON.parse(params.claims);
      const names = new Set([
        ...Object.keys(requested.userinfo ?? {}),
        ...Object.keys(requested.id_token ?? {}),
      ]);
      if (names.size) grant.addOIDCClaims([...names]);
    } catch { /* malformed claims were rejected by the provider already */ }
  }
  const resources = new Set([RESOURCE, ...[params.resource ?? []].flat()]);
  for (const resource of resources) grant.addResourceScope(resource, RS_SCOPE);
  return grant.save();
}

async function handleInteraction(provider, req, res, pathname) {
  const m = /^\/interaction\/([^/]+)(\/login)?$/.exec(pathname);
  if (!m) return sendHtml(res, 404, '<p>not found</p>');
  const [, uid, login] = m;

  let interaction;
  try {
    interaction = await provider.interactionDetails(req, res);
  } catch (err) {
    return sendHtml(res, 400, `<p>${esc(err.error_description || err.message)}</p>`);
  }
  if (interaction.uid !== uid) return sendHtml(res, 400, '<p>interaction mismatch</p>');

  const { prompt } = interaction;

  if (!login && req.method === 'GET') {
    if (prompt.name === 'login') return sendHtml(res, 200, loginForm(uid));
    // Already logged in but something still needs granting: grant it silently.
    const accountId = interaction.session?.accountId;
    const grantId = await grantFor(provider, interaction, accountId);
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  if (login && req.method === 'POST') {
    const form = new URLSearchParams(await readBody(req));
    const email = (form.get('email') ?? '').trim();
    const password = form.get('password') ?? '';
    if (!email || password !== PASSWORD) {
      return sendHtml(res, 200, loginForm(uid, { email, error: 'Invalid email or password.' }));
    }
    const accountId = accountFor(email);
    const grantId = await grantFor(provider, interaction, accountId);
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  }

  res.setHeader('Allow', login ? 'POST' : 'GET');
  return sendHtml(res, 405, '<p>method not allowed</p>');
}

// ---------------------------------------------------------------- start
let handler = (_req, res) => { res.statusCode = 503; res.end(); };
const server = createServer((req, res) => handler(req, res));
server.on('error', (err) => { console.error(`server error: ${err.stack || err}`); shutdown(1); });
await new Promise((resolve) => server.listen(PORT, '127.0.0.1', resolve));
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: CLIENT_ID,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
  }, ...(CONSOLE_CLIENT_ID && CONSOLE_REDIRECT_URI ? [{
    client_id: CONSOLE_CLIENT_ID,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [CONSOLE_REDIRECT_URI],
  }] : []), {
    client_id: MACHINE_CLIENT_ID,
    client_secret: MACHINE_CLIENT_SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  }],
  jwks: { keys: [signingJwk] },
  cookies: {
    keys: [randomBytes(32).toString('base64url')],
    // plain-http test server: avoid SameSite=None (and its `.legacy` twins)
    long: { httpOnly: true, sameSite: 'lax' },
    short: { httpOnly: true, sameSite: 'lax' },
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // put the granted scope claims (email, ...) into the id_token too
  conformIdTokenClaims: false,
  findAccount,
  async extraTokenClaims(_ctx, token) {
    const acct = token.accountId && accounts.get(token.accountId);
    if (!acct) return undefined;
    return { email: acct.email, email_verified: true };
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { methods: ['S256'], required: () => true },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf ?? RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        if (resourceIndicator !== RESOURCE) throw new Provider.errors.InvalidTarget();
        return {
          scope: `${RS_SCOPE} ${PARTNER_SCOPES}`,
          audience: AUDIENCE,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  clientBasedCORS: () => true,
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 300,
    IdToken: 3600,
    Interaction: 3600,
    Session: 86400,
    Grant: 86400,
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html><body><h1>${esc(out.error)}</h1><p>${esc(out.error_description ?? '')}</p></body></html>`;
  },
});

provider.on('server_error', (_ctx, err) => console.error(`server_error: ${err.stack || err}`));

// Translate `resource=<AUDIENCE>` into the internal absolute-URI indicator.
if (RESOURCE !== AUDIENCE) {
  const mapResource = (params) => {
    const values = params.getAll('resource');
    if (!values.includes(AUDIENCE)) return false;
    params.delete('resource');
    for (const v of values) params.append('resource', v === AUDIENCE ? RESOURCE : v);
    return true;
  };
  provider.use(async (ctx, next) => {
    if (ctx.path === '/auth' || ctx.path === '/token' || ctx.path === '/request') {
      const query = new URLSearchParams(ctx.querystring);
      if (mapResource(query)) ctx.querystring = query.toString();
      if (ctx.method === 'POST' && ctx.is('application/x-www-form-urlencoded')) {
        const body = new URLSearchParams(await readBody(ctx.req));
        mapResource(body);
        ctx.req.body = body.toString(); // picked up by oidc-provider's body parser
      }
    }
    await next();
  });
}

const callback = provider.callback();
handler = (req, res) => {
  const { pathname } = new URL(req.url, issuer);
  if (pathname.startsWith('/interaction/')) {
    handleInteraction(provider, req, res, pathname).catch((err) => {
      console.error(`interaction error: ${err.stack || err}`);
      if (!res.headersSent) sendHtml(res, 500, '<p>internal error</p>');
      else res.end();
    });
    return;
  }
  callback(req, res);
};

process.stdout.write(`${JSON.stringify({ issuer })}\n`);
console.error(`oidc test provider ready: issuer=${issuer} client_id=${CLIENT_ID} redirect_uri=${REDIRECT_URI} audience=${AUDIENCE}`);
