//! The tfplugin6 gRPC service: the only place that touches generated protocol types.
//!
//! Each RPC converts the request into framework values (decoding `DynamicValue`s with the
//! schema's type), delegates to [`Server`], and converts the answer back. Problems are
//! diagnostics inside the response; a gRPC error is returned only for a request that
//! cannot be parsed. RPCs this provider has no use for keep the generated `Unimplemented`
//! answer.
//!
//! Identities (Terraform 1.12) travel beside states: decoded with the resource's identity
//! type where Terraform sends one, and sent only for resources with an identity schema, so
//! older Terraform, which never sends or reads them, sees the protocol it knows.
//!
//! ListResource (Terraform 1.14) is the one streaming RPC: the framework collects the
//! results (bounded by Terraform's limit) and streams them as events, the list's
//! diagnostics last, in an event of their own.

use std::collections::HashMap;

use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};

use super::codec;
use super::diag::{Diagnostic, Diagnostics, Severity};
use super::function::{FunctionError, Parameter};
use super::identity::IdentitySchema;
use super::path::{AttributePath, PathStep};
use super::provider::Provider;
use super::schema::{Attribute, Block, NestedBlock, Nesting, Schema};
use super::server::{
    ApplyResourceChangeRequest, ListResourceRequest, MoveResourceStateRequest,
    PlanResourceChangeRequest, Server,
};
use super::value::{Type, Value};
use crate::proto::tfplugin6 as pb;
use pb::provider_server::ProviderServer;

/// Largest gRPC message accepted or sent, as terraform-plugin-go allows.
const MAX_MESSAGE_SIZE: usize = 256 << 20;

/// The tfplugin6 `Provider` gRPC service for provider `P`.
pub(crate) struct Protocol6<P: Provider> {
    server: Server<P>,
    schema: pb::get_provider_schema::Response,
    identity_schemas: pb::get_resource_identity_schemas::Response,
}

/// The gRPC routes Terraform talks to for `provider`, with 256 MiB message limits: what
/// [`crate::host::serve`] serves.
pub fn provider_routes<P: Provider>(provider: P) -> tonic::service::Routes {
    tonic::service::Routes::new(
        ProviderServer::new(Protocol6::new(provider))
            .max_decoding_message_size(MAX_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_MESSAGE_SIZE),
    )
}

impl<P: Provider> Protocol6<P> {
    /// Wraps `provider`, encoding its schemas once: GetProviderSchema (and, from Terraform
    /// 1.12, GetResourceIdentitySchemas) is called by every Terraform process and must stay
    /// cheap.
    fn new(provider: P) -> Self {
        let server = Server::new(provider);
        let schema = pb::get_provider_schema::Response {
            provider: Some(schema_to_proto(server.provider_schema())),
            resource_schemas: server
                .resource_schemas()
                .map(|(name, schema)| (name.to_owned(), schema_to_proto(schema)))
                .collect(),
            data_source_schemas: server
                .data_source_schemas()
                .map(|(name, schema)| (name.to_owned(), schema_to_proto(schema)))
                .collect(),
            diagnostics: diagnostics_to_proto(server.schema_diagnostics().clone()),
            server_capabilities: Some(capabilities()),
            functions: functions_to_proto(&server),
            list_resource_schemas: server
                .list_resource_schemas()
                .map(|(name, schema)| (name.to_owned(), schema_to_proto(schema)))
                .collect(),
            ..Default::default()
        };
        let identity_schemas = pb::get_resource_identity_schemas::Response {
            identity_schemas: server
                .identity_schemas()
                .map(|(name, schema)| (name.to_owned(), identity_schema_to_proto(schema)))
                .collect(),
            diagnostics: Vec::new(),
        };
        Self {
            server,
            schema,
            identity_schemas,
        }
    }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        move_resource_state: true,
        generate_resource_config: true,
        ..Default::default()
    }
}

/// Why an RPC handler stopped early: with an answer for Terraform (diagnostics saying, say,
/// that the type is unknown), or because the request cannot be parsed.
enum Stop<R> {
    Answer(Box<R>),
    Unparseable(Status),
}

impl<R> From<Status> for Stop<R> {
    fn from(status: Status) -> Self {
        Self::Unparseable(status)
    }
}

/// What an RPC handler returns: its answer, possibly given early.
type Reply<R> = Result<R, Stop<R>>;

/// A response that can carry diagnostics alone: the answer for a type the provider does
/// not have.
trait Diagnosed: Default {
    fn diagnostics(&mut self) -> &mut Vec<pb::Diagnostic>;
}

macro_rules! diagnosed {
    ($($rpc:ident),*) => {$(
        impl Diagnosed for pb::$rpc::Response {
            fn diagnostics(&mut self) -> &mut Vec<pb::Diagnostic> {
                &mut self.diagnostics
            }
        }
    )*};
}

diagnosed!(
    generate_resource_config,
    move_resource_state,
    validate_provider_config,
    validate_resource_config,
    validate_data_resource_config,
    validate_list_resource_config,
    upgrade_resource_state,
    read_resource,
    plan_resource_change,
    apply_resource_change,
    read_data_source
);

/// The type a lookup found, or the answer that reports its diagnostics, with the
/// response's other fields as `echo` sets them.
fn known<R: Diagnosed>(
    found: Result<&Type, Diagnostics>,
    echo: impl FnOnce() -> R,
) -> Result<&Type, Stop<R>> {
    found.map_err(|diagnostics| {
        let mut answer = echo();
        *answer.diagnostics() = diagnostics_to_proto(diagnostics);
        Stop::Answer(Box::new(answer))
    })
}

/// The tfplugin6 service: each RPC unwraps its request, runs its handler (an inherent
/// method of [`Protocol6`], awaited where marked `async`) and wraps the reply. A streaming
/// RPC's handler returns its events, which are streamed in order.
macro_rules! provider_service {
    (
        streaming { $($stream_rpc:ident => $stream_handler:ident;)* }
        $($rpc:ident => $handler:ident $($async:ident)?;)*
    ) => {
        #[tonic::async_trait]
        impl<P: Provider> pb::provider_server::Provider for Protocol6<P> {
            $(
                async fn $rpc(
                    &self,
                    request: Request<pb::$rpc::Request>,
                ) -> Result<Response<pb::$rpc::Response>, Status> {
                    match self.$handler(request.into_inner())$(.$async)? {
                        Ok(answer) => Ok(Response::new(answer)),
                        Err(Stop::Answer(answer)) => Ok(Response::new(*answer)),
                        Err(Stop::Unparseable(status)) => Err(status),
                    }
                }
            )*
            $(
                async fn $stream_rpc(
                    &self,
                    request: Request<pb::$stream_rpc::Request>,
                ) -> Result<Response<BoxStream<pb::$stream_rpc::Event>>, Status> {
                    let events = self.$stream_handler(request.into_inner()).await?;
                    Ok(Response::new(Box::pin(tokio_stream::iter(
                        events.into_iter().map(Ok),
                    ))))
                }
            )*
        }
    };
}

