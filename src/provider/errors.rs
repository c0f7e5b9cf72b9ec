//! Azure errors as Terraform shows them: the service's own message on a line of its own, so
//! that it reads (and can be searched for) exactly as Azure wrote it, with what happened
//! around it in plain words.

use crate::azure::Error;

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
        Error::Http {
            status,
            code,
            message,
            request_id,
        } => {
            let code = code
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            let request = request_id
                .as_deref()
                .map(|id| format!("\n\nAzure request id: {id}"))
                .unwrap_or_default();
            format!("Azure Resource Manager answered HTTP {status}{code}:\n\n{message}{request}")
        }
        other => format!("{}.", capitalised(&other.to_string())),
    }
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
        let http = Error::Http {
            status: 403,
            code: Some("AuthorizationFailed".into()),
            message: "The client does not have authorization.".into(),
            request_id: Some("r-1".into()),
        };
        assert_eq!(
            explain(&http),
            "Azure Resource Manager answered HTTP 403 (AuthorizationFailed):\n\nThe client does \
             not have authorization.\n\nAzure request id: r-1"
        );
        assert_eq!(explain(&Error::Cancelled), "The operation was cancelled.");
    }
}
