//! The server itself: the registry of resource, list resource and data source types with
//! their schemas,
//! the provider's configured data, and the stop signal every operation watches. The RPCs
//! live in sibling modules, one per family.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tokio_util::sync::CancellationToken;

use crate::datasource::ErasedDataSource;
use crate::diag::Diagnostics;
use crate::function::{Function, Signature};
use crate::identity::IdentitySchema;
use crate::list::ErasedListResource;
use crate::provider::Provider;
use crate::resource::ErasedResource;
use crate::schema::{Schema, SchemaError};
use crate::timeouts::{MAX_DURATION, Timeouts};
use crate::value::{Type, Value};

/// The `Ok` value of a lookup, or else returns `$response` from the calling RPC with the
/// lookup's diagnostics (an unknown type, an unconfigured provider).
macro_rules! found_or_return {
    ($found:expr, $response:ident) => {
        match $found {
            Ok(found) => found,
            Err(diagnostics) => {
                $response.diagnostics = diagnostics;
                return $response;
            }
        }
    };
}
pub(super) use found_or_return;

pub(super) struct Registered<T: ?Sized> {
    pub(super) implementation: Arc<T>,
    pub(super) schema: Schema,
    pub(super) value_type: Type,
    /// A resource's identity, if it declares one (data sources have none).
    pub(super) identity: Option<IdentitySchema>,
    /// The identity's value type, derived once like `value_type`.
    pub(super) identity_type: Option<Type>,
}

/// A registered resource type, for provider data `C`.
pub(super) type RegisteredResource<C> = Registered<dyn ErasedResource<C>>;

/// A registered list resource, for provider data `C`.
pub(super) type RegisteredListResource<C> = Registered<dyn ErasedListResource<C>>;

/// A registered data source type, for provider data `C`.
pub(super) type RegisteredDataSource<C> = Registered<dyn ErasedDataSource<C>>;

/// A registered type with the configured provider data `C` its operations receive.
pub(super) type WithData<'a, T, C> = (&'a T, Arc<C>);

impl<T: ?Sized> Registered<T> {
    fn new(implementation: Arc<T>, schema: Schema) -> Self {
        let value_type = schema.value_type();
        Self {
            implementation,
            schema,
            value_type,
            identity: None,
            identity_type: None,
        }
    }
}

pub struct Server<P: Provider> {
    pub(super) provider: P,
    pub(super) provider_schema: Schema,
    provider_type: Type,
    resources: BTreeMap<&'static str, RegisteredResource<P::Data>>,
    data_sources: BTreeMap<&'static str, RegisteredDataSource<P::Data>>,
    list_resources: BTreeMap<&'static str, RegisteredListResource<P::Data>>,
    pub(super) functions: BTreeMap<&'static str, (Arc<dyn Function>, Signature)>,
    schema_diagnostics: Diagnostics,
    /// Set by ConfigureProvider; read by every resource operation. A std lock: never held
    /// across an await.
    pub(super) data: RwLock<Option<Arc<P::Data>>>,
    /// Cancelled and replaced by StopProvider.
    stop: Mutex<CancellationToken>,
}

