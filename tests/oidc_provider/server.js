// A real OpenID Connect provider for Civic's tests: panva's oidc-provider
// (OpenID Certified), configured like FranceConnect (its scopes, claim names
// and acr "eidas1"), with its own sign-in page. Started on loopback by
// tests/oidc.py; never exposed beyond 127.0.0.1.
//
//   node server.js CONFIG.json
//
// CONFIG: {"port": 0, "clients": [{client_id, client_secret, redirect_uris,
//          post_logout_redirect_uris, token_endpoint_auth_method}],
//          "accounts": {"login": {"password": "...", "claims": {...}}}}
// Prints "listening <issuer>" on stdout once it accepts connections.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import querystring from 'node:querystring';

import Provider from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const port = config.port;
const issuer = `http://127.0.0.1:${port}`;

// FranceConnect's scopes are named after the claim each one releases.
const FRANCECONNECT_CLAIMS = ['given_name', 'family_name', 'birthdate', 'birthplace', 'birthcountry',
  'gender', 'preferred_name', 'email'];
const claims = { openid: ['sub'] };
for (const name of FRANCECONNECT_CLAIMS) claims[name] = [name];
claims.profile = ['given_name', 'family_name', 'birthdate', 'gender', 'preferred_name'];
claims.email = ['email', 'email_verified'];

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'civic-test', use: 'sig', alg: 'RS256' };

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title></head>
<body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;

const provider = new Provider(issuer, {
  clients: config.clients.map((c) => ({
    response_types: ['code'], grant_types: ['authorization_code'], id_token_signed_response_alg: 'RS256', ...c,
  })),
  jwks: { keys: [jwk] },
  cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
  claims,
  scopes: ['openid', 'offline_access', ...FRANCECONNECT_CLAIMS, 'profile', 'email'],
  acrValues: ['eidas1', 'eidas2', 'eidas3'],
  pkce: { required: () => true },
  findAccount: async (ctx, id) => {
    const account = config.accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account.claims }) };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page('Déconnexion', `${form}<button type="submit" form="op.logoutForm" value="yes" name="logout">Me déconnecter</button>`);
      },
      postLogoutSuccessSource: async (ctx) => { ctx.body = page('Vous êtes déconnecté', ''); },
    },
  },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = page('Erreur', `<pre>${esc(JSON.stringify(out))}</pre>`);
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

function loginForm(uid, error = '', login = '') {
  return page('Connexion au fournisseur de test', `
${error ? `<p role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login">
<p><label for="login">Identifiant</label> <input id="login" name="login" value="${esc(login)}" autocomplete="username" required></p>
<p><label for="password">Mot de passe</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Se connecter</button></p>
</form>`);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return querystring.parse(body);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    if (req.method === 'POST' && action === 'login') {
      const form = await readForm(req);
      const account = config.accounts[form.login];
      if (!account || account.password !== form.password) {
        res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' });
        res.end(loginForm(uid, 'Identifiant ou mot de passe incorrect.', form.login || ''));
        return;
      }
      const acr = (details.params.acr_values || 'eidas1').split(' ')[0];
      await provider.interactionFinished(req, res, { login: { accountId: form.login, acr } },
        { mergeWithLastSubmission: false });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(loginForm(uid));
    return;
  }
  // Consent is given at once, as FranceConnect does for a partner's scopes.
  const { prompt: { details: missing }, params, session: { accountId } } = details;
  const grant = details.grantId ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: details.grantId ? {} : { grantId } },
    { mergeWithLastSubmission: true });
}

const handler = provider.callback();
const server = http.createServer((req, res) => {
  const match = req.url.match(/^\/interaction\/([\w-]+)(?:\/(login))?(?:\?.*)?$/);
  if (!match) { handler(req, res); return; }
  interaction(req, res, match[1], match[2]).catch((err) => {
    console.error('interaction', err);
    res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page('Erreur', `<p>${esc(err.message)}</p>`));
  });
});
server.listen(port, '127.0.0.1', () => { console.log(`listening ${issuer}`); });
