"""Entra ID's token errors: the AADSTS codes and the JSON body a faithful stand-in returns.

Codes from EXO-LAB-NOTES and Entra's public error code reference; the wording of texts
marked GUESS is from memory of real responses, not a documented contract (clients should
branch on ``error_codes``, never on the text).
"""
import datetime
import uuid
from dataclasses import dataclass

DOCS = "https://learn.microsoft.com/entra/identity-platform/certificate-credentials"


@dataclass(frozen=True)
class EntraError(Exception):
    status: int
    error: str
    code: int
    text: str

    def body(self, correlation_id: str | None = None) -> dict:
        """The JSON Entra answers with; the description ends with trace, correlation and time lines."""
        now = datetime.datetime.now(datetime.timezone.utc)
        timestamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
        trace_id = str(uuid.uuid4())
        # Entra echoes the client's client-request-id as correlation id.
        correlation_id = correlation_id or str(uuid.uuid4())
        return {
            "error": self.error,
            "error_description": (f"AADSTS{self.code}: {self.text} Trace ID: {trace_id} "
                                  f"Correlation ID: {correlation_id} Timestamp: {timestamp}"),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.code}",
        }


def _iso(seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def unknown_tenant(tenant: str) -> EntraError:
    return EntraError(400, "invalid_request", 90002,
                      f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
                      "signing into the correct cloud. Check with your subscription administrator, this may happen "
                      "if there are no active subscriptions for the tenant.")


def missing_parameter(name: str) -> EntraError:
    return EntraError(400, "invalid_request", 900144,
                      f"The request body must contain the following parameter: '{name}'.")


def unsupported_grant(grant_type: str) -> EntraError:
    # GUESS: wording.
    return EntraError(400, "unsupported_grant_type", 70003,
                      f"The app requested an unsupported grant type '{grant_type}'.")


def unknown_client(client_id: str, tenant_id: str) -> EntraError:
    return EntraError(400, "unauthorized_client", 700016,
                      f"Application with identifier '{client_id}' was not found in the directory '{tenant_id}'. "
                      "This can happen if the application has not been installed by the administrator of the "
                      "tenant or consented to by any user in the tenant. You may have sent your authentication "
                      "request to the wrong tenant.")


def invalid_scope(scope: str) -> EntraError:
    return EntraError(400, "invalid_scope", 1002012,
                      f"The provided value for scope {scope} is not valid. Client credential flows must have a "
                      "scope value with /.default suffixed to the resource identifier (application ID URI).")


def unknown_resource(resource: str, tenant_domain: str) -> EntraError:
    return EntraError(400, "invalid_resource", 500011,
                      f"The resource principal named {resource} was not found in the tenant named {tenant_domain}. "
                      "This can happen if the application has not been installed by the administrator of the "
                      "tenant or consented to by any user in the tenant. You might have sent your authentication "
                      "request to the wrong tenant.")


def missing_credential() -> EntraError:
    return EntraError(401, "invalid_client", 7000218,
                      "The request body must contain the following parameter: 'client_assertion' or "
                      "'client_secret'.")


def malformed_assertion() -> EntraError:
    # GUESS: code and wording for a client_assertion that is not a JWT.
    return EntraError(400, "invalid_request", 50027, "JWT token is invalid or malformed.")


def key_not_found(thumbprint: str, client_id: str) -> EntraError:
    # GUESS: the bracketed reason (real texts go on to point at MS Graph).
    return EntraError(401, "invalid_client", 700027,
                      f"Client assertion contains an invalid signature. [Reason - The key was not found., "
                      f"Thumbprint of key used by client: '{thumbprint}', Please visit the Azure Portal, Graph "
                      f"Explorer or directly use MS Graph to see configured keys for app Id '{client_id}'.]")


def bad_signature(thumbprint: str, client_id: str) -> EntraError:
    # GUESS: the bracketed reason.
    return EntraError(401, "invalid_client", 700027,
                      f"Client assertion contains an invalid signature. [Reason - The provided signature value did "
                      f"not match the expected signature value., Thumbprint of key used by client: '{thumbprint}', "
                      f"Found key 'Start=..., End=...' for app Id '{client_id}'.]")


def wrong_audience(audience: str) -> EntraError:
    # GUESS: wording.
    return EntraError(401, "invalid_client", 700212,
                      f"No matching federated identity record found for presented assertion audience '{audience}'. "
                      f"Please note that the matching is done using a case-sensitive comparison.")


def not_in_time_range(now: float, issued: float, expires: float) -> EntraError:
    return EntraError(401, "invalid_client", 700024,
                      f"Client assertion is not within its valid time range. Current time: {_iso(now)}, assertion "
                      f"valid from {_iso(issued)}, expiry time of assertion {_iso(expires)}. Review the "
                      f"documentation at {DOCS} .")


def issuer_mismatch(issuer: str, client_id: str) -> EntraError:
    # GUESS: wording.
    return EntraError(401, "invalid_client", 700023,
                      f"Client assertion issuer '{issuer}' doesn't match 'client_id' parameter '{client_id}'. "
                      f"Review the documentation at {DOCS} .")


def subject_mismatch(subject: str, client_id: str) -> EntraError:
    # GUESS: wording.
    return EntraError(401, "invalid_client", 700021,
                      f"Client assertion application identifier '{subject}' doesn't match 'client_id' parameter "
                      f"'{client_id}'. Review the documentation at {DOCS} .")


def invalid_secret(client_id: str) -> EntraError:
    return EntraError(401, "invalid_client", 7000215,
                      "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                      f"secret value, not the client secret ID, for a secret added to app '{client_id}'.")
