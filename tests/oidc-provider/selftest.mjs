// Self-test for server.mjs: runs the whole authorization-code + PKCE flow the
// way the Rust e2e test does (manual redirects, cookie jar), then checks the
// JWT access token against the provider's JWKS.
//
//   node selftest.mjs            -> prints `selftest ok`, exit 0 (or the failure, exit 1)
//   VERBOSE=1 node selftest.mjs  -> also prints every HTTP step
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';

const CLIENT_ID = 'passerelle-e2e';
const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const AUDIENCE = 'passerelle-api';
const EMAIL = 'Alice.Example@Example.COM';
const VERBOSE = !!process.env.VERBOSE;

const serverPath = fileURLToPath(new URL('./server.mjs', import.meta.url));
const child = spawn(process.execPath, [serverPath], {
  env: { ...process.env, PORT: '0' },
  stdio: ['pipe', 'pipe', 'pipe'],
});
let stderr = '';
child.stderr.on('data', (c) => { stderr += c; });
let stdout = '';
child.stdout.on('data', (c) => { stdout += c; });
const killChild = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
process.on('exit', killChild);

const watchdog = setTimeout(() => fail(new Error('selftest timed out')), 15000);

function fail(err) {
  console.log(`selftest FAILED: ${err.stack || err}`);
  if (stderr) console.log(`--- server stderr ---\n${stderr}`);
  killChild();
  process.exit(1);
}