provider_service! {
    streaming {
        list_resource => list;
    }
    get_metadata => metadata;
    get_provider_schema => provider_schema;
    get_resource_identity_schemas => identity_schemas;
    validate_provider_config => validate_provider;
    validate_resource_config => validate_resource;
    validate_data_resource_config => validate_data_source;
    validate_list_resource_config => validate_list;
    configure_provider => configure await;
    upgrade_resource_state => upgrade_state;
    upgrade_resource_identity => upgrade_identity;
    read_resource => read await;
    plan_resource_change => plan await;
    apply_resource_change => apply await;
    import_resource_state => import;
    move_resource_state => move_state;
    read_data_source => read_data await;
    generate_resource_config => generate_config;
    get_functions => functions;
    call_function => call;
    stop_provider => stop;
}

impl<P: Provider> Protocol6<P> {
    fn metadata(&self, _request: pb::get_metadata::Request) -> Reply<pb::get_metadata::Response> {
        Ok(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            diagnostics: diagnostics_to_proto(self.server.schema_diagnostics().clone()),
            data_sources: self
                .server
                .data_source_schemas()
                .map(|(name, _)| pb::get_metadata::DataSourceMetadata {
                    type_name: name.to_owned(),
                })
                .collect(),
            resources: self
                .server
                .resource_schemas()
                .map(|(name, _)| pb::get_metadata::ResourceMetadata {
                    type_name: name.to_owned(),
                })
                .collect(),
            functions: self
                .server
                .functions()
                .map(|(name, _)| pb::get_metadata::FunctionMetadata {
                    name: name.to_owned(),
                })
                .collect(),
            list_resources: self
                .server
                .list_resource_schemas()
                .map(|(name, _)| pb::get_metadata::ListResourceMetadata {
                    type_name: name.to_owned(),
                })
                .collect(),
            ..Default::default()
        })
    }

    fn functions(
        &self,
        _request: pb::get_functions::Request,
    ) -> Reply<pb::get_functions::Response> {
        Ok(pb::get_functions::Response {
            functions: self.schema.functions.clone(),
            diagnostics: Vec::new(),
        })
    }

    fn provider_schema(
        &self,
        _request: pb::get_provider_schema::Request,
    ) -> Reply<pb::get_provider_schema::Response> {
        Ok(self.schema.clone())
    }

    /// GetResourceIdentitySchemas (Terraform 1.12, right after GetProviderSchema): the
    /// identity schema of every resource type with one.
    fn identity_schemas(
        &self,
        _request: pb::get_resource_identity_schemas::Request,
    ) -> Reply<pb::get_resource_identity_schemas::Response> {
        Ok(self.identity_schemas.clone())
    }

    /// The Validate*Config RPCs: decodes `config` with the type a lookup `found`, then
    /// answers with the diagnostics of `validate`.
    fn validate<R: Diagnosed>(
        found: Result<&Type, Diagnostics>,
        config: Option<pb::DynamicValue>,
        validate: impl FnOnce(&Value) -> Diagnostics,
    ) -> Reply<R> {
        let config = decode(config, known(found, Default::default)?, "config")?;
        let mut answer = R::default();
        *answer.diagnostics() = diagnostics_to_proto(validate(&config));
        Ok(answer)
    }

    fn validate_provider(
        &self,
        request: pb::validate_provider_config::Request,
    ) -> Reply<pb::validate_provider_config::Response> {
        let server = &self.server;
        Self::validate(Ok(server.provider_type()), request.config, |config| {
            server.validate_provider_config(config)
        })
    }

    fn validate_resource(
        &self,
        request: pb::validate_resource_config::Request,
    ) -> Reply<pb::validate_resource_config::Response> {
        let (server, name) = (&self.server, &request.type_name);
        Self::validate(server.resource_type(name), request.config, |config| {
            server.validate_resource_config(name, config)
        })
    }

    fn validate_data_source(
        &self,
        request: pb::validate_data_resource_config::Request,
    ) -> Reply<pb::validate_data_resource_config::Response> {
        let (server, name) = (&self.server, &request.type_name);
        Self::validate(server.data_source_type(name), request.config, |config| {
            server.validate_data_source_config(name, config)
        })
    }

    /// ValidateListResourceConfig: the `list` block's `config`. Terraform sends neither
    /// `include_resource_object` nor `limit` here; nothing of them needs the provider.
    fn validate_list(
        &self,
        request: pb::validate_list_resource_config::Request,
    ) -> Reply<pb::validate_list_resource_config::Response> {
        let (server, name) = (&self.server, &request.type_name);
        Self::validate(server.list_resource_type(name), request.config, |config| {
            server.validate_list_resource_config(name, config)
        })
    }

    /// ListResource: one event per result, with its identity and, when asked, its state;
    /// then one event with the diagnostics, if any.
    async fn list(
        &self,
        request: pb::list_resource::Request,
    ) -> Result<Vec<pb::list_resource::Event>, Status> {
        let found = self.server.list_resource_type(&request.type_name);
        let config_ty = match found {
            Ok(ty) => ty,
            Err(diagnostics) => return Ok(vec![diagnostic_event(diagnostics)]),
        };
        let config = decode(request.config, config_ty, "config")?;
        let listed = self
            .server
            .list_resource(
                &request.type_name,
                ListResourceRequest {
                    config,
                    include_resource_object: request.include_resource_object,
                    limit: request.limit,
                },
            )
            .await;
        let mut diagnostics = listed.diagnostics;
        let identity_ty = self.server.identity_type(&request.type_name);
        let state_ty = self.server.resource_type(&request.type_name);
        let mut events: Vec<pb::list_resource::Event> = Vec::new();
        for result in listed.results {
            let mut problems = Diagnostics::new();
            let identity = encode_identity(&result.identity, identity_ty, &mut problems);
            let resource_object = match (&result.resource_object, &state_ty) {
                (Some(state), Ok(ty)) => Some(encode(state, ty, &mut problems)),
                _ => None,
            };
            if problems.has_error() {
                diagnostics = problems;
                break;
            }
            events.push(pb::list_resource::Event {
                identity,
                display_name: result.display_name,
                resource_object,
                diagnostic: Vec::new(),
            });
        }
        if !diagnostics.is_empty() {
            events.push(diagnostic_event(diagnostics));
        }
        Ok(events)
    }

    async fn configure(
        &self,
        request: pb::configure_provider::Request,
    ) -> Reply<pb::configure_provider::Response> {
        let config = decode(request.config, self.server.provider_type(), "config")?;
        let diagnostics = self
            .server
            .configure_provider(config, request.terraform_version)
            .await;
        Ok(pb::configure_provider::Response {
            diagnostics: diagnostics_to_proto(diagnostics),
        })
    }

    fn upgrade_state(
        &self,
        request: pb::upgrade_resource_state::Request,
    ) -> Reply<pb::upgrade_resource_state::Response> {
        let ty = known(
            self.server.resource_type(&request.type_name),
            Default::default,
        )?;
        let raw = request.raw_state.unwrap_or_default();
        let upgraded = self.server.upgrade_resource_state(
            &request.type_name,
            request.version,
            &raw.json,
            !raw.flatmap.is_empty(),
        );
        let mut diagnostics = upgraded.diagnostics;
        let upgraded_state = encode_unless_null(&upgraded.state, ty, &mut diagnostics);
        Ok(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: diagnostics_to_proto(diagnostics),
        })
    }

    fn upgrade_identity(
        &self,
        request: pb::upgrade_resource_identity::Request,
    ) -> Reply<pb::upgrade_resource_identity::Response> {
        let raw = request.raw_identity.unwrap_or_default();
        let upgraded =
            self.server
                .upgrade_resource_identity(&request.type_name, request.version, &raw.json);
        let mut diagnostics = upgraded.diagnostics;
        let ty = self.server.identity_type(&request.type_name);
        let upgraded_identity = encode_identity(&upgraded.identity, ty, &mut diagnostics);
        Ok(pb::upgrade_resource_identity::Response {
            upgraded_identity,
            diagnostics: diagnostics_to_proto(diagnostics),
        })
    }

    /// ReadResource; for an unknown type, the current state and private data are echoed.
    async fn read(
        &self,
        request: pb::read_resource::Request,
    ) -> Reply<pb::read_resource::Response> {
        let ty = known(self.server.resource_type(&request.type_name), || {
            pb::read_resource::Response {
                new_state: request.current_state.clone(),
                private: request.private.clone(),
                ..Default::default()
            }
        })?;
        let state = decode(request.current_state, ty, "current_state")?;
        let identity_ty = self.server.identity_type(&request.type_name);
        let identity = decode_identity(request.current_identity, identity_ty, "current_identity")?;
        let read = self
            .server
            .read_resource(&request.type_name, state, request.private, identity)
            .await;
        let mut diagnostics = read.diagnostics;
        let new_state = Some(encode(&read.new_state, ty, &mut diagnostics));
        let new_identity = encode_identity(&read.new_identity, identity_ty, &mut diagnostics);
        Ok(pb::read_resource::Response {
            new_state,
            private: read.private,
            new_identity,
            diagnostics: diagnostics_to_proto(diagnostics),
            ..Default::default()
        })
    }

    async fn plan(
        &self,
        request: pb::plan_resource_change::Request,
    ) -> Reply<pb::plan_resource_change::Response> {
        let ty = known(
            self.server.resource_type(&request.type_name),
            Default::default,
        )?;
        let identity_ty = self.server.identity_type(&request.type_name);
        let plan_request = PlanResourceChangeRequest {
            prior_state: decode(request.prior_state, ty, "prior_state")?,
            proposed_state: decode(request.proposed_new_state, ty, "proposed_new_state")?,
            config: decode(request.config, ty, "config")?,
            prior_private: request.prior_private,
            prior_identity: decode_identity(request.prior_identity, identity_ty, "prior_identity")?,
        };
        let plan = self
            .server
            .plan_resource_change(&request.type_name, plan_request)
            .await;
        let mut diagnostics = plan.diagnostics;
        let planned_state = Some(encode(&plan.planned_state, ty, &mut diagnostics));
        let planned_identity =
            encode_identity(&plan.planned_identity, identity_ty, &mut diagnostics);
        Ok(pb::plan_resource_change::Response {
            planned_state,
            requires_replace: plan.requires_replace.iter().map(path_to_proto).collect(),
            planned_private: plan.planned_private,
            planned_identity,
            diagnostics: diagnostics_to_proto(diagnostics),
            ..Default::default()
        })
    }

    /// ApplyResourceChange; for an unknown type, the prior state is echoed.
    async fn apply(
        &self,
        request: pb::apply_resource_change::Request,
    ) -> Reply<pb::apply_resource_change::Response> {
        let ty = known(self.server.resource_type(&request.type_name), || {
            pb::apply_resource_change::Response {
                new_state: request.prior_state.clone(),
                ..Default::default()
            }
        })?;
        let identity_ty = self.server.identity_type(&request.type_name);
        let apply_request = ApplyResourceChangeRequest {
            prior_state: decode(request.prior_state, ty, "prior_state")?,
            planned_state: decode(request.planned_state, ty, "planned_state")?,
            config: decode(request.config, ty, "config")?,
            planned_private: request.planned_private,
            planned_identity: decode_identity(
                request.planned_identity,
                identity_ty,
                "planned_identity",
            )?,
        };
        let applied = self
            .server
            .apply_resource_change(&request.type_name, apply_request)
            .await;
        let mut diagnostics = applied.diagnostics;
        let new_state = Some(encode(&applied.new_state, ty, &mut diagnostics));
        let new_identity = encode_identity(&applied.new_identity, identity_ty, &mut diagnostics);
        Ok(pb::apply_resource_change::Response {
            new_state,
            private: applied.private,
            new_identity,
            diagnostics: diagnostics_to_proto(diagnostics),
            ..Default::default()
        })
    }

    /// ImportResourceState, by identity when Terraform sends one (an `import` block with
    /// `identity`, Terraform 1.12), else by id.
    fn import(
        &self,
        request: pb::import_resource_state::Request,
    ) -> Reply<pb::import_resource_state::Response> {
        let identity_ty = self.server.identity_type(&request.type_name);
        let identity = decode_identity(request.identity, identity_ty, "identity")?;
        let imported = if identity.is_null() {
            self.server
                .import_resource_state(&request.type_name, &request.id)
        } else {
            self.server
                .import_resource_by_identity(&request.type_name, &identity)
        };
        let mut diagnostics = imported.diagnostics;
        let mut imported_resources = Vec::new();
        if let (Some(state), Ok(ty)) = (
            imported.state,
            self.server.resource_type(&request.type_name),
        ) {
            match codec::to_msgpack(&state, ty) {
                Ok(msgpack) => {
                    imported_resources.push(pb::import_resource_state::ImportedResource {
                        type_name: request.type_name,
                        state: Some(pb::DynamicValue {
                            msgpack,
                            json: Vec::new(),
                        }),
                        private: imported.private,
                        identity: encode_identity(
                            &imported.identity,
                            identity_ty,
                            &mut diagnostics,
                        ),
                    })
                }
                Err(error) => diagnostics.push(encoding_bug(&error)),
            }
        }
        Ok(pb::import_resource_state::Response {
            imported_resources,
            diagnostics: diagnostics_to_proto(diagnostics),
            deferred: None,
        })
    }

    fn move_state(
        &self,
        request: pb::move_resource_state::Request,
    ) -> Reply<pb::move_resource_state::Response> {
        let ty = known(
            self.server.resource_type(&request.target_type_name),
            Default::default,
        )?;
        let source_state = request.source_state.unwrap_or_default();
        let moved = self.server.move_resource_state(&MoveResourceStateRequest {
            source_provider_address: &request.source_provider_address,
            source_type_name: &request.source_type_name,
            source_schema_version: request.source_schema_version,
            source_state_json: &source_state.json,
            target_type_name: &request.target_type_name,
        });
        let mut diagnostics = moved.diagnostics;
        let target_state = encode_unless_null(&moved.target_state, ty, &mut diagnostics);
        let identity_ty = self.server.identity_type(&request.target_type_name);
        let target_identity =
            encode_identity(&moved.target_identity, identity_ty, &mut diagnostics);
        Ok(pb::move_resource_state::Response {
            target_state,
            diagnostics: diagnostics_to_proto(diagnostics),
            target_private: moved.target_private,
            target_identity,
        })
    }

    async fn read_data(
        &self,
        request: pb::read_data_source::Request,
    ) -> Reply<pb::read_data_source::Response> {
        let found = self.server.data_source_type(&request.type_name);
        let ty = known(found, Default::default)?;
        let config = decode(request.config, ty, "config")?;
        let read = self
            .server
            .read_data_source(&request.type_name, config)
            .await;
        let mut diagnostics = read.diagnostics;
        let state = encode_unless_null(&read.state, ty, &mut diagnostics);
        Ok(pb::read_data_source::Response {
            state,
            diagnostics: diagnostics_to_proto(diagnostics),
            deferred: None,
        })
    }

    fn generate_config(
        &self,
        request: pb::generate_resource_config::Request,
    ) -> Reply<pb::generate_resource_config::Response> {
        let ty = known(
            self.server.resource_type(&request.type_name),
            Default::default,
        )?;
        let state = decode(request.state, ty, "state")?;
        let generated = self
            .server
            .generate_resource_config(&request.type_name, &state);
        let mut diagnostics = generated.diagnostics;
        let config = encode_unless_null(&generated.config, ty, &mut diagnostics);
        Ok(pb::generate_resource_config::Response {
            config,
            diagnostics: diagnostics_to_proto(diagnostics),
        })
    }

    /// CallFunction: the arguments decoded with their parameters' types, the result encoded
    /// with the return type; every failure is a function error, never a gRPC one.
    fn call(&self, request: pb::call_function::Request) -> Reply<pb::call_function::Response> {
        let called = self
            .server
            .function_signature(&request.name)
            .and_then(|signature| {
                let arguments = request
                    .arguments
                    .into_iter()
                    .zip(&signature.parameters)
                    .enumerate()
                    .map(|(index, (argument, parameter))| {
                        decode(Some(argument), &parameter.ty, parameter.name).map_err(|status| {
                            FunctionError::at_argument(index, status.message().to_owned())
                        })
                    })
                    .collect::<Result<Vec<Value>, FunctionError>>()?;
                let result = self.server.call_function(&request.name, &arguments)?;
                codec::to_msgpack(&result, &signature.returns)
                    .map_err(|error| FunctionError::new(encoding_bug(&error).detail))
            });
        Ok(match called {
            Ok(msgpack) => pb::call_function::Response {
                result: Some(pb::DynamicValue {
                    msgpack,
                    json: Vec::new(),
                }),
                error: None,
            },
            Err(error) => pb::call_function::Response {
                result: None,
                error: Some(pb::FunctionError {
                    text: error.text,
                    function_argument: error.argument.and_then(|i| i64::try_from(i).ok()),
                }),
            },
        })
    }

    fn stop(&self, _request: pb::stop_provider::Request) -> Reply<pb::stop_provider::Response> {
        self.server.stop();
        Ok(pb::stop_provider::Response {
            error: String::new(),
        })
    }
}

