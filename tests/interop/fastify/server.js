// A tiny resource server protected by @fastify/jwt with get-jwks (npm), run as authlens's
// upstream by tests/interop_fastify.rs. It listens on 127.0.0.1 (port from PORT, 0 = any) and
// prints `listening <port>` once ready. ISSUER, JWKS_URI and AUDIENCE configure it. fastify 4
// (not 5) because it still runs on Debian 12's Node 18.
'use strict';

const fastify = require('fastify')();
const buildGetJwks = require('get-jwks');

const jwksUrl = new URL(process.env.JWKS_URI);
const getJwks = buildGetJwks({ jwksPath: jwksUrl.pathname, providerDiscovery: false });

// The plugin's documented JWKS setup; the key set is fetched from JWKS_URI's origin.
fastify.register(require('@fastify/jwt'), {
  decode: { complete: true },
  secret: (request, token) =>
    getJwks.getPublicKey({ kid: token.header.kid, alg: token.header.alg, domain: jwksUrl.origin }),
  verify: {
    allowedIss: process.env.ISSUER,
    allowedAud: process.env.AUDIENCE,
    algorithms: ['ES256'],
  },
});

fastify.get('/health', async () => ({ ok: true }));

// The plugin's errors go to fastify's default error handler, which answers
// `{statusCode, code, error, message}` with the error's status.
fastify.get('/files', { onRequest: [(request) => request.jwtVerify()] }, async () => ({
  files: [],
}));

fastify.listen({ port: Number(process.env.PORT || 0), host: '127.0.0.1' }).then(() => {
  console.log(`listening ${fastify.server.address().port}`);
});

// Exit when the test (our parent) closes stdin, so no server outlives its test.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