impl<P: Provider> Server<P> {
    /// Builds the server, collecting every schema once. Schema rule violations are kept
    /// and reported by GetProviderSchema, so Terraform shows them instead of failing
    /// obscurely.
    pub fn new(provider: P) -> Self {
        let mut schema_diagnostics = Diagnostics::new();
        let provider_schema = provider.schema();
        if let Err(error) = provider_schema.check() {
            schema_diagnostics.add_error("Invalid provider schema", error.to_string());
        }
        let mut resources = register(
            provider.resources().into_iter().map(|handle| {
                let schema = handle.0.schema();
                (
                    handle.0.type_name(),
                    schema.check_resource(),
                    handle.0,
                    schema,
                )
            }),
            &mut schema_diagnostics,
        );
        for (name, resource) in &mut resources {
            resource.identity = resource.implementation.identity_schema();
            resource.identity_type = resource.identity.as_ref().map(IdentitySchema::value_type);
            if let Some(Err(error)) = resource.identity.as_ref().map(IdentitySchema::check) {
                schema_diagnostics.add_error(
                    format!("Invalid identity schema for {name}"),
                    error.to_string(),
                );
            }
        }
        let data_sources = register(
            provider.data_sources().into_iter().map(|handle| {
                let schema = handle.0.schema();
                (handle.0.type_name(), schema.check(), handle.0, schema)
            }),
            &mut schema_diagnostics,
        );
        let list_resources = register(
            provider.list_resources().into_iter().map(|handle| {
                let schema = handle.0.schema();
                (handle.0.type_name(), schema.check(), handle.0, schema)
            }),
            &mut schema_diagnostics,
        );
        for name in list_resources.keys() {
            if resources.get(name).is_none_or(|r| r.identity.is_none()) {
                schema_diagnostics.add_error(
                    format!("Invalid list resource {name}"),
                    format!(
                        "The provider lists {name}, but has no managed resource type of that                          name with an identity: Terraform needs the identity of every object                          a list finds."
                    ),
                );
            }
        }
        let mut functions = BTreeMap::new();
        for function in provider.functions() {
            let name = function.name();
            let signature = function.signature();
            if functions.insert(name, (function, signature)).is_some() {
                schema_diagnostics.add_error(
                    "Duplicate function",
                    format!("The provider declares the function {name:?} twice."),
                );
            }
        }
        Self {
            provider_type: provider_schema.value_type(),
            provider,
            provider_schema,
            resources,
            data_sources,
            list_resources,
            functions,
            schema_diagnostics,
            data: RwLock::new(None),
            stop: Mutex::new(CancellationToken::new()),
        }
    }

    /// The provider block's schema.
    pub fn provider_schema(&self) -> &Schema {
        &self.provider_schema
    }

    /// The provider block's value type.
    pub fn provider_type(&self) -> &Type {
        &self.provider_type
    }

    /// Every resource type's schema, by type name.
    pub fn resource_schemas(&self) -> impl Iterator<Item = (&'static str, &Schema)> {
        self.resources.iter().map(|(name, r)| (*name, &r.schema))
    }

    /// Every resource type's identity schema, by type name, for the resource types with one.
    pub fn identity_schemas(&self) -> impl Iterator<Item = (&'static str, &IdentitySchema)> {
        self.resources
            .iter()
            .filter_map(|(name, r)| Some((*name, r.identity.as_ref()?)))
    }

    /// Every data source type's schema, by type name.
    pub fn data_source_schemas(&self) -> impl Iterator<Item = (&'static str, &Schema)> {
        self.data_sources.iter().map(|(name, d)| (*name, &d.schema))
    }

    /// Every list resource's configuration schema, by type name.
    pub fn list_resource_schemas(&self) -> impl Iterator<Item = (&'static str, &Schema)> {
        self.list_resources
            .iter()
            .map(|(name, l)| (*name, &l.schema))
    }

    /// Problems found in the declared schemas.
    pub fn schema_diagnostics(&self) -> &Diagnostics {
        &self.schema_diagnostics
    }

    pub(super) fn resource(
        &self,
        type_name: &str,
    ) -> Result<&RegisteredResource<P::Data>, Diagnostics> {
        self.registered(&self.resources, "resource", type_name)
    }

    pub(super) fn data_source(
        &self,
        type_name: &str,
    ) -> Result<&RegisteredDataSource<P::Data>, Diagnostics> {
        self.registered(&self.data_sources, "data source", type_name)
    }

    pub(super) fn registered_list_resource(
        &self,
        type_name: &str,
    ) -> Result<&RegisteredListResource<P::Data>, Diagnostics> {
        self.registered(&self.list_resources, "list resource", type_name)
    }