/// Decodes a request's `DynamicValue`; absent or empty means null. Bytes that do not fit
/// the schema make the request unparseable.
fn decode(value: Option<pb::DynamicValue>, ty: &Type, field: &str) -> Result<Value, Status> {
    let Some(value) = value else {
        return Ok(Value::Null);
    };
    let decoded = if !value.msgpack.is_empty() {
        codec::from_msgpack(&value.msgpack, ty)
    } else if !value.json.is_empty() {
        codec::from_json(&value.json, ty)
    } else {
        Ok(Value::Null)
    };
    decoded.map_err(|error| Status::invalid_argument(format!("{field}: {error}")))
}

/// A ListResource event carrying only `diagnostics`: Terraform stops at its errors and
/// passes over one with only warnings.
fn diagnostic_event(diagnostics: Diagnostics) -> pb::list_resource::Event {
    pb::list_resource::Event {
        diagnostic: diagnostics_to_proto(diagnostics),
        ..Default::default()
    }
}

fn encoding_bug(error: &codec::CodecError) -> Diagnostic {
    Diagnostic::error(
        "Provider produced a value that does not match its schema",
        format!("{error}. This is a bug in the provider."),
    )
}

/// Encodes a response value as msgpack; a value that does not fit the schema (a provider
/// bug) becomes null plus an error diagnostic.
fn encode(value: &Value, ty: &Type, diagnostics: &mut Diagnostics) -> pb::DynamicValue {
    match codec::to_msgpack(value, ty) {
        Ok(msgpack) => pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        },
        Err(error) => {
            diagnostics.push(encoding_bug(&error));
            pb::DynamicValue {
                msgpack: vec![0xc0],
                json: Vec::new(),
            }
        }
    }
}

