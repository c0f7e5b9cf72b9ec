//! Which Azure cloud to talk to: its Entra authority, its ARM endpoint and the token scope.
//!
//! Three clouds are built in, as azurerm's `environment` argument (`public`, `usgovernment`,
//! `china`). Any other (Azure Stack, a sovereign cloud, the local emulator) is described by a
//! `metadata_host`: like azurerm, the client reads
//! `https://{metadata_host}/metadata/endpoints?api-version=2022-09-01` and takes
//! `authentication.loginEndpoint` as authority, `resourceManager` as ARM base URL and the first
//! of `authentication.audiences` as token audience.

use std::fmt;

use serde::Deserialize;
use url::Url;

use super::context::CallContext;
use super::error::{Error, Result};
use super::transport::{HttpClient, Request};

/// The cloud configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Cloud {
    /// Azure public cloud (`environment = "public"`).
    #[default]
    Public,
    /// Azure US Government (`environment = "usgovernment"`).
    UsGovernment,
    /// Azure China (`environment = "china"`).
    China,
    /// Endpoints discovered from `https://{host}/metadata/endpoints` (`metadata_host`,
    /// `host[:port]`, no scheme).
    MetadataHost(String),
}

impl Cloud {
    /// Parses azurerm's `environment` values (case-insensitive).
    pub fn from_environment(name: &str) -> Result<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "public" => Ok(Self::Public),
            "usgovernment" => Ok(Self::UsGovernment),
            "china" => Ok(Self::China),
            other => Err(Error::Config(format!(
                "environment {other:?} is not one of \"public\", \"usgovernment\", \"china\" (use metadata_host for other clouds)"
            ))),
        }
    }

    /// Resolves the endpoints, fetching the metadata document when needed.
    pub(crate) async fn resolve(
        &self,
        http: &dyn HttpClient,
        ctx: &CallContext,
    ) -> Result<Endpoints> {
        let known =
            |authority: &str, arm: &str, audience: &str| Endpoints::new(authority, arm, audience);
        match self {
            Self::Public => known(
                "https://login.microsoftonline.com",
                "https://management.azure.com/",
                "https://management.azure.com/",
            ),
            Self::UsGovernment => known(
                "https://login.microsoftonline.us",
                "https://management.usgovcloudapi.net/",
                "https://management.usgovcloudapi.net/",
            ),
            Self::China => known(
                "https://login.chinacloudapi.cn",
                "https://management.chinacloudapi.cn/",
                "https://management.chinacloudapi.cn/",
            ),
            Self::MetadataHost(host) => fetch_metadata(host, http, ctx).await,
        }
    }
}

/// The endpoints of one cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoints {
    /// Entra ID authority host (`https://login.microsoftonline.com`).
    pub authority_host: Url,
    /// ARM base URL (`https://management.azure.com/`).
    pub resource_manager: Url,
    /// OAuth2 scope for ARM tokens (`https://management.azure.com/.default`).
    pub scope: String,
}

impl Endpoints {
    fn new(authority: &str, resource_manager: &str, audience: &str) -> Result<Self> {
        let parse = |what: &str, value: &str| {
            Url::parse(value).map_err(|e| {
                Error::Config(format!("the cloud's {what} {value:?} is not a URL: {e}"))
            })
        };
        let mut resource_manager = parse("resourceManager endpoint", resource_manager)?;
        if !resource_manager.path().ends_with('/') {
            let path = format!("{}/", resource_manager.path());
            resource_manager.set_path(&path);
        }
        Ok(Self {
            authority_host: parse("login endpoint", authority)?,
            resource_manager,
            scope: format!("{}/.default", audience.trim_end_matches('/')),
        })
    }
}

impl fmt::Display for Endpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "authority {}, resource manager {}, scope {}",
            self.authority_host, self.resource_manager, self.scope
        )
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    resource_manager: Option<String>,
    authentication: Option<Authentication>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Authentication {
    login_endpoint: Option<String>,
    #[serde(default)]
    audiences: Vec<String>,
}