function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
function assertEq(actual, expected, msg) {
  if (actual !== expected) {
    throw new Error(`assertion failed: ${msg}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

// ---- tiny cookie jar: name+path -> value, sent when the request path is path-matched
const jar = new Map();
function storeCookies(res, url) {
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    let path = '/';
    let expired = false;
    for (const a of attrs) {
      const [k, v = ''] = a.split('=');
      if (k.toLowerCase() === 'path') path = v || '/';
      if (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
    }
    const key = `${name}\u0000${path}`;
    if (expired) jar.delete(key); else jar.set(key, { name, value, path });
    if (VERBOSE) console.log(`    set-cookie ${name} (path=${path}${expired ? ', expired' : ''})`);
  }
  void url;
}
function cookieHeader(url) {
  const { pathname } = new URL(url);
  const matches = (p) => pathname === p || (pathname.startsWith(p) && (p.endsWith('/') || pathname[p.length] === '/'));
  return [...jar.values()].filter((c) => matches(c.path)).map((c) => `${c.name}=${c.value}`).join('; ');
}

async function http(method, url, { form, accept } = {}) {
  const headers = {};
  const cookie = cookieHeader(url);
  if (cookie) headers.cookie = cookie;
  if (accept) headers.accept = accept;
  let body;
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const res = await fetch(url, { method, headers, body, redirect: 'manual' });
  storeCookies(res, url);
  const text = await res.text();
  const location = res.headers.get('location');
  if (VERBOSE) {
    const u = new URL(url);
    console.log(`${method} ${u.pathname}${u.search ? '?…' : ''} -> ${res.status}${location ? ` Location: ${location}` : ''}`);
  }
  return { status: res.status, location, text, headers: res.headers };
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

try {
  // 1. readiness line
  const issuer = await new Promise((resolve, reject) => {
    const onData = () => {
      const nl = stdout.indexOf('\n');
      if (nl === -1) return;
      child.stdout.off('data', onData);
      try {
        const line = stdout.slice(0, nl);
        assert(/^\{"issuer":"http:\/\/127\.0\.0\.1:\d+"\}$/.test(line), `readiness line format: ${line}`);
        resolve(JSON.parse(line).issuer);
      } catch (e) { reject(e); }
    };
    child.stdout.on('data', onData);
    child.on('exit', (code, sig) => reject(new Error(`server exited early (${code ?? sig})`)));
  });
  const linesBefore = stdout;
  if (VERBOSE) console.log(`issuer ${issuer}`);

  // 2. discovery
  const disco = await http('GET', `${issuer}/.well-known/openid-configuration`);
  assertEq(disco.status, 200, 'discovery status');
  const meta = JSON.parse(disco.text);
  assertEq(meta.issuer, issuer, 'discovery issuer');
  assert(meta.jwks_uri, 'jwks_uri advertised');
  assert(meta.code_challenge_methods_supported?.includes('S256'), 'S256 supported');

  // 3. authorization request (PKCE S256)
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const state = b64url(randomBytes(12));
  const authUrl = new URL(meta.authorization_endpoint);
  authUrl.search = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid email',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource: AUDIENCE,
  }).toString();
  const auth = await http('GET', authUrl.href);
  assert(auth.status === 303 || auth.status === 302, `authorize redirect status ${auth.status}: ${auth.text}`);
  const interactionUrl = new URL(auth.location, issuer);
  const m = /^\/interaction\/([^/]+)$/.exec(interactionUrl.pathname);
  assert(m, `redirected to interaction, got ${auth.location}`);
  const uid = m[1];

  // 4. login form
  const page = await http('GET', interactionUrl.href);
  assertEq(page.status, 200, 'login page status');
  assert(page.text.includes(`action="/interaction/${uid}/login"`), 'form posts to /interaction/<uid>/login');
  assert(/name="email"/.test(page.text) && /name="password"/.test(page.text), 'form has email and password');

  // 5. wrong password: re-rendered form, no redirect
  const bad = await http('POST', `${issuer}/interaction/${uid}/login`, { form: { email: EMAIL, password: 'wrong' } });
  assertEq(bad.status, 200, 'wrong password status');
  assertEq(bad.location, null, 'wrong password must not redirect');
  assert(/Invalid email or password/.test(bad.text), 'wrong password shows an error');

  // 6. good password -> back to /auth/<uid>
  const good = await http('POST', `${issuer}/interaction/${uid}/login`, { form: { email: EMAIL, password: 'correct horse' } });
  assert(good.status === 303 || good.status === 302, `login redirect status ${good.status}: ${good.text}`);
  const resumeUrl = new URL(good.location, issuer);
  assertEq(resumeUrl.pathname, `/auth/${uid}`, 'login redirects to /auth/<uid>');

  // 7. resume -> redirect_uri with code
  const resume = await http('GET', resumeUrl.href);
  assert(resume.status === 303 || resume.status === 302, `resume redirect status ${resume.status}: ${resume.text}`);
  const cb = new URL(resume.location);
  assertEq(`${cb.origin}${cb.pathname}`, REDIRECT_URI, 'redirect to redirect_uri (no consent step)');
  assertEq(cb.searchParams.get('state'), state, 'state echoed');
  assert(!cb.searchParams.get('error'), `authorization error: ${cb.search}`);
  const code = cb.searchParams.get('code');
  assert(code, 'code present');
  if (cb.searchParams.has('iss')) assertEq(cb.searchParams.get('iss'), issuer, 'iss param');

  // 8. token request
  const tok = await http('POST', meta.token_endpoint, {
    form: {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT_ID,
      code_verifier: verifier,
      resource: AUDIENCE,
    },
  });
  assertEq(tok.status, 200, `token status (${tok.text})`);
  const tokens = JSON.parse(tok.text);
  assert(tokens.access_token && tokens.id_token, 'access_token and id_token present');
  assertEq(tokens.token_type, 'Bearer', 'token_type');

  // 9. access token checks
  const expectedEmail = EMAIL.toLowerCase();
  const expectedSub = `acct-${createHash('sha256').update(expectedEmail).digest('hex').slice(0, 16)}`;
  const header = decodeProtectedHeader(tokens.access_token);
  assert(header.alg === 'RS256' || header.alg === 'ES256', `alg ${header.alg}`);
  assert(header.kid, 'kid in header');
  const claims = decodeJwt(tokens.access_token);
  assertEq(claims.iss, issuer, 'iss');
  assert(claims.aud === AUDIENCE || (Array.isArray(claims.aud) && claims.aud.includes(AUDIENCE)), `aud ${JSON.stringify(claims.aud)}`);
  assertEq(claims.sub, expectedSub, 'sub');
  assertEq(claims.email, expectedEmail, 'email');
  assertEq(claims.email_verified, true, 'email_verified');
  assert(Number.isInteger(claims.exp) && Number.isInteger(claims.iat) && claims.exp > claims.iat, 'exp/iat');

  const jwksRes = await http('GET', meta.jwks_uri);
  assertEq(jwksRes.status, 200, 'jwks status');
  assert(JSON.parse(jwksRes.text).keys.some((k) => k.kid === header.kid && !k.d), 'JWKS has the public signing key');
  const JWKS = createRemoteJWKSet(new URL(meta.jwks_uri));
  await jwtVerify(tokens.access_token, JWKS, { issuer, audience: AUDIENCE });

  // id_token too
  const { payload: idt } = await jwtVerify(tokens.id_token, JWKS, { issuer, audience: CLIENT_ID });
  assertEq(idt.sub, expectedSub, 'id_token sub');
  assertEq(idt.email, expectedEmail, 'id_token email');

  // 10. stdout carried nothing after the readiness line
  assertEq(stdout, linesBefore, 'nothing else on stdout');
  assertEq(stdout.split('\n').filter(Boolean).length, 1, 'exactly one stdout line');

  // 11. closing stdin stops the server
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.stdin.end();
  const t = setTimeout(() => fail(new Error('server did not exit after stdin closed')), 3000);
  await exited;
  clearTimeout(t);

  if (VERBOSE) {
    console.log(`access_token header ${JSON.stringify(header)}`);
    console.log(`access_token claims ${JSON.stringify(claims)}`);
    console.log(`cookies ${[...jar.values()].map((c) => `${c.name}@${c.path}`).join(' ')}`);
  }
  clearTimeout(watchdog);
  console.log('selftest ok');
  process.exit(0);
} catch (err) {
  fail(err);
}
