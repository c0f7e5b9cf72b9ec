//! A complete provider on the framework: `localfile`, whose one resource `localfile_file`
//! manages a file on the local disk. `main` is what a provider binary
//! (`terraform-provider-localfile`) does: it serves the provider the way Terraform starts
//! it. The tests drive the same provider through the framework server in-process, as
//! Terraform's plan and apply would.
//!
//! ```sh
//! cargo run -p terraform-plugin --example local_file -- --debug
//! ```

use std::io::ErrorKind;
use std::process::ExitCode;

use terraform_plugin::diag::Diagnostics;
use terraform_plugin::host::{self, Mode};
use terraform_plugin::planmod::{RequiresReplace, UseStateForUnknown};
use terraform_plugin::proto6;
use terraform_plugin::provider::{ConfigureRequest, Provider};
use terraform_plugin::resource::{
    CreateRequest, CreateResponse, DeleteRequest, DeleteResponse, ReadRequest, ReadResponse,
    Resource, ResourceHandle, UpdateRequest, UpdateResponse,
};
use terraform_plugin::schema::{Attribute, Schema};

/// The provider: no settings, so its configured data is `()`.
struct LocalFileProvider;

impl Provider for LocalFileProvider {
    type Data = ();

    fn type_name(&self) -> &'static str {
        "localfile"
    }

    fn schema(&self) -> Schema {
        Schema::new(0)
    }

    async fn configure(&self, _req: ConfigureRequest) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn resources(&self) -> Vec<ResourceHandle<()>> {
        vec![ResourceHandle::new(File)]
    }
}

/// `localfile_file`: a file at `path` holding `content`.
struct File;

impl File {
    /// Writes the planned content; a failure becomes an error diagnostic.
    async fn write(plan: &terraform_plugin::value::Value, diagnostics: &mut Diagnostics) {
        let path = plan.get_string("path").unwrap_or_default();
        let content = plan.get_string("content").unwrap_or_default();
        if let Err(error) = tokio::fs::write(&path, content).await {
            diagnostics.add_error("Cannot write the file", format!("{path}: {error}."));
        }
    }
}

impl Resource<()> for File {
    fn type_name(&self) -> &'static str {
        "localfile_file"
    }

    fn schema(&self) -> Schema {
        Schema::new(0)
            .description("A file on the local disk.")
            .attribute(
                Attribute::string("id")
                    .computed()
                    .description("The file's path.")
                    .plan_modifier(UseStateForUnknown),
            )
            .attribute(
                Attribute::string("path")
                    .required()
                    .description("Where the file is.")
                    .plan_modifier(RequiresReplace),
            )
            .attribute(
                Attribute::string("content")
                    .required()
                    .description("What the file holds."),
            )
    }

    async fn create(&self, req: CreateRequest<()>, resp: &mut CreateResponse) {
        Self::write(&req.plan, &mut resp.diagnostics).await;
        if resp.diagnostics.has_error() {
            resp.state = terraform_plugin::value::Value::Null;
            return;
        }
        resp.state
            .set("id", req.plan.get_string("path").unwrap_or_default());
    }

    async fn read(&self, req: ReadRequest<()>, resp: &mut ReadResponse) {
        let path = req.state.get_string("path").unwrap_or_default();
        match tokio::fs::read_to_string(&path).await {
            Ok(content) => resp.state.set("content", content),
            Err(error) if error.kind() == ErrorKind::NotFound => resp.remove(),
            Err(error) => resp
                .diagnostics
                .add_error("Cannot read the file", format!("{path}: {error}.")),
        }
    }

    async fn update(&self, req: UpdateRequest<()>, resp: &mut UpdateResponse) {
        Self::write(&req.plan, &mut resp.diagnostics).await;
        if resp.diagnostics.has_error() {
            resp.state = req.state;
        }
    }

    async fn delete(&self, req: DeleteRequest<()>, resp: &mut DeleteResponse) {
        let path = req.state.get_string("path").unwrap_or_default();
        match tokio::fs::remove_file(&path).await {
            Err(error) if error.kind() != ErrorKind::NotFound => resp
                .diagnostics
                .add_error("Cannot delete the file", format!("{path}: {error}.")),
            _ => {}
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let mode = match std::env::args().nth(1).as_deref() {
        Some("--debug") => Mode::Debug {
            provider_address: "registry.terraform.io/example/localfile",
        },
        _ => Mode::Managed,
    };
    host::logging::init("localfile", &["local_file"]);
    match host::serve(proto6::provider_routes(LocalFileProvider), mode).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use terraform_plugin::server::{ApplyResourceChangeRequest, PlanResourceChangeRequest, Server};
    use terraform_plugin::value::Value;

    const FILE: &str = "localfile_file";

    /// Plans `config` over `prior` as Terraform does (its proposal: the configuration with
    /// the prior `id`), then applies the plan, returning the new state.
    async fn plan_and_apply(
        server: &Server<LocalFileProvider>,
        prior: &Value,
        config: &Value,
    ) -> Value {
        let mut proposed = config.clone();
        if !config.is_null() {
            proposed.set("id", prior.attr("id").clone());
        }
        let plan = server
            .plan_resource_change(
                FILE,
                PlanResourceChangeRequest {
                    prior_state: prior.clone(),
                    proposed_state: proposed,
                    config: config.clone(),
                    prior_private: Vec::new(),
                    prior_identity: Value::Null,
                },
            )
            .await;
        assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
        let request = ApplyResourceChangeRequest::approved(prior.clone(), config.clone(), plan);
        let applied = server.apply_resource_change(FILE, request).await;
        assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
        applied.new_state
    }

    fn file_config(server: &Server<LocalFileProvider>, path: &str, content: &str) -> Value {
        let schema = server
            .resource_schemas()
            .find(|(name, _)| *name == FILE)
            .map(|(_, schema)| schema)
            .unwrap();
        let mut config = schema.body().empty_value();
        config.set("path", path);
        config.set("content", content);
        config
    }

    #[tokio::test]
    async fn creates_updates_refreshes_and_deletes_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("greeting.txt");
        let path_text = path.to_str().unwrap();
        let server = Server::new(LocalFileProvider);
        assert!(server.schema_diagnostics().is_empty());
        let empty = server.provider_schema().body().empty_value();
        assert!(
            server
                .configure_provider(empty, String::new())
                .await
                .is_empty()
        );

        let config = file_config(&server, path_text, "hello");
        let state = plan_and_apply(&server, &Value::Null, &config).await;
        assert_eq!(state.get_str("id"), Some(path_text));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello");

        let config = file_config(&server, path_text, "goodbye");
        let state = plan_and_apply(&server, &state, &config).await;
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "goodbye");

        std::fs::write(&path, "edited").unwrap();
        let read = server
            .read_resource(FILE, state.clone(), Vec::new(), Value::Null)
            .await;
        assert_eq!(read.new_state.get_str("content"), Some("edited"));

        let gone = plan_and_apply(&server, &state, &Value::Null).await;
        assert_eq!(gone, Value::Null);
        assert!(!path.exists());
        let read = server
            .read_resource(FILE, state, Vec::new(), Value::Null)
            .await;
        assert_eq!(
            read.new_state,
            Value::Null,
            "a vanished file leaves the state"
        );
    }
}
