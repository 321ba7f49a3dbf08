// A tiny resource server protected by express-jwt with jwks-rsa (npm), run as authlens's
// upstream by tests/interop_express_jwt.rs. It listens on 127.0.0.1 (port from PORT, 0 = any)
// and prints `listening <port>` once ready. ISSUER, JWKS_URI and AUDIENCE configure it.
'use strict';

const express = require('express');
const { expressjwt } = require('express-jwt');
const jwksRsa = require('jwks-rsa');

const app = express();

app.get('/health', (req, res) => res.json({ ok: true }));

// The README's setup: keys from the JWKS by kid, issuer, audience and algorithm checked.
app.get(
  '/files',
  expressjwt({
    secret: jwksRsa.expressJwtSecret({ jwksUri: process.env.JWKS_URI, cache: true }),
    issuer: process.env.ISSUER,
    audience: process.env.AUDIENCE,
    algorithms: ['ES256'],
  }),
  (req, res) => res.json({ files: [] }),
);

// The README's error handler: the library's status, code and message, as JSON.
app.use((err, req, res, next) => {
  if (err.name !== 'UnauthorizedError') {
    return next(err);
  }
  res.status(err.status).json({ code: err.code, message: err.message });
});

const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});

// Exit when the test (our parent) closes stdin, so no server outlives its test.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
