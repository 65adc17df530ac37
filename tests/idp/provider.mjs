// The identity provider Roadbook's tests sign in against in place of Okta: oidc-provider, an
// OpenID Certified implementation, set up the way Roadbook's Okta app is: a native public client
// (PKCE, no secret, loopback redirect), a groups claim in the ID token and the access token, JWT
// access tokens for the API's audience (`typ: at+jwt`), refresh tokens that rotate, revocation,
// and the development login form (any password) so a script can sign in without a person.
//
// Settings come from the environment (the test harness sets them):
//   ROADBOOK_IDP_PORT          the port on 127.0.0.1 (required)
//   ROADBOOK_IDP_PEOPLE        JSON: { login: { name, email, groups: [...] } }
//   ROADBOOK_IDP_CLIENT_ID     default roadbook-desktop
//   ROADBOOK_IDP_AUDIENCE      default api://roadbook
//   ROADBOOK_IDP_ACCESS_TTL    access token lifetime in seconds, default 300
//   ROADBOOK_IDP_REFRESH_TTL   refresh token lifetime in seconds, default 86400
// It prints "ready ISSUER" on its first line once it listens.
import Provider, { interactionPolicy } from 'oidc-provider';

const port = Number(process.env.ROADBOOK_IDP_PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error('ROADBOOK_IDP_PORT must be a port number');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const people = JSON.parse(process.env.ROADBOOK_IDP_PEOPLE || '{}');
const clientId = process.env.ROADBOOK_IDP_CLIENT_ID || 'roadbook-desktop';
const audience = process.env.ROADBOOK_IDP_AUDIENCE || 'api://roadbook';
const accessTtl = Number(process.env.ROADBOOK_IDP_ACCESS_TTL || 300);
const refreshTtl = Number(process.env.ROADBOOK_IDP_REFRESH_TTL || 86400);
const apiScope = 'roadbook';

function person(login) {
  return people[login] || { name: login, email: `${login}@example.test`, groups: [] };
}

// Native clients are always asked to consent; a test signs in without a person, so consent is
// given by the grant below instead (the login itself still goes through the form).
const policy = interactionPolicy.base();
policy.get('consent').checks.remove('native_client_prompt');

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      // RFC 8252 §7.3: the port of a loopback redirect is not compared.
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
  ],
  pkce: { required: () => true },
  interactions: { policy },
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'groups', apiScope],
  // Groups in the ID token too, not only from the userinfo endpoint.
  conformIdTokenClaims: false,
  async findAccount(_ctx, sub) {
    const who = person(sub);
    return {
      accountId: sub,
      async claims() {
        return { sub, name: who.name, email: who.email, email_verified: true, groups: who.groups };
      },
    };
  },
  async extraTokenClaims(_ctx, token) {
    if (!token.accountId) return undefined;
    const who = person(token.accountId);
    // The email is one the directory checked, and the token says so (Okta: a custom claim).
    return { name: who.name, email: who.email, email_verified: true, groups: who.groups };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(`openid offline_access profile email groups ${apiScope}`);
    grant.addOIDCClaims(['name', 'email', 'groups']);
    grant.addResourceScope(audience, apiScope);
    await grant.save();
    return grant;
  },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: accessTtl,
    IdToken: 3600,
    RefreshToken: refreshTtl,
    Grant: refreshTtl,
    Session: refreshTtl,
    Interaction: 600,
    AuthorizationCode: 60,
  },
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource !== audience) {
          throw new Error(`unknown resource ${resource}`);
        }
        return {
          scope: apiScope,
          audience,
          accessTokenFormat: 'jwt',
          accessTokenTTL: accessTtl,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
// The harness closes stdin when it is done: stop with it, whatever happened to the harness.
process.stdin.resume();
process.stdin.on('end', () => {
  server.close();
  process.exit(0);
});