fn encode_unless_null(
    value: &Value,
    ty: &Type,
    diagnostics: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    (!value.is_null()).then(|| encode(value, ty, diagnostics))
}

/// Decodes an identity Terraform sends, with the resource's identity type `ty`; absent,
/// empty, or for a resource without an identity, it is null.
fn decode_identity(
    identity: Option<pb::ResourceIdentityData>,
    ty: Option<&Type>,
    field: &str,
) -> Result<Value, Status> {
    match (identity.and_then(|identity| identity.identity_data), ty) {
        (Some(data), Some(ty)) => decode(Some(data), ty, field),
        _ => Ok(Value::Null),
    }
}

/// Encodes an identity to answer with: none when null or for a resource without an identity.
fn encode_identity(
    identity: &Value,
    ty: Option<&Type>,
    diagnostics: &mut Diagnostics,
) -> Option<pb::ResourceIdentityData> {
    let ty = ty.filter(|_| !identity.is_null())?;
    Some(pb::ResourceIdentityData {
        identity_data: Some(encode(identity, ty, diagnostics)),
    })
}

fn diagnostics_to_proto(diagnostics: Diagnostics) -> Vec<pb::Diagnostic> {
    diagnostics
        .into_iter()
        .map(|d| pb::Diagnostic {
            severity: match d.severity {
                Severity::Error => pb::diagnostic::Severity::Error,
                Severity::Warning => pb::diagnostic::Severity::Warning,
            } as i32,
            summary: d.summary,
            detail: d.detail,
            attribute: d.path.filter(|p| !p.is_root()).as_ref().map(path_to_proto),
        })
        .collect()
}

