//! Azure errors as Terraform shows them: the service's own message on a line of its own, so
//! that it reads (and can be searched for) exactly as Azure wrote it, with what happened
//! around it in plain words.

use kusto_arm::{Error, SignInError};

use crate::config::sign_in::{
    CLIENT_CERTIFICATE_PATH, CLIENT_ID, CLIENT_SECRET, OIDC_TOKEN_FILE_PATH, TENANT_ID,
};

/// The diagnostic detail for `error`, in paragraphs.
pub(crate) fn explain(error: &Error) -> String {
    match error {
        Error::Accepted(inner) => format!(
            "Azure accepted the request, but it did not complete.\n\n{}",
            explain(inner)
        ),
        Error::Lro {
            status,
            code,
            message,
        } => format!("The Azure operation ended {status} with error {code}:\n\n{message}"),
        Error::Http(http) => format!(
            "Azure Resource Manager answered HTTP {}{}:\n\n{}{}",
            http.status,
            around(&http.code, " (", ")"),
            http.message,
            around(&http.request_id, "\n\nAzure request id: ", "")
        ),
        Error::SignIn(refusal) => format!(
            "Microsoft Entra ID refused the {} sign-in of application {} in tenant {} (HTTP \
             {}):\n\n{}{}\n\n{}{}",
            refusal.method,
            refusal.client_id,
            refusal.tenant_id,
            refusal.answer.status,
            around(&refusal.answer.code, "", ": "),
            refusal.answer.message,
            what_to_check(refusal),
            around(&refusal.answer.request_id, "\n\nEntra trace id: ", "")
        ),
        Error::Connect(reason) if untrusted(reason) => format!(
            "{}.\n\nThe server's certificate is not trusted. If it comes from a private CA (the \
             local emulator's, or a company proxy's), set the SSL_CERT_FILE environment variable \
             to that CA's PEM file.",
            capitalised(&without_repeats(&error.to_string()))
        ),
        other => format!("{}.", capitalised(&without_repeats(&other.to_string()))),
    }
}

/// `value` between `before` and `after`, or nothing.
fn around(value: &Option<String>, before: &str, after: &str) -> String {
    value
        .as_deref()
        .map_or_else(String::new, |v| format!("{before}{v}{after}"))
}

/// Whether a connection failed because the server's certificate chain is not trusted.
fn untrusted(reason: &str) -> bool {
    [
        "UnknownIssuer",
        "unknown issuer",
        "UnknownCA",
        "self-signed",
        "self signed",
    ]
    .iter()
    .any(|sign| reason.contains(sign))
}

/// What to look at after Entra's refusal, by its AADSTS code, in the provider's own terms.
fn what_to_check(refusal: &SignInError) -> String {
    let code = refusal.answer.code.as_deref().unwrap_or_default();
    let federated = refusal.method.contains("OIDC");
    match code {
        "AADSTS7000215" | "AADSTS7000222" => format!(
            "Check {}: it must be the value of a current secret of the application (not the \
             secret's ID).",
            CLIENT_SECRET.named()
        ),
        "AADSTS700016" => format!(
            "Check {} and {}: the application must exist in that tenant.",
            CLIENT_ID.named(),
            TENANT_ID.named()
        ),
        "AADSTS90002" | "AADSTS900023" => format!("Check {}.", TENANT_ID.named()),
        "AADSTS700027" => format!(
            "Check {}: its certificate must be one registered on the application, and the \
             file must hold the matching private key.",
            CLIENT_CERTIFICATE_PATH.named()
        ),
        "AADSTS70021" | "AADSTS700211" | "AADSTS700212" | "AADSTS700213" => {
            "Check the application's federated credentials: one must trust this token's issuer \
             and subject (in GitHub Actions `repo:OWNER/REPO:environment:NAME` or \
             `repo:OWNER/REPO:ref:refs/heads/BRANCH`; in Azure DevOps the service connection's \
             subject), with audience `api://AzureADTokenExchange`."
                .to_owned()
        }
        "AADSTS700024" if federated => format!(
            "The OIDC token has expired. A token from {} must be refreshed by the platform; \
             a token given inline lasts only minutes.",
            OIDC_TOKEN_FILE_PATH.named()
        ),
        _ => format!(
            "Check {}, {} and the {} settings.",
            TENANT_ID.named(),
            CLIENT_ID.named(),
            refusal.method
        ),
    }
}

/// `text` without the causes it already states. Errors from the Azure SDK embed their
/// cause's message and also return it as their source, so a message joined from an error and
/// its sources says the same reason two or three times: "X: Y: Y" with Y already inside X. At
/// each `": "`, from the left, whatever follows is dropped when the text before already
/// contains all of it, so nothing the user needs is lost.
fn without_repeats(text: &str) -> String {
    let mut text = text.trim_end_matches('.');
    let mut from = 0;
    while let Some(found) = text[from..].find(": ") {
        let cut = from + found;
        let (head, tail) = (&text[..cut], &text[cut + 2..]);
        if !tail.is_empty() && head.contains(tail.trim_end_matches('.')) {
            text = head;
            from = 0;
        } else {
            from = cut + 2;
        }
    }
    text.to_owned()
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kusto_arm::HttpError;

    #[test]
    fn service_messages_stand_on_their_own_lines() {
        let error = Error::Accepted(Box::new(Error::Lro {
            status: "Failed".into(),
            code: "InternalServerError".into(),
            message: "[InternalServerError] Ingestion resources are exhausted.".into(),
        }));
        assert_eq!(
            explain(&error),
            "Azure accepted the request, but it did not complete.\n\nThe Azure operation ended \
             Failed with error InternalServerError:\n\n[InternalServerError] Ingestion resources \
             are exhausted."
        );
        let http = Error::Http(HttpError {
            status: 403,
            code: Some("AuthorizationFailed".into()),
            message: "The client does not have authorization.".into(),
            request_id: Some("r-1".into()),
        });
        assert_eq!(
            explain(&http),
            "Azure Resource Manager answered HTTP 403 (AuthorizationFailed):\n\nThe client does \
             not have authorization.\n\nAzure request id: r-1"
        );
        assert_eq!(explain(&Error::Cancelled), "The operation was cancelled.");
    }

    /// The identity platform's refusal, as the Azure SDK reports it: its own message embeds
    /// the cause, and the cause follows twice more as the error's sources.
    #[test]
    fn a_cause_is_said_once() {
        let cause = "invalid type: string \"AADSTS7000215: Invalid client secret provided.\", \
                     expected a borrowed string at line 1 column 479";
        let sdk = format!(
            "ClientSecretCredential authentication failed. {cause}\nTo troubleshoot, visit \
             https://aka.ms/azsdk/rust/identity/troubleshoot#client-secret"
        );
        let error = Error::Credential(format!("{sdk}: {cause}: {cause}"));
        let text = explain(&error);
        assert_eq!(
            text,
            format!("Could not obtain an Azure access token: {sdk}.")
        );
        assert_eq!(text.matches("AADSTS7000215").count(), 1, "{text}");
    }

    #[test]
    fn distinct_causes_are_all_kept() {
        let error =
            Error::Transport("error sending request: connection refused: tcp connect error".into());
        assert_eq!(
            explain(&error),
            "Could not reach Azure: error sending request: connection refused: tcp connect error."
        );
        assert_eq!(without_repeats("a: a"), "a");
        assert_eq!(without_repeats("key: value: "), "key: value: ");
        assert_eq!(without_repeats(""), "");
    }
}
