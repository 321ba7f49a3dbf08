// A tiny resource server protected by Auth0's express-oauth2-jwt-bearer, run as authlens's
// upstream by tests/interop_express.rs. It listens on 127.0.0.1 (port from PORT, 0 = any) and
// prints `listening <port>` once ready. ISSUER, JWKS_URI and AUDIENCE configure the middleware;
// the keys are fetched from the loopback JWKS server the test starts.
'use strict';

const express = require('express');
const { auth, claimEquals, requiredScopes } = require('express-oauth2-jwt-bearer');

const config = {
  issuer: process.env.ISSUER,
  jwksUri: process.env.JWKS_URI,
  audience: process.env.AUDIENCE,
  tokenSigningAlg: 'ES256',
};

const app = express();

app.get('/health', (req, res) => res.json({ ok: true }));

// The library's defaults. requiredScopes answers 403 with
// `Bearer realm="api", error="insufficient_scope", error_description="…", scope="files.read"`;
// auth() failures (401) carry a second challenge, `DPoP algs="…"`.
app.get('/files', auth(config), requiredScopes('files.read'), (req, res) => {
  res.json({ files: [] });
});

// A route authlens's config does not list: only the challenge's scope= says what is needed.
app.get('/reports', auth(config), requiredScopes('reports.read'), (req, res) => {
  res.json({ reports: [] });
});

// The scopes are fine, but only the owner may read: an application-level 403.
app.get('/files/:id', auth(config), requiredScopes('files.read'), (req, res) => {
  if (req.auth.payload.sub !== `owner-of-${req.params.id}`) {
    return res.status(403).json({ message: 'only the owner may read this file' });
  }
  res.json({ id: req.params.id });
});

// A claim authlens does not check: `Missing 'tenant' claim` or `Unexpected 'tenant' value` (401).
app.get('/tenant', auth(config), claimEquals('tenant', 'acme'), (req, res) => {
  res.json({ tenant: 'acme' });
});

// Errors go to express's own final handler, which sends the middleware's status and
// WWW-Authenticate header (NODE_ENV=production: an HTML page without a stack trace).

const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});

// Exit when the test (our parent) closes stdin, so no server outlives its test.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
