"""A resource authorization server for the seed's Step 3: Authlib's IDJAGGrant behind Flask.

Started by tests/token_endpoint_authlib.rs. Environment: IDP_ISSUER and IDP_JWKS (the trusted
IdP and its key set URL), AS_ISSUER (this server's issuer, the expected ID-JAG aud), and
optionally AS_CLOCK_AHEAD_SECS (a server whose clock runs that far ahead). Registered
client: app-at-files / resource-secret, authenticating with client_secret_post. Prints
"listening PORT" once it serves on 127.0.0.1.
"""

import json
import os
import sys
import time
import urllib.request

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.drafts.id_jag import IDJAGGrant
from authlib.oauth2.rfc6749 import ClientMixin, InvalidGrantError
from flask import Flask
from joserfc import jwk
from werkzeug.serving import make_server

IDP_ISSUER = os.environ["IDP_ISSUER"]
IDP_JWKS = os.environ["IDP_JWKS"]
AS_ISSUER = os.environ["AS_ISSUER"]

# A clock running ahead moves every time.time() reading of this process: Authlib's and
# joserfc's expiry checks and the Date header of each answer alike.
_AHEAD = int(os.environ.get("AS_CLOCK_AHEAD_SECS", "0"))
if _AHEAD:
    _real_time = time.time
    time.time = lambda: _real_time() + _AHEAD


class Client(ClientMixin):
    def __init__(self, client_id, secret):
        self.client_id = client_id
        self.secret = secret

    def get_client_id(self):
        return self.client_id

    def check_client_secret(self, client_secret):
        return client_secret == self.secret

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "client_secret_post"

    def check_grant_type(self, grant_type):
        return grant_type == IDJAGGrant.GRANT_TYPE

    def get_allowed_scope(self, scope):
        return scope


CLIENTS = {"app-at-files": Client("app-at-files", "resource-secret")}
SEEN_JTI = set()


class Grant(IDJAGGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_post"]

    def get_audiences(self):
        return [AS_ISSUER]

    def resolve_issuer_key(self, issuer, headers):
        if issuer != IDP_ISSUER:
            raise InvalidGrantError(description="Untrusted issuer")
        with urllib.request.urlopen(IDP_JWKS, timeout=5) as r:
            return jwk.KeySet.import_key_set(json.load(r))

    def authenticate_user(self, subject):
        return None if subject == "nobody" else {"sub": subject}

    def check_jti(self, claims, jti):
        if jti in SEEN_JTI:
            return False
        SEEN_JTI.add(jti)
        return True

    def check_id_jag_permission(self, client, user, scopes):
        return True


app = Flask(__name__)
server = AuthorizationServer(
    app,
    query_client=CLIENTS.get,
    save_token=lambda token, request: None,
)
server.register_grant(Grant)


@app.route("/token", methods=["POST"])
def token():
    return server.create_token_response()


if __name__ == "__main__":
    httpd = make_server("127.0.0.1", 0, app)
    print(f"listening {httpd.server_port}", flush=True)
    sys.stdout.flush()
    httpd.serve_forever()