async fn fetch_metadata(host: &str, http: &dyn HttpClient, ctx: &CallContext) -> Result<Endpoints> {
    let host = host.trim().trim_end_matches('/');
    if host.is_empty() || host.contains("://") {
        return Err(Error::Config(format!(
            "metadata_host {host:?} must be a host name with an optional port, without a scheme"
        )));
    }
    let address = format!("https://{host}/metadata/endpoints?api-version=2022-09-01");
    let url = Url::parse(&address)
        .map_err(|e| Error::Config(format!("metadata_host {host:?} is not a valid host: {e}")))?;
    let request = Request::new(http::Method::GET, url);
    let response = ctx
        .run("the cloud metadata", http.execute(request))
        .await
        .map_err(|e| {
            let reading = |msg| format!("reading cloud metadata from {address}: {msg}");
            match e {
                Error::Transport(msg) => Error::Transport(reading(msg)),
                Error::Connect(msg) => Error::Connect(reading(msg)),
                other => other,
            }
        })?;
    if !response.status.is_success() {
        return Err(Error::Config(format!(
            "reading cloud metadata from {address} returned HTTP {}",
            response.status.as_u16()
        )));
    }
    let body = response
        .body
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(&response.body);
    let metadata: Metadata = serde_json::from_slice(body).map_err(|e| {
        Error::Decode(format!(
            "the cloud metadata from {address} is not the expected JSON object: {e}"
        ))
    })?;
    let missing =
        |field: &str| Error::Decode(format!("the cloud metadata from {address} has no {field}"));
    let required = |value: Option<String>, field: &str| {
        value
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing(field))
    };
    let resource_manager = required(metadata.resource_manager, "resourceManager")?;
    let Some(authentication) = metadata.authentication else {
        return Err(missing("authentication"));
    };
    let login = required(
        authentication.login_endpoint,
        "authentication.loginEndpoint",
    )?;
    let first_audience = authentication.audiences.into_iter().find(|a| !a.is_empty());
    let audience = required(first_audience, "authentication.audiences")?;
    Endpoints::new(&login, &resource_manager, &audience)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{MockHttp, response};
    use std::time::Duration;

    #[test]
    fn environments_parse() {
        assert_eq!(Cloud::from_environment("Public").unwrap(), Cloud::Public);
        assert_eq!(
            Cloud::from_environment("usgovernment").unwrap(),
            Cloud::UsGovernment
        );
        assert!(
            Cloud::from_environment("german")
                .unwrap_err()
                .to_string()
                .contains("metadata_host")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn public_cloud_needs_no_request() {
        let http = MockHttp::new(vec![]);
        let ctx = CallContext::with_timeout(Duration::from_secs(5));
        let endpoints = Cloud::Public.resolve(&http, &ctx).await.unwrap();
        assert_eq!(endpoints.scope, "https://management.azure.com/.default");
        assert_eq!(http.requests().len(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn metadata_host_is_read_like_azurerm() {
        let body = "\u{feff}{\"name\":\"Emu\",\"resourceManager\":\"https://localhost:8443\",\
            \"authentication\":{\"loginEndpoint\":\"https://localhost:8443\",\
            \"audiences\":[\"https://localhost:8443/\"],\"tenant\":\"common\"}}";
        let http = MockHttp::new(vec![response(200, &[], body)]);
        let ctx = CallContext::with_timeout(Duration::from_secs(5));
        let endpoints = Cloud::MetadataHost("localhost:8443".into())
            .resolve(&http, &ctx)
            .await
            .unwrap();
        assert_eq!(
            endpoints.resource_manager.as_str(),
            "https://localhost:8443/"
        );
        assert_eq!(endpoints.authority_host.as_str(), "https://localhost:8443/");
        assert_eq!(endpoints.scope, "https://localhost:8443/.default");
        let requests = http.requests();
        assert_eq!(
            requests[0].url.as_str(),
            "https://localhost:8443/metadata/endpoints?api-version=2022-09-01"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn bad_metadata_is_explained() {
        let ctx = CallContext::with_timeout(Duration::from_secs(5));
        let http = MockHttp::new(vec![response(404, &[], "")]);
        let err = Cloud::MetadataHost("h:1".into())
            .resolve(&http, &ctx)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("returned HTTP 404"), "{err}");

        let http = MockHttp::new(vec![response(
            200,
            &[],
            "{\"resourceManager\":\"https://x/\"}",
        )]);
        let err = Cloud::MetadataHost("h:1".into())
            .resolve(&http, &ctx)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("has no authentication"), "{err}");

        let err = Cloud::MetadataHost("https://h".into())
            .resolve(&http, &ctx)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("without a scheme"), "{err}");
    }
}