fn path_to_proto(path: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::{Step, step::Selector};
    pb::AttributePath {
        steps: path
            .steps()
            .iter()
            .map(|step| Step {
                selector: Some(match step {
                    PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                    PathStep::Key(key) => Selector::ElementKeyString(key.clone()),
                    PathStep::Index(index) => Selector::ElementKeyInt(*index),
                }),
            })
            .collect(),
    }
}

/// The functions' signatures, by name, as GetProviderSchema and GetFunctions give them.
fn functions_to_proto<P: Provider>(server: &Server<P>) -> HashMap<String, pb::Function> {
    let parameter = |parameter: &Parameter| pb::function::Parameter {
        name: parameter.name.to_owned(),
        r#type: parameter.ty.to_json().to_string().into_bytes(),
        allow_null_value: false,
        allow_unknown_values: false,
        description: parameter.description.to_owned(),
        description_kind: pb::StringKind::Markdown as i32,
    };
    server
        .functions()
        .map(|(name, signature)| {
            let function = pb::Function {
                parameters: signature.parameters.iter().map(parameter).collect(),
                variadic_parameter: None,
                r#return: Some(pb::function::Return {
                    r#type: signature.returns.to_json().to_string().into_bytes(),
                }),
                summary: signature.summary.to_owned(),
                description: signature.description.to_owned(),
                description_kind: pb::StringKind::Markdown as i32,
                deprecation_message: String::new(),
            };
            (name.to_owned(), function)
        })
        .collect()
}

fn identity_schema_to_proto(schema: &IdentitySchema) -> pb::ResourceIdentitySchema {
    use pb::resource_identity_schema::IdentityAttribute;
    pb::ResourceIdentitySchema {
        version: schema.version(),
        identity_attributes: schema
            .attributes()
            .iter()
            .map(|attribute| IdentityAttribute {
                name: attribute.name().to_owned(),
                r#type: attribute.ty().to_json().to_string().into_bytes(),
                required_for_import: attribute.is_required_for_import(),
                optional_for_import: !attribute.is_required_for_import(),
                description: attribute.description_text().to_owned(),
            })
            .collect(),
    }
}

fn schema_to_proto(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version(),
        block: Some(block_to_proto(schema.body())),
    }
}