    /// Type `type_name` of `registry` (of the `kind` of types), or the diagnostic that
    /// says the provider has no such type.
    fn registered<'a, T: ?Sized>(
        &self,
        registry: &'a BTreeMap<&'static str, Registered<T>>,
        kind: &str,
        type_name: &str,
    ) -> Result<&'a Registered<T>, Diagnostics> {
        registry.get(type_name).ok_or_else(|| {
            let mut diags = Diagnostics::new();
            diags.add_error(
                format!("Unknown {kind} type"),
                format!(
                    "The provider {} has no {kind} type {type_name:?}.",
                    self.provider.type_name()
                ),
            );
            diags
        })
    }

    /// Resource `type_name` with the configured provider's data, or why there is none.
    pub(super) fn configured_resource(
        &self,
        type_name: &str,
    ) -> Result<WithData<'_, RegisteredResource<P::Data>, P::Data>, Diagnostics> {
        Ok((self.resource(type_name)?, self.provider_data()?))
    }

    /// Data source `type_name` with the configured provider's data, or why there is none.
    pub(super) fn configured_data_source(
        &self,
        type_name: &str,
    ) -> Result<WithData<'_, RegisteredDataSource<P::Data>, P::Data>, Diagnostics> {
        Ok((self.data_source(type_name)?, self.provider_data()?))
    }

    /// The value type of resource `type_name`, or the "unknown resource type" diagnostic.
    pub fn resource_type(&self, type_name: &str) -> Result<&Type, Diagnostics> {
        self.resource(type_name).map(|r| &r.value_type)
    }

    /// The identity type of resource `type_name`; none for a resource without an identity
    /// (or an unknown one).
    pub fn identity_type(&self, type_name: &str) -> Option<&Type> {
        self.resource(type_name).ok()?.identity_type.as_ref()
    }

    /// The configuration type of list resource `type_name`, or the "unknown list resource"
    /// diagnostic.
    pub fn list_resource_type(&self, type_name: &str) -> Result<&Type, Diagnostics> {
        self.registered_list_resource(type_name)
            .map(|l| &l.value_type)
    }

    /// The value type of data source `type_name`, or the "unknown data source" diagnostic.
    pub fn data_source_type(&self, type_name: &str) -> Result<&Type, Diagnostics> {
        self.data_source(type_name).map(|d| &d.value_type)
    }

    pub(super) fn provider_data(&self) -> Result<Arc<P::Data>, Diagnostics> {
        let data = self.data.read().unwrap_or_else(PoisonError::into_inner);
        data.clone().ok_or_else(|| {
            let mut diags = Diagnostics::new();
            diags.add_error(
                "Provider not configured",
                "Terraform did not configure the provider before using it. This is a bug in \
                 Terraform or in the provider.",
            );
            diags
        })
    }

    pub(super) fn cancellation(&self) -> CancellationToken {
        self.stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// StopProvider: cancels every in-flight operation, then re-arms so that later
    /// operations are not cancelled before they start.
    pub fn stop(&self) {
        let mut token = self.stop.lock().unwrap_or_else(PoisonError::into_inner);
        token.cancel();
        *token = CancellationToken::new();
    }
}

/// The registry of resource or data source types: each `(name, check, implementation,
/// schema)` by name, with every failed schema check reported in `diagnostics`.
fn register<T: ?Sized>(
    types: impl Iterator<Item = (&'static str, Result<(), SchemaError>, Arc<T>, Schema)>,
    diagnostics: &mut Diagnostics,
) -> BTreeMap<&'static str, Registered<T>> {
    let mut registry = BTreeMap::new();
    for (name, check, implementation, schema) in types {
        if let Err(error) = check {
            diagnostics.add_error(format!("Invalid schema for {name}"), error.to_string());
        }
        registry.insert(name, Registered::new(implementation, schema));
    }
    registry
}

/// Makes a state returned by a resource fit to send: unknowns become null (with an error
/// unless the operation already failed: Terraform rejects unknowns after apply or read),
/// null blocks become empty collections.
pub(super) fn settle(
    schema: &Schema,
    state: Value,
    diags: &mut Diagnostics,
    operation: &str,
) -> Value {
    let unknown = state.unknown_paths();
    let state = if unknown.is_empty() {
        state
    } else {
        if !diags.has_error() {
            let paths: Vec<String> = unknown.iter().map(ToString::to_string).collect();
            diags.add_error(
                "Provider returned unknown values",
                format!(
                    "After {operation}, these attributes are still unknown: {}. This is a bug \
                     in the provider.",
                    paths.join(", ")
                ),
            );
        }
        state.unknowns_to_null()
    };
    schema.body().normalize(state)
}

/// The time limits of `resource`'s operations on `object` (the plan of a create or update,
/// the state of a read or delete): the `timeouts` block's values over the resource's
/// defaults, or [`MAX_DURATION`] for a resource without timeouts.
pub(super) fn time_limits<C>(resource: &dyn ErasedResource<C>, object: &Value) -> Timeouts {
    match resource.timeouts() {
        Some(defaults) => defaults.resolve(object),
        None => Timeouts {
            create: MAX_DURATION,
            read: MAX_DURATION,
            update: MAX_DURATION,
            delete: MAX_DURATION,
        },
    }
}
