//! Azure errors as Terraform shows them: the service's own message on a line of its own, so
//! that it reads (and can be searched for) exactly as Azure wrote it, with what happened
//! around it in plain words.

use kusto_arm::Error;

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
        Error::Http(http) => {
            let code = http
                .code
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            let request = http
                .request_id
                .as_deref()
                .map(|id| format!("\n\nAzure request id: {id}"))
                .unwrap_or_default();
            format!(
                "Azure Resource Manager answered HTTP {}{code}:\n\n{}{request}",
                http.status, http.message
            )
        }
        other => format!("{}.", capitalised(&without_repeats(&other.to_string()))),
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