fn block_to_proto(block: &Block) -> pb::schema::Block {
    pb::schema::Block {
        version: 0,
        attributes: block.attributes().iter().map(attribute_to_proto).collect(),
        block_types: block.blocks().iter().map(nested_block_to_proto).collect(),
        description: block.description_text().to_owned(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: block.deprecation().is_some(),
        deprecation_message: block.deprecation().unwrap_or_default().to_owned(),
    }
}

fn attribute_to_proto(attribute: &Attribute) -> pb::schema::Attribute {
    use super::schema::Mode;
    let mode = attribute.mode();
    pb::schema::Attribute {
        name: attribute.name().to_owned(),
        r#type: attribute.ty().to_json().to_string().into_bytes(),
        description: attribute.description_text().to_owned(),
        required: mode == Mode::Required,
        optional: matches!(mode, Mode::Optional | Mode::OptionalComputed),
        computed: mode.is_computed(),
        sensitive: attribute.is_sensitive(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: attribute.deprecation().is_some(),
        nested_type: None,
        write_only: false,
        deprecation_message: attribute.deprecation().unwrap_or_default().to_owned(),
    }
}

fn nested_block_to_proto(nested: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    let (nesting, min_items, max_items) = match nested.nesting() {
        Nesting::Single => (NestingMode::Single, 0, 0),
        Nesting::Group => (NestingMode::Group, 0, 0),
        Nesting::List {
            min_items,
            max_items,
        } => (NestingMode::List, min_items, max_items),
        Nesting::Set {
            min_items,
            max_items,
        } => (NestingMode::Set, min_items, max_items),
        Nesting::Map => (NestingMode::Map, 0, 0),
    };
    pb::schema::NestedBlock {
        type_name: nested.name().to_owned(),
        block: Some(block_to_proto(nested.block())),
        nesting: nesting as i32,
        min_items: i64::from(min_items),
        max_items: i64::from(max_items),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TestProvider, object, widget_config, widget_identity};
    use pb::provider_server::Provider as _;

    /// An identity as Terraform sends it.
    fn identity_data(identity: &Value) -> Option<pb::ResourceIdentityData> {
        Some(pb::ResourceIdentityData {
            identity_data: dynamic(identity, &widget_identity_type()),
        })
    }

    /// The identity in an answer, as Terraform reads it; null when there is none.
    fn identity_in(data: Option<pb::ResourceIdentityData>) -> Value {
        data.and_then(|data| data.identity_data)
            .map(|value| codec::from_msgpack(&value.msgpack, &widget_identity_type()).unwrap())
            .unwrap_or_default()
    }

    fn widget_identity_type() -> Type {
        crate::testing::widget_identity_schema().value_type()
    }

    fn dynamic(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
        Some(pb::DynamicValue {
            msgpack: codec::to_msgpack(value, ty).unwrap(),
            json: Vec::new(),
        })
    }

    async fn configured() -> Protocol6<TestProvider> {
        let service = Protocol6::new(TestProvider::default());
        let config = object(&[("endpoint", "https://x".into())]);
        let resp = service
            .configure_provider(Request::new(pb::configure_provider::Request {
                terraform_version: "1.0.3".to_owned(),
                config: dynamic(&config, service.server.provider_type()),
                client_capabilities: None,
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty());
        service
    }

    #[tokio::test]
    async fn encodes_schemas_for_terraform() {
        let service = Protocol6::new(TestProvider::default());
        let resp = service
            .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty());
        assert!(resp.server_capabilities.unwrap().plan_destroy);
        let provider = resp.provider.unwrap().block.unwrap();
        assert_eq!(provider.attributes[0].name, "endpoint");
        assert!(provider.attributes[0].required);
        assert_eq!(
            provider.attributes[0].description_kind,
            pb::StringKind::Markdown as i32
        );

        let widget = &resp.resource_schemas["test_widget"];
        assert_eq!(widget.version, 1);
        let block = widget.block.as_ref().unwrap();
        let attr = |name: &str| block.attributes.iter().find(|a| a.name == name).unwrap();
        assert_eq!(attr("id").r#type, br#""string""#);
        assert_eq!(attr("tags").r#type, br#"["list","string"]"#);
        assert!(attr("id").computed && !attr("id").optional && !attr("id").required);
        assert!(attr("tier").computed && attr("tier").optional);
        assert!(attr("legacy").deprecated);
        assert_eq!(attr("legacy").deprecation_message, "Use tags instead.");
        let timeouts = &block.block_types[0];
        assert_eq!(timeouts.type_name, "timeouts");
        assert_eq!(
            timeouts.nesting,
            pb::schema::nested_block::NestingMode::Single as i32
        );
        assert!(timeouts.block.is_some());
        assert!(resp.data_source_schemas.contains_key("test_widget_info"));
    }

    #[tokio::test]
    async fn plans_over_the_wire() {
        let service = configured().await;
        let ty = service.server.resource_type("test_widget").unwrap().clone();
        let config = widget_config("w1", &[]);
        let resp = service
            .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                type_name: "test_widget".to_owned(),
                prior_state: None,
                proposed_new_state: dynamic(&config, &ty),
                config: dynamic(&config, &ty),
                prior_private: b"p".to_vec(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty());
        assert_eq!(resp.planned_private, b"p");
        let planned = codec::from_msgpack(&resp.planned_state.unwrap().msgpack, &ty).unwrap();
        assert!(planned.is_unknown_attr("id"));
    }

    #[tokio::test]
    async fn reports_problems_as_diagnostics_and_garbage_as_invalid_argument() {
        let service = configured().await;
        let unknown = service
            .validate_resource_config(Request::new(pb::validate_resource_config::Request {
                type_name: "test_nope".to_owned(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            unknown.diagnostics[0].severity,
            pb::diagnostic::Severity::Error as i32
        );

        let ty = service.server.resource_type("test_widget").unwrap().clone();
        let bad = widget_config("much-too-long", &[]);
        let invalid = service
            .validate_resource_config(Request::new(pb::validate_resource_config::Request {
                type_name: "test_widget".to_owned(),
                config: dynamic(&bad, &ty),
                client_capabilities: None,
            }))
            .await
            .unwrap()
            .into_inner();
        let step = &invalid.diagnostics[0].attribute.as_ref().unwrap().steps[0];
        assert_eq!(
            step.selector,
            Some(pb::attribute_path::step::Selector::AttributeName(
                "name".to_owned()
            ))
        );

        let garbage = service
            .validate_resource_config(Request::new(pb::validate_resource_config::Request {
                type_name: "test_widget".to_owned(),
                config: Some(pb::DynamicValue {
                    msgpack: vec![0xa1, b'x'],
                    json: Vec::new(),
                }),
                client_capabilities: None,
            }))
            .await
            .unwrap_err();
        assert_eq!(garbage.code(), tonic::Code::InvalidArgument);
    }

    #[tokio::test]
    async fn imports_and_upgrades_over_the_wire() {
        let service = configured().await;
        let imported = service
            .import_resource_state(Request::new(pb::import_resource_state::Request {
                type_name: "test_widget".to_owned(),
                id: "w-a".to_owned(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(imported.imported_resources.len(), 1);
        assert_eq!(imported.imported_resources[0].type_name, "test_widget");

        let upgraded = service
            .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
                type_name: "test_widget".to_owned(),
                version: 1,
                raw_state: Some(pb::RawState {
                    json: br#"{"id":"w-a","name":"a"}"#.to_vec(),
                    flatmap: Default::default(),
                }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(upgraded.diagnostics.is_empty());
        assert!(!upgraded.upgraded_state.unwrap().msgpack.is_empty());
    }

    #[tokio::test]
    async fn answers_the_optional_rpcs() {
        let service = configured().await;
        let stop = service
            .stop_provider(Request::new(pb::stop_provider::Request {}))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(stop.error, "");
        let metadata = service
            .get_metadata(Request::new(pb::get_metadata::Request {}))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(metadata.resources.len(), 2);
        assert!(metadata.server_capabilities.unwrap().move_resource_state);
    }

    #[tokio::test]
    async fn moves_state_from_another_type_over_the_wire() {
        let service = configured().await;
        let request = |target: &str| pb::move_resource_state::Request {
            source_provider_address: "registry.terraform.io/acme/gadgets".to_owned(),
            source_type_name: "gadgets_gadget".to_owned(),
            source_schema_version: 1,
            source_state: Some(pb::RawState {
                json: br#"{"id":"g-1","name":"a"}"#.to_vec(),
                flatmap: Default::default(),
            }),
            target_type_name: target.to_owned(),
            ..Default::default()
        };
        let moved = service
            .move_resource_state(Request::new(request("test_widget")))
            .await
            .unwrap()
            .into_inner();
        assert!(moved.diagnostics.is_empty(), "{:?}", moved.diagnostics);
        let state = codec::from_msgpack(
            &moved.target_state.unwrap().msgpack,
            &crate::testing::widget_schema().value_type(),
        )
        .unwrap();
        assert_eq!(state.get_str("id"), Some("w-a"));
        assert_eq!(moved.target_private, b"moved");

        let unknown = service
            .move_resource_state(Request::new(request("test_gizmo")))
            .await
            .unwrap()
            .into_inner();
        assert!(unknown.target_state.is_none());
        assert_eq!(unknown.diagnostics.len(), 1);
    }

    #[tokio::test]
    async fn answers_identity_schemas_for_the_resources_with_one() {
        let service = Protocol6::new(TestProvider::default());
        let resp = service
            .get_resource_identity_schemas(Request::new(
                pb::get_resource_identity_schemas::Request {},
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty());
        let names: Vec<&String> = resp.identity_schemas.keys().collect();
        assert_eq!(names, ["test_widget"], "test_plain has no identity");
        let widget = &resp.identity_schemas["test_widget"];
        assert_eq!(widget.version, 1);
        let attributes: Vec<_> = widget
            .identity_attributes
            .iter()
            .map(|a| {
                (
                    a.name.as_str(),
                    a.r#type.as_slice(),
                    a.required_for_import,
                    a.optional_for_import,
                )
            })
            .collect();
        assert_eq!(
            attributes,
            [
                ("name", &br#""string""#[..], true, false),
                ("id", &br#""string""#[..], false, true),
            ]
        );
        assert_eq!(
            widget.identity_attributes[0].description,
            "The widget's name."
        );
    }

    /// A create planned and applied, then read and planned again, as Terraform 1.12 does,
    /// with the identity each answer carries and Terraform sends back.
    #[tokio::test]
    async fn plans_applies_and_reads_carry_the_identity() {
        let service = configured().await;
        let ty = service.server.resource_type("test_widget").unwrap().clone();
        let config = widget_config("w1", &[]);
        let plan = |prior: Option<pb::DynamicValue>, prior_identity| {
            service.plan_resource_change(Request::new(pb::plan_resource_change::Request {
                type_name: "test_widget".to_owned(),
                prior_state: prior,
                proposed_new_state: dynamic(&config, &ty),
                config: dynamic(&config, &ty),
                prior_identity,
                ..Default::default()
            }))
        };
        let planned = plan(None, None).await.unwrap().into_inner();
        assert_eq!(planned.planned_identity, None, "not known before apply");
        let applied = service
            .apply_resource_change(Request::new(pb::apply_resource_change::Request {
                type_name: "test_widget".to_owned(),
                planned_state: planned.planned_state,
                config: dynamic(&config, &ty),
                planned_identity: planned.planned_identity,
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
        assert_eq!(
            identity_in(applied.new_identity.clone()),
            widget_identity("w1")
        );

        let read = |identity: &Value| {
            service.read_resource(Request::new(pb::read_resource::Request {
                type_name: "test_widget".to_owned(),
                current_state: applied.new_state.clone(),
                current_identity: identity_data(identity),
                ..Default::default()
            }))
        };
        let refreshed = read(&widget_identity("w1")).await.unwrap().into_inner();
        assert!(
            refreshed.diagnostics.is_empty(),
            "{:?}",
            refreshed.diagnostics
        );
        assert_eq!(identity_in(refreshed.new_identity), widget_identity("w1"));
        let changed = read(&widget_identity("w0")).await.unwrap().into_inner();
        assert_eq!(changed.diagnostics[0].summary, "Unexpected Identity Change");

        let replanned = plan(applied.new_state.clone(), applied.new_identity)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            identity_in(replanned.planned_identity),
            widget_identity("w1")
        );
    }

    #[tokio::test]
    async fn imports_by_identity_or_by_id_over_the_wire() {
        let service = configured().await;
        let import = |id: &str, identity: Option<pb::ResourceIdentityData>| {
            service.import_resource_state(Request::new(pb::import_resource_state::Request {
                type_name: "test_widget".to_owned(),
                id: id.to_owned(),
                identity,
                ..Default::default()
            }))
        };
        let by_identity = import("", identity_data(&object(&[("name", "w1".into())])))
            .await
            .unwrap()
            .into_inner();
        assert!(
            by_identity.diagnostics.is_empty(),
            "{:?}",
            by_identity.diagnostics
        );
        let imported = &by_identity.imported_resources[0];
        assert_eq!(imported.private, b"by identity");
        assert_eq!(
            identity_in(imported.identity.clone()),
            widget_identity("w1")
        );

        for no_identity in [None, identity_data(&Value::Null)] {
            let by_id = import("w-w2", no_identity).await.unwrap().into_inner();
            assert!(by_id.diagnostics.is_empty(), "{:?}", by_id.diagnostics);
            let imported = &by_id.imported_resources[0];
            assert_eq!(
                identity_in(imported.identity.clone()),
                widget_identity("w2")
            );
        }

        let refused = import("", identity_data(&object(&[("id", "w-w3".into())])))
            .await
            .unwrap()
            .into_inner();
        assert!(refused.imported_resources.is_empty());
        assert!(
            refused.diagnostics[0]
                .detail
                .contains(r#""name" is required"#)
        );
        let garbage = import(
            "",
            Some(pb::ResourceIdentityData {
                identity_data: Some(pb::DynamicValue {
                    msgpack: vec![0xa1, b'x'],
                    json: Vec::new(),
                }),
            }),
        )
        .await
        .unwrap_err();
        assert_eq!(garbage.code(), tonic::Code::InvalidArgument);
    }

    #[tokio::test]
    async fn upgrades_identities_over_the_wire() {
        let service = configured().await;
        let upgrade = |type_name: &str, version: i64, json: &str| {
            service.upgrade_resource_identity(Request::new(
                pb::upgrade_resource_identity::Request {
                    type_name: type_name.to_owned(),
                    version,
                    raw_identity: Some(pb::RawState {
                        json: json.as_bytes().to_vec(),
                        flatmap: Default::default(),
                    }),
                },
            ))
        };
        let old = upgrade("test_widget", 0, r#"{"title":"a"}"#)
            .await
            .unwrap()
            .into_inner();
        assert!(old.diagnostics.is_empty(), "{:?}", old.diagnostics);
        assert_eq!(identity_in(old.upgraded_identity), widget_identity("a"));
        let current = upgrade("test_widget", 1, r#"{"id":"w-b","name":"b"}"#)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(identity_in(current.upgraded_identity), widget_identity("b"));
        let none_stored = upgrade("test_widget", 0, "").await.unwrap().into_inner();
        assert!(none_stored.diagnostics.is_empty());
        assert_eq!(none_stored.upgraded_identity, None);
        let refused = upgrade("test_plain", 0, "{}").await.unwrap().into_inner();
        assert_eq!(refused.upgraded_identity, None);
        assert_eq!(refused.diagnostics.len(), 1);
    }

    #[tokio::test]
    async fn moves_carry_the_target_identity_and_plain_resources_none() {
        let service = configured().await;
        let moved = service
            .move_resource_state(Request::new(pb::move_resource_state::Request {
                source_provider_address: "registry.terraform.io/acme/gadgets".to_owned(),
                source_type_name: "gadgets_gadget".to_owned(),
                source_schema_version: 1,
                source_state: Some(pb::RawState {
                    json: br#"{"id":"g-1","name":"a"}"#.to_vec(),
                    flatmap: Default::default(),
                }),
                target_type_name: "test_widget".to_owned(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(identity_in(moved.target_identity), widget_identity("a"));

        let ty = service.server.resource_type("test_plain").unwrap().clone();
        let state = object(&[("id", "plain".into())]);
        let read = service
            .read_resource(Request::new(pb::read_resource::Request {
                type_name: "test_plain".to_owned(),
                current_state: dynamic(&state, &ty),
                current_identity: identity_data(&widget_identity("x")),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
        assert_eq!(read.new_identity, None);
    }

    /// ListResource's events, collected as Terraform reads them.
    async fn listed(
        service: &Protocol6<TestProvider>,
        type_name: &str,
        config: Option<pb::DynamicValue>,
        include_resource_object: bool,
    ) -> Result<Vec<pb::list_resource::Event>, Status> {
        use tokio_stream::StreamExt as _;
        let stream = service
            .list_resource(Request::new(pb::list_resource::Request {
                type_name: type_name.to_owned(),
                config,
                include_resource_object,
                limit: 100,
            }))
            .await?
            .into_inner();
        stream.collect::<Result<Vec<_>, Status>>().await
    }

    fn list_config(prefix: &str, count: i64) -> Option<pb::DynamicValue> {
        let ty =
            crate::list::ListResource::schema(&crate::testing::Listing("test_widget")).value_type();
        dynamic(
            &object(&[("prefix", prefix.into()), ("count", count.into())]),
            &ty,
        )
    }

    #[tokio::test]
    async fn declares_list_resources_in_the_schema_and_the_metadata() {
        let service = configured().await;
        let schema = service
            .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
            .await
            .unwrap()
            .into_inner();
        let names: Vec<&String> = schema.list_resource_schemas.keys().collect();
        assert_eq!(names, ["test_widget"]);
        let block = schema.list_resource_schemas["test_widget"]
            .block
            .as_ref()
            .unwrap();
        let prefix = block
            .attributes
            .iter()
            .find(|a| a.name == "prefix")
            .unwrap();
        assert!(prefix.required);
        let metadata = service
            .get_metadata(Request::new(pb::get_metadata::Request {}))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(metadata.list_resources[0].type_name, "test_widget");
    }

    #[tokio::test]
    async fn lists_over_the_wire_with_identities_then_diagnostics() {
        let service = configured().await;
        let events = listed(&service, "test_widget", list_config("w", 2), false)
            .await
            .unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].display_name, "widget w0");
        assert_eq!(
            identity_in(events[1].identity.clone()),
            widget_identity("w1")
        );
        assert!(
            events
                .iter()
                .all(|e| e.resource_object.is_none() && e.diagnostic.is_empty())
        );

        let with_state = listed(&service, "test_widget", list_config("w", 1), true)
            .await
            .unwrap();
        let ty = service.server.resource_type("test_widget").unwrap();
        let state =
            codec::from_msgpack(&with_state[0].resource_object.as_ref().unwrap().msgpack, ty)
                .unwrap();
        assert_eq!(state.get_str("name"), Some("w0"));

        let broken = listed(&service, "test_widget", list_config("nameless", 2), false)
            .await
            .unwrap();
        assert_eq!(broken.len(), 2, "the first result, then the error");
        assert!(broken[1].identity.is_none());
        assert_eq!(
            broken[1].diagnostic[0].severity,
            pb::diagnostic::Severity::Error as i32
        );

        let unknown = listed(&service, "test_gizmo", None, false).await.unwrap();
        assert_eq!(unknown.len(), 1);
        assert_eq!(unknown[0].diagnostic.len(), 1);

        let garbage = listed(
            &service,
            "test_widget",
            Some(pb::DynamicValue {
                msgpack: vec![0xa1, b'x'],
                json: Vec::new(),
            }),
            false,
        )
        .await
        .unwrap_err();
        assert_eq!(garbage.code(), tonic::Code::InvalidArgument);
    }

    #[tokio::test]
    async fn validates_list_configurations_at_their_attribute() {
        let service = Protocol6::new(TestProvider::default());
        let resp = service
            .validate_list_resource_config(Request::new(
                pb::validate_list_resource_config::Request {
                    type_name: "test_widget".to_owned(),
                    config: list_config("w", -1),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resp.diagnostics.len(), 1);
        assert_eq!(
            resp.diagnostics[0].attribute.as_ref().unwrap().steps[0].selector,
            Some(pb::attribute_path::step::Selector::AttributeName(
                "count".to_owned()
            ))
        );
    }
}
