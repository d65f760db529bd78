// A real OpenID Connect provider (npm oidc-provider) for the tests, on a free localhost port.
//
// Usage: node provider.mjs '<json>' where json is {"clients": [{client_id, client_secret, redirect_uris}]}.
// Prints one line {"issuer": "http://127.0.0.1:PORT"} once it listens. Its sign-in page asks for an email
// address and a name (any address is accepted: it stands in for NHSmail); consent is given without a page.
import http from "node:http";
import { once } from "node:events";

import Provider from "oidc-provider";

const options = JSON.parse(process.argv[2] || "{}");
const accounts = new Map(); // sub -> {email, name, email_verified}

function subjectFor(email) {
  return "sub-" + Buffer.from(email.toLowerCase()).toString("hex");
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(uid, client) {
  return `<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Test identity provider: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>
<h1>Test identity provider</h1><p>Sign in to continue to ${escape(client)}.</p>
<form method="post" action="/interaction/${escape(uid)}">
<p><label for="email">Email address</label><br><input id="email" name="email" type="email" autocomplete="username"></p>
<p><label for="name">Full name</label><br><input id="name" name="name" type="text" autocomplete="name"></p>
<p><button type="submit">Sign in</button></p></form></main></body></html>`;
}

async function readForm(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return Object.fromEntries(new URLSearchParams(body));
}

const server = http.createServer();
server.listen(0, "127.0.0.1");
await once(server, "listening");
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: options.clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    redirect_uris: c.redirect_uris,
    response_types: ["code"],
    grant_types: ["authorization_code"],
    token_endpoint_auth_method: "client_secret_basic",
  })),
  // Email and name in the ID token itself, as Entra ID sends them.
  conformIdTokenClaims: false,
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ["test-only-cookie-key"] },
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...account }) };
  },
});
provider.on("server_error", (ctx, error) => console.error("server_error", error));

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error("interaction mismatch");
  if (details.prompt.name === "consent") {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    grant.addOIDCScope("openid email profile");
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (req.method === "GET") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    return res.end(page(uid, details.params.client_id));
  }
  const form = await readForm(req);
  const email = (form.email || "").trim();
  const sub = subjectFor(email);
  accounts.set(sub, { email, name: form.name || email, email_verified: form.unverified !== "1" });
  return provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
server.on("request", async (req, res) => {
  const match = /^\/interaction\/([^/?]+)/.exec(req.url);
  if (!match) return callback(req, res);
  try {
    await interaction(req, res, match[1]);
  } catch (error) {
    console.error(error);
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(error));
  }
});

console.log(JSON.stringify({ issuer }));
