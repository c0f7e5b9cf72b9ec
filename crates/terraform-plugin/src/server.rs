//! The framework-native provider server: every Terraform RPC as a method on framework
//! types, with the planning and apply semantics Terraform's plugin protocol documents for
//! resources. The `proto6` adapter only converts messages to and from these calls.
//!
//! The chores every resource would otherwise get wrong live here: unconfigured attributes
//! take their schema default, other unconfigured computed attributes become unknown (unless
//! nothing changed), plan modifiers run, required attributes set to null are refused, private
//! state is echoed on every hop, apply dispatches on which state is null,
//! failures return diagnostics together with the state that exists, and StopProvider
//! cancels in-flight operations and then re-arms for later ones.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tokio_util::sync::CancellationToken;

use super::codec;
use super::datasource::{self, ErasedDataSource};
use super::diag::Diagnostics;
use super::path::{AttributePath, PathStep};
use super::planmod::{AttributePlanRequest, AttributePlanResponse};
use super::provider::{ConfigureRequest, Provider};
use super::resource::{
    CreateRequest, CreateResponse, DeleteRequest, DeleteResponse, ErasedResource, ImportRequest,
    ImportResponse, ModifyPlanRequest, ModifyPlanResponse, ReadRequest, ReadResponse,
    UpdateRequest, UpdateResponse, UpgradeStateRequest, UpgradeStateResponse,
};
use super::schema::{Block, Mode, Nesting, Schema};
use super::timeouts;
use super::value::{Type, Value};

/// A registered resource or data source with its schema and value type, computed once.
struct Registered<T: ?Sized> {
    implementation: Arc<T>,
    schema: Schema,
    value_type: Type,
}

impl<T: ?Sized> Registered<T> {
    fn new(implementation: Arc<T>, schema: Schema) -> Self {
        let value_type = schema.value_type();
        Self {
            implementation,
            schema,
            value_type,
        }
    }
}

/// PlanResourceChange input.
#[derive(Debug, Clone)]
pub struct PlanResourceChangeRequest {
    /// Null when creating.
    pub prior_state: Value,
    /// Terraform's merge of prior state and configuration; null when destroying.
    pub proposed_state: Value,
    /// The configuration; null when destroying.
    pub config: Value,
    /// Private data stored with the prior state.
    pub prior_private: Vec<u8>,
}

/// PlanResourceChange output.
#[derive(Debug, Clone, Default)]
pub struct PlanResourceChangeResponse {
    /// The plan; unknowns mean "known after apply".
    pub planned_state: Value,
    /// Attributes whose change forces a replacement, sorted.
    pub requires_replace: Vec<AttributePath>,
    /// Private data handed to apply.
    pub planned_private: Vec<u8>,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// ApplyResourceChange input.
#[derive(Debug, Clone)]
pub struct ApplyResourceChangeRequest {
    /// Null when creating.
    pub prior_state: Value,
    /// Null when deleting.
    pub planned_state: Value,
    /// The configuration; null when deleting.
    pub config: Value,
    /// Private data from the plan.
    pub planned_private: Vec<u8>,
}

/// ApplyResourceChange output.
#[derive(Debug, Clone, Default)]
pub struct ApplyResourceChangeResponse {
    /// The state that now exists (wholly known), or null.
    pub new_state: Value,
    /// Private data to store with it.
    pub private: Vec<u8>,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// ReadResource output.
#[derive(Debug, Clone, Default)]
pub struct ReadResourceResponse {
    /// The refreshed state; null if the object is gone.
    pub new_state: Value,
    /// Private data to store with it.
    pub private: Vec<u8>,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// ImportResourceState output.
#[derive(Debug, Clone, Default)]
pub struct ImportResourceStateResponse {
    /// The imported state, if the import succeeded.
    pub state: Option<Value>,
    /// Private data for it.
    pub private: Vec<u8>,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// UpgradeResourceState and ReadDataSource output: one value plus diagnostics.
#[derive(Debug, Clone, Default)]
pub struct StateResponse {
    /// The resulting value.
    pub state: Value,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// The framework-native provider server for provider `P`.
pub struct Server<P: Provider> {
    provider: P,
    provider_schema: Schema,
    provider_type: Type,
    resources: BTreeMap<&'static str, Registered<dyn ErasedResource<P::Data>>>,
    data_sources: BTreeMap<&'static str, Registered<dyn ErasedDataSource<P::Data>>>,
    schema_diagnostics: Diagnostics,
    /// Set by ConfigureProvider; read by every resource operation. A std lock: never held
    /// across an await.
    data: RwLock<Option<Arc<P::Data>>>,
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
        let mut resources = BTreeMap::new();
        for handle in provider.resources() {
            let implementation = handle.0;
            let schema = implementation.schema();
            let name = implementation.type_name();
            if let Err(error) = schema.check_resource() {
                schema_diagnostics
                    .add_error(format!("Invalid schema for {name}"), error.to_string());
            }
            resources.insert(name, Registered::new(implementation, schema));
        }
        let mut data_sources = BTreeMap::new();
        for handle in provider.data_sources() {
            let implementation = handle.0;
            let schema = implementation.schema();
            let name = implementation.type_name();
            if let Err(error) = schema.check() {
                schema_diagnostics
                    .add_error(format!("Invalid schema for {name}"), error.to_string());
            }
            data_sources.insert(name, Registered::new(implementation, schema));
        }
        Self {
            provider_type: provider_schema.value_type(),
            provider,
            provider_schema,
            resources,
            data_sources,
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

    /// Every data source type's schema, by type name.
    pub fn data_source_schemas(&self) -> impl Iterator<Item = (&'static str, &Schema)> {
        self.data_sources.iter().map(|(name, d)| (*name, &d.schema))
    }

    /// Problems found in the declared schemas.
    pub fn schema_diagnostics(&self) -> &Diagnostics {
        &self.schema_diagnostics
    }

    fn resource(
        &self,
        type_name: &str,
    ) -> Result<&Registered<dyn ErasedResource<P::Data>>, Diagnostics> {
        self.resources.get(type_name).ok_or_else(|| {
            let mut diags = Diagnostics::new();
            diags.add_error(
                "Unknown resource type",
                format!(
                    "The provider {} has no resource type {type_name:?}.",
                    self.provider.type_name()
                ),
            );
            diags
        })
    }

    fn data_source(
        &self,
        type_name: &str,
    ) -> Result<&Registered<dyn ErasedDataSource<P::Data>>, Diagnostics> {
        self.data_sources.get(type_name).ok_or_else(|| {
            let mut diags = Diagnostics::new();
            diags.add_error(
                "Unknown data source type",
                format!(
                    "The provider {} has no data source type {type_name:?}.",
                    self.provider.type_name()
                ),
            );
            diags
        })
    }

    /// The value type of resource `type_name`, or the "unknown resource type" diagnostic.
    pub fn resource_type(&self, type_name: &str) -> Result<&Type, Diagnostics> {
        self.resource(type_name).map(|r| &r.value_type)
    }

    /// The value type of data source `type_name`, or the "unknown data source" diagnostic.
    pub fn data_source_type(&self, type_name: &str) -> Result<&Type, Diagnostics> {
        self.data_source(type_name).map(|d| &d.value_type)
    }

    fn provider_data(&self) -> Result<Arc<P::Data>, Diagnostics> {
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

    fn cancellation(&self) -> CancellationToken {
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

    /// ValidateProviderConfig.
    pub fn validate_provider_config(&self, config: &Value) -> Diagnostics {
        validate_config(
            &self.provider_schema,
            config,
            NullRequired::Allowed,
            |diags| self.provider.validate(config, diags),
        )
    }

    /// ConfigureProvider: stores the provider's data for later operations.
    pub async fn configure_provider(
        &self,
        config: Value,
        terraform_version: String,
    ) -> Diagnostics {
        let request = ConfigureRequest {
            config,
            terraform_version,
        };
        match self.provider.configure(request).await {
            Ok(data) => {
                *self.data.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(data));
                Diagnostics::new()
            }
            Err(mut diags) => {
                if !diags.has_error() {
                    diags.add_error("Provider configuration failed", "");
                }
                diags
            }
        }
    }

    /// ValidateResourceConfig: schema validators (unknown values skipped), deprecation
    /// warnings, then the resource's own checks.
    pub fn validate_resource_config(&self, type_name: &str, config: &Value) -> Diagnostics {
        let resource = match self.resource(type_name) {
            Ok(resource) => resource,
            Err(diags) => return diags,
        };
        validate_config(&resource.schema, config, NullRequired::Refused, |diags| {
            resource.implementation.validate(config, diags)
        })
    }

    /// ValidateDataResourceConfig.
    pub fn validate_data_source_config(&self, type_name: &str, config: &Value) -> Diagnostics {
        let data_source = match self.data_source(type_name) {
            Ok(data_source) => data_source,
            Err(diags) => return diags,
        };
        validate_config(
            &data_source.schema,
            config,
            NullRequired::Refused,
            |diags| data_source.implementation.validate(config, diags),
        )
    }

    /// UpgradeResourceState: a state of the current version is decoded as is (attributes
    /// missing from it become null, attributes the schema no longer has are dropped);
    /// older versions go through the resource's upgrade.
    pub fn upgrade_resource_state(
        &self,
        type_name: &str,
        version: i64,
        raw_json: &[u8],
        has_flatmap: bool,
    ) -> StateResponse {
        let mut resp = StateResponse::default();
        let resource = match self.resource(type_name) {
            Ok(resource) => resource,
            Err(diags) => {
                return StateResponse {
                    state: Value::Null,
                    diagnostics: diags,
                };
            }
        };
        let current = resource.schema.version();
        if raw_json.is_empty() {
            let detail = if has_flatmap {
                "The state was written by Terraform before 0.12 (flatmap format), which this \
                 provider cannot read. Upgrade it with an older Terraform release first."
            } else {
                "Terraform sent no stored state to upgrade."
            };
            resp.diagnostics
                .add_error("Unable to Upgrade Resource State", detail);
            return resp;
        }
        if version > current {
            resp.diagnostics.add_error(
                "Unable to Upgrade Resource State",
                format!(
                    "The state was written by schema version {version}, newer than this \
                     provider's version {current}. Use a newer provider release."
                ),
            );
            return resp;
        }
        let state = if version == current {
            match codec::from_json(raw_json, &resource.value_type) {
                Ok(state) => state,
                Err(error) => {
                    resp.diagnostics.add_error(
                        "Unable to Read Stored State",
                        format!("The stored state does not match the schema: {error}."),
                    );
                    return resp;
                }
            }
        } else {
            let mut out = UpgradeStateResponse {
                state: Value::Null,
                diagnostics: Diagnostics::new(),
            };
            let request = UpgradeStateRequest { version, raw_json };
            resource.implementation.upgrade_state(request, &mut out);
            resp.diagnostics = out.diagnostics;
            out.state
        };
        if resp.diagnostics.has_error() {
            return resp;
        }
        if state.is_null() || !state.is_wholly_known() {
            resp.diagnostics.add_error(
                "Unable to Upgrade Resource State",
                "The upgraded state is null or holds unknown values. This is a bug in the provider.",
            );
            return resp;
        }
        resp.state = resource.schema.body().normalize(state);
        resp
    }

    /// ReadResource: refreshes a state; private data is echoed unless the resource
    /// changes it.
    pub async fn read_resource(
        &self,
        type_name: &str,
        state: Value,
        private: Vec<u8>,
    ) -> ReadResourceResponse {
        let mut resp = ReadResourceResponse {
            new_state: state.clone(),
            private: private.clone(),
            diagnostics: Diagnostics::new(),
        };
        if state.is_null() {
            return resp;
        }
        let (resource, provider) = match self
            .resource(type_name)
            .and_then(|r| Ok((r, self.provider_data()?)))
        {
            Ok(found) => found,
            Err(diags) => {
                resp.diagnostics = diags;
                return resp;
            }
        };
        let mut out = ReadResponse {
            state: state.clone(),
            private: private.clone(),
            diagnostics: Diagnostics::new(),
        };
        let request = ReadRequest {
            state,
            private,
            provider,
            cancel: self.cancellation(),
        };
        resource.implementation.read(request, &mut out).await;
        resp.diagnostics = out.diagnostics;
        resp.private = out.private;
        resp.new_state = if out.state.is_null() {
            Value::Null
        } else {
            settle(&resource.schema, out.state, &mut resp.diagnostics, "read")
        };
        resp
    }

    /// PlanResourceChange.
    pub fn plan_resource_change(
        &self,
        type_name: &str,
        req: PlanResourceChangeRequest,
    ) -> PlanResourceChangeResponse {
        let mut resp = PlanResourceChangeResponse {
            planned_state: Value::Null,
            requires_replace: Vec::new(),
            planned_private: req.prior_private.clone(),
            diagnostics: Diagnostics::new(),
        };
        let resource = match self.resource(type_name) {
            Ok(resource) => resource,
            Err(diags) => {
                resp.diagnostics = diags;
                return resp;
            }
        };
        if req.proposed_state.is_null() {
            return resp;
        }
        let creating = req.prior_state.is_null();
        let provider = match self.provider_data() {
            Ok(provider) => provider,
            Err(diags) => {
                resp.diagnostics = diags;
                return resp;
            }
        };
        let mut plan = req.proposed_state;
        apply_defaults(resource.schema.body(), &req.config, &mut plan);
        // Terraform proposes the prior value for an unconfigured computed attribute; when
        // nothing else differs either, no value is "known after apply". Modifiers and the
        // resource still run: a prior state may need a fix that no attribute shows.
        let unchanged = !creating && plan == req.prior_state;
        let mut replace = Vec::new();
        let mut walk = PlanWalk {
            creating,
            unchanged,
            requires_replace: &mut replace,
            diagnostics: &mut resp.diagnostics,
        };
        walk.block(
            resource.schema.body(),
            &AttributePath::root(),
            &req.config,
            &req.prior_state,
            &mut plan,
        );
        let mut hook = ModifyPlanResponse {
            plan,
            requires_replace: Vec::new(),
            private: req.prior_private,
            diagnostics: Diagnostics::new(),
        };
        let request = ModifyPlanRequest {
            config: &req.config,
            state: &req.prior_state,
            provider: &*provider,
        };
        resource.implementation.modify_plan(request, &mut hook);
        resp.diagnostics.extend(hook.diagnostics);
        resp.planned_private = hook.private;
        resp.planned_state = resource.schema.body().normalize(hook.plan);
        if !creating {
            replace.extend(hook.requires_replace);
            replace.retain(|path| {
                path.steps().first() != Some(&PathStep::Attribute(timeouts::BLOCK_NAME.to_owned()))
            });
            replace.sort();
            replace.dedup();
            resp.requires_replace = replace;
        }
        resp
    }

    /// ApplyResourceChange: create, update or delete, chosen by which state is null.
    pub async fn apply_resource_change(
        &self,
        type_name: &str,
        req: ApplyResourceChangeRequest,
    ) -> ApplyResourceChangeResponse {
        let mut resp = ApplyResourceChangeResponse {
            new_state: req.prior_state.clone(),
            private: req.planned_private.clone(),
            diagnostics: Diagnostics::new(),
        };
        let (resource, provider) = match self
            .resource(type_name)
            .and_then(|r| Ok((r, self.provider_data()?)))
        {
            Ok(found) => found,
            Err(diags) => {
                resp.diagnostics = diags;
                return resp;
            }
        };
        let cancel = self.cancellation();
        let implementation = &resource.implementation;
        if req.planned_state.is_null() {
            if req.prior_state.is_null() {
                return resp;
            }
            let mut out = DeleteResponse::default();
            let request = DeleteRequest {
                state: req.prior_state,
                private: req.planned_private,
                provider,
                cancel,
            };
            implementation.delete(request, &mut out).await;
            if !out.diagnostics.has_error() {
                resp.new_state = Value::Null;
                resp.private = Vec::new();
            }
            resp.diagnostics = out.diagnostics;
            return resp;
        }
        let (state, private, mut diagnostics, operation) = if req.prior_state.is_null() {
            let mut out = CreateResponse {
                state: req.planned_state.clone(),
                private: req.planned_private.clone(),
                diagnostics: Diagnostics::new(),
            };
            let request = CreateRequest {
                config: req.config,
                plan: req.planned_state,
                provider,
                cancel,
            };
            implementation.create(request, &mut out).await;
            (out.state, out.private, out.diagnostics, "create")
        } else {
            let mut out = UpdateResponse {
                state: req.planned_state.clone(),
                private: req.planned_private.clone(),
                diagnostics: Diagnostics::new(),
            };
            let request = UpdateRequest {
                config: req.config,
                plan: req.planned_state,
                state: req.prior_state,
                private: req.planned_private,
                provider,
                cancel,
            };
            implementation.update(request, &mut out).await;
            (out.state, out.private, out.diagnostics, "update")
        };
        if state.is_null() && !diagnostics.has_error() {
            diagnostics.add_error(
                "Provider returned no state",
                format!("The {operation} succeeded but returned no state. This is a bug in the provider."),
            );
        }
        resp.new_state = if state.is_null() {
            Value::Null
        } else {
            settle(&resource.schema, state, &mut diagnostics, operation)
        };
        resp.private = private;
        resp.diagnostics = diagnostics;
        resp
    }

    /// ImportResourceState: the resource turns the user's identifier into a partial state
    /// that Terraform then reads.
    pub fn import_resource_state(&self, type_name: &str, id: &str) -> ImportResourceStateResponse {
        let mut resp = ImportResourceStateResponse::default();
        let (resource, provider) = match self
            .resource(type_name)
            .and_then(|r| Ok((r, self.provider_data()?)))
        {
            Ok(found) => found,
            Err(diags) => {
                resp.diagnostics = diags;
                return resp;
            }
        };
        let mut out = ImportResponse {
            state: resource.schema.body().empty_value(),
            private: Vec::new(),
            diagnostics: Diagnostics::new(),
        };
        resource.implementation.import(
            ImportRequest {
                id,
                provider: &*provider,
            },
            &mut out,
        );
        resp.diagnostics = out.diagnostics;
        if resp.diagnostics.has_error() {
            return resp;
        }
        if out.state.is_null() || !out.state.is_wholly_known() {
            resp.diagnostics.add_error(
                "Import produced no usable state",
                "The imported state is null or holds unknown values. This is a bug in the provider.",
            );
            return resp;
        }
        resp.state = Some(resource.schema.body().normalize(out.state));
        resp.private = out.private;
        resp
    }

    /// ReadDataSource: the data source fills in every computed attribute.
    pub async fn read_data_source(&self, type_name: &str, config: Value) -> StateResponse {
        let mut resp = StateResponse::default();
        let (data_source, provider) = match self
            .data_source(type_name)
            .and_then(|d| Ok((d, self.provider_data()?)))
        {
            Ok(found) => found,
            Err(diags) => {
                resp.diagnostics = diags;
                return resp;
            }
        };
        let mut state = config.clone();
        mark_computed_unknown(data_source.schema.body(), &config, &mut state);
        let mut out = datasource::ReadResponse {
            state,
            diagnostics: Diagnostics::new(),
        };
        let request = datasource::ReadRequest {
            config,
            provider,
            cancel: self.cancellation(),
        };
        data_source.implementation.read(request, &mut out).await;
        resp.diagnostics = out.diagnostics;
        resp.state = settle(
            &data_source.schema,
            out.state,
            &mut resp.diagnostics,
            "read",
        );
        resp
    }
}

/// Makes a state returned by a resource fit to send: unknowns become null (with an error
/// unless the operation already failed: Terraform rejects unknowns after apply or read),
/// null blocks become empty collections.
fn settle(schema: &Schema, state: Value, diags: &mut Diagnostics, operation: &str) -> Value {
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

/// Elements of a nested block value, paired with their path.
fn block_elements<'a>(
    nesting: Nesting,
    value: &'a mut Value,
    path: &AttributePath,
) -> Vec<(AttributePath, Option<PathStep>, &'a mut Value)> {
    match (nesting, value) {
        (Nesting::Single | Nesting::Group, object @ Value::Object(_)) => {
            vec![(path.clone(), None, object)]
        }
        (Nesting::List { .. }, Value::List(items)) => items
            .iter_mut()
            .enumerate()
            .map(|(i, item)| (path.clone().index(i), Some(PathStep::Index(i as i64)), item))
            .collect(),
        // Set elements cannot be addressed: they are matched to config and prior elements
        // by position and reported at the set's path.
        (Nesting::Set { .. }, Value::Set(items)) => items
            .iter_mut()
            .enumerate()
            .map(|(i, item)| (path.clone(), Some(PathStep::Index(i as i64)), item))
            .collect(),
        (Nesting::Map, Value::Map(items)) => items
            .iter_mut()
            .map(|(key, item)| {
                (
                    path.clone().key(key.clone()),
                    Some(PathStep::Key(key.clone())),
                    item,
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The element of a nested block value (from config or prior state) matching `step`.
fn matching<'a>(value: &'a Value, step: &Option<PathStep>) -> &'a Value {
    static NULL: Value = Value::Null;
    match (value, step) {
        (_, None) => value,
        (Value::List(items) | Value::Set(items), Some(PathStep::Index(i))) => usize::try_from(*i)
            .ok()
            .and_then(|i| items.get(i))
            .unwrap_or(&NULL),
        (Value::Map(items), Some(PathStep::Key(key))) => items.get(key).unwrap_or(&NULL),
        _ => &NULL,
    }
}

/// Marks computed attributes that the configuration leaves null as unknown.
fn mark_computed_unknown(block: &Block, config: &Value, value: &mut Value) {
    if let Value::Object(attrs) = value {
        for attribute in block.attributes() {
            if attribute.mode().is_computed() && config.attr(attribute.name()).is_null() {
                attrs.insert(attribute.name().to_owned(), Value::Unknown);
            }
        }
    }
    for nested in block.blocks() {
        let Value::Object(attrs) = value else { return };
        let Some(current) = attrs.get_mut(nested.name()) else {
            continue;
        };
        let config = config.attr(nested.name());
        for (_, step, element) in block_elements(nested.nesting(), current, &AttributePath::root())
        {
            mark_computed_unknown(nested.block(), matching(config, &step), element);
        }
    }
}

/// Puts each attribute's schema default where the configuration leaves it null.
fn apply_defaults(block: &Block, config: &Value, value: &mut Value) {
    let Value::Object(attrs) = value else { return };
    for attribute in block.attributes() {
        if let Some(default) = attribute.default_value()
            && config.attr(attribute.name()).is_null()
        {
            attrs.insert(attribute.name().to_owned(), default.clone());
        }
    }
    for nested in block.blocks() {
        let Some(current) = attrs.get_mut(nested.name()) else {
            continue;
        };
        let config = config.attr(nested.name());
        for (_, step, element) in block_elements(nested.nesting(), current, &AttributePath::root())
        {
            apply_defaults(nested.block(), matching(config, &step), element);
        }
    }
}

/// One planning pass over a resource's blocks.
struct PlanWalk<'a> {
    creating: bool,
    /// The proposed state (with defaults) equals the prior state.
    unchanged: bool,
    requires_replace: &'a mut Vec<AttributePath>,
    diagnostics: &'a mut Diagnostics,
}

impl PlanWalk<'_> {
    fn block(
        &mut self,
        block: &Block,
        path: &AttributePath,
        config: &Value,
        prior: &Value,
        plan: &mut Value,
    ) {
        let Value::Object(attrs) = plan else { return };
        for attribute in block.attributes() {
            let name = attribute.name();
            let config_value = config.attr(name);
            let current = attrs.entry(name.to_owned()).or_insert(Value::Null);
            if attribute.mode().is_computed()
                && config_value.is_null()
                && attribute.default_value().is_none()
                && !self.unchanged
            {
                *current = Value::Unknown;
            }
            if attribute.plan_modifiers().is_empty() {
                continue;
            }
            let at = path.clone().attribute(name);
            let request = AttributePlanRequest {
                path: &at,
                config: config_value,
                state: prior.attr(name),
                creating: self.creating,
            };
            let mut response = AttributePlanResponse {
                plan: std::mem::replace(current, Value::Null),
                requires_replace: false,
                diagnostics: Diagnostics::new(),
            };
            for modifier in attribute.plan_modifiers() {
                modifier.modify(&request, &mut response);
            }
            *current = response.plan;
            if response.requires_replace {
                self.requires_replace.push(at);
            }
            self.diagnostics.extend(response.diagnostics);
        }
        for nested in block.blocks() {
            let Some(current) = attrs.get_mut(nested.name()) else {
                continue;
            };
            let at = path.clone().attribute(nested.name());
            let config = config.attr(nested.name());
            let prior = prior.attr(nested.name());
            let is_set = matches!(current, Value::Set(_));
            for (element_path, step, element) in block_elements(nested.nesting(), current, &at) {
                self.block(
                    nested.block(),
                    &element_path,
                    matching(config, &step),
                    matching(prior, &step),
                    element,
                );
            }
            if is_set && let Value::Set(items) = current {
                *current = Value::set_of(std::mem::take(items));
            }
        }
    }
}

/// Elements of a nested block value in configuration, paired with their path (set
/// elements cannot be addressed, so they carry the set's path).
fn config_elements<'a>(
    nesting: Nesting,
    value: &'a Value,
    path: &AttributePath,
) -> Vec<(AttributePath, &'a Value)> {
    match (nesting, value) {
        (Nesting::Single | Nesting::Group, object @ Value::Object(_)) => {
            vec![(path.clone(), object)]
        }
        (Nesting::List { .. }, Value::List(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (path.clone().index(i), item))
            .collect(),
        (Nesting::Set { .. }, Value::Set(items)) => {
            items.iter().map(|item| (path.clone(), item)).collect()
        }
        (Nesting::Map, Value::Map(items)) => items
            .iter()
            .map(|(key, item)| (path.clone().key(key.clone()), item))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether a required attribute may be null in a configuration: a provider block may be left
/// out (Terraform then sends nulls and the provider reads its environment), a resource or data
/// source block may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NullRequired {
    Allowed,
    Refused,
}

/// Validates `config` against `schema`, then runs `own_checks` (the provider's, resource's or
/// data source's own validation) on the same diagnostics.
fn validate_config(
    schema: &Schema,
    config: &Value,
    null_required: NullRequired,
    own_checks: impl FnOnce(&mut Diagnostics),
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let root = AttributePath::root();
    validate_block(schema.body(), &root, config, null_required, &mut diags);
    own_checks(&mut diags);
    diags
}

/// Runs validators on known configuration values, refuses null required ones (when
/// `null_required` says so) and warns about deprecated ones.
fn validate_block(
    block: &Block,
    path: &AttributePath,
    config: &Value,
    null_required: NullRequired,
    diags: &mut Diagnostics,
) {
    if !matches!(config, Value::Object(_)) {
        return;
    }
    for attribute in block.attributes() {
        let value = config.attr(attribute.name());
        let at = path.clone().attribute(attribute.name());
        if value.is_null() {
            // Terraform itself refuses a missing required argument, but passes an explicit
            // `null` (a literal, or a variable or function that yields null) on to the
            // provider, which would only fail at apply.
            if attribute.mode() == Mode::Required && null_required == NullRequired::Refused {
                diags.add_attribute_error(
                    at.clone(),
                    "Missing Configuration for Required Attribute",
                    format!(
                        "The argument {at} is required, but its value is null. Give it a \
                         value, or check the variable or expression it comes from."
                    ),
                );
            }
            continue;
        }
        if let Some(message) = attribute.deprecation() {
            diags.add_attribute_warning(at.clone(), "Attribute Deprecated", message);
        }
        if value.is_unknown() {
            continue;
        }
        let mut found = Diagnostics::new();
        for validator in attribute.validators() {
            validator.validate(&at, value, &mut found);
        }
        for mut diagnostic in found {
            // Validators quote the value they reject; a sensitive one must not be echoed.
            if attribute.is_sensitive() {
                diagnostic.detail =
                    format!("Attribute {at} has an invalid value (not shown: sensitive).");
            }
            diags.push(diagnostic);
        }
    }
    for nested in block.blocks() {
        let value = config.attr(nested.name());
        let at = path.clone().attribute(nested.name());
        let elements = config_elements(nested.nesting(), value, &at);
        if !elements.is_empty()
            && let Some(message) = nested.block().deprecation()
        {
            diags.add_attribute_warning(at.clone(), "Block Deprecated", message);
        }
        for (element_path, element) in elements {
            validate_block(nested.block(), &element_path, element, null_required, diags);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::diag::Severity;
    use crate::testing::{TestProvider, object, widget_config};

    async fn configured() -> Server<TestProvider> {
        let server = Server::new(TestProvider::default());
        let diags = server
            .configure_provider(
                object(&[("endpoint", "https://x".into())]),
                "1.0.3".to_owned(),
            )
            .await;
        assert!(diags.is_empty(), "{diags:?}");
        server
    }

    fn plan(
        server: &Server<TestProvider>,
        prior: &Value,
        config: &Value,
    ) -> PlanResourceChangeResponse {
        server.plan_resource_change(
            "test_widget",
            PlanResourceChangeRequest {
                prior_state: prior.clone(),
                proposed_state: proposed(prior, config),
                config: config.clone(),
                prior_private: b"prior".to_vec(),
            },
        )
    }

    /// Terraform's proposed new state: configuration, with prior values for computed
    /// attributes left null in configuration.
    fn proposed(prior: &Value, config: &Value) -> Value {
        let Value::Object(attrs) = config else {
            return Value::Null;
        };
        let schema = crate::testing::Widget;
        let schema = crate::resource::Resource::schema(&schema);
        let mut proposed = attrs.clone();
        for attribute in schema.body().attributes() {
            if attribute.mode().is_computed() && config.attr(attribute.name()).is_null() {
                proposed.insert(
                    attribute.name().to_owned(),
                    prior.attr(attribute.name()).clone(),
                );
            }
        }
        Value::Object(proposed)
    }

    async fn apply(
        server: &Server<TestProvider>,
        prior: &Value,
        planned: &Value,
        config: &Value,
    ) -> ApplyResourceChangeResponse {
        server
            .apply_resource_change(
                "test_widget",
                ApplyResourceChangeRequest {
                    prior_state: prior.clone(),
                    planned_state: planned.clone(),
                    config: config.clone(),
                    planned_private: b"planned".to_vec(),
                },
            )
            .await
    }

    /// Creates widget `name` and returns its state.
    async fn created(server: &Server<TestProvider>, name: &str) -> Value {
        let config = widget_config(name, &[]);
        let planned = plan(server, &Value::Null, &config).planned_state;
        let applied = apply(server, &Value::Null, &planned, &config).await;
        assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
        applied.new_state
    }

    #[tokio::test]
    async fn create_plan_marks_unconfigured_computed_attributes_unknown() {
        let server = configured().await;
        let config = widget_config("w1", &[("size", 5i64.into())]);
        let resp = plan(&server, &Value::Null, &config);
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        let planned = &resp.planned_state;
        assert!(planned.is_unknown_attr("id"));
        assert!(planned.is_unknown_attr("etag"));
        assert_eq!(
            planned.get_i64("size"),
            Some(5),
            "configured values stay as configured"
        );
        assert_eq!(
            planned.get_str("tier"),
            Some("basic"),
            "static default planned"
        );
        assert_eq!(
            planned.get_str("url"),
            Some("https://x/w1"),
            "modify_plan sees provider data"
        );
        assert!(planned.is_null_attr("tags"));
        assert!(planned.is_null_attr("timeouts"));
        assert!(resp.requires_replace.is_empty());
        assert_eq!(resp.planned_private, b"prior");
    }

    #[tokio::test]
    async fn planning_is_deterministic() {
        let server = configured().await;
        let config = widget_config("w1", &[("tags", Value::strings(["b", "a"]))]);
        let first = plan(&server, &Value::Null, &config).planned_state;
        let second = plan(&server, &Value::Null, &config).planned_state;
        let ty = server.resource_type("test_widget").unwrap();
        assert_eq!(
            codec::to_msgpack(&first, ty),
            codec::to_msgpack(&second, ty)
        );
    }

    #[tokio::test]
    async fn unchanged_update_returns_prior_state_untouched() {
        let server = configured().await;
        let state = created(&server, "w1").await;
        let resp = plan(&server, &state, &widget_config("w1", &[]));
        assert_eq!(resp.planned_state, state);
        assert!(resp.requires_replace.is_empty());
        assert_eq!(resp.planned_private, b"prior");
    }

    /// A default is planned whenever the attribute is unconfigured, also when the prior state
    /// drifted away from it and Terraform proposes the drifted value: the plan shows the drift
    /// and sets it back, without making other computed values unknown.
    #[tokio::test]
    async fn defaults_are_planned_over_drifted_state() {
        let server = configured().await;
        let mut state = created(&server, "w1").await;
        assert_eq!(state.get_str("tier"), Some("basic"));
        state.set("tier", "gold");
        let resp = plan(&server, &state, &widget_config("w1", &[]));
        assert_eq!(resp.planned_state.get_str("tier"), Some("basic"));
        assert_eq!(resp.planned_state.get_str("id"), Some("w-w1"));
        assert!(resp.planned_state.is_unknown_attr("etag"));
        let configured = plan(
            &server,
            &state,
            &widget_config("w1", &[("tier", "gold".into())]),
        );
        assert_eq!(configured.planned_state, state, "a configured value wins");
    }

    /// With nothing to change, the resource's own plan logic still runs (it may plan a fix
    /// that no attribute shows), but no computed value turns unknown.
    #[tokio::test]
    async fn an_unchanged_plan_still_runs_the_resource_without_unknowns() {
        let server = configured().await;
        let mut state = created(&server, "w1").await;
        state.set("url", "https://stale/w1");
        let resp = plan(&server, &state, &widget_config("w1", &[]));
        assert_eq!(resp.planned_state.get_str("url"), Some("https://x/w1"));
        assert!(resp.planned_state.is_wholly_known());
    }

    #[tokio::test]
    async fn required_attributes_set_to_null_are_refused_with_their_path() {
        let server = configured().await;
        let mut config = widget_config("w1", &[]);
        config.set("name", Value::Null);
        let diags = server.validate_resource_config("test_widget", &config);
        let found: Vec<_> = diags
            .errors()
            .map(|d| (d.path.clone(), d.summary.as_str()))
            .collect();
        assert_eq!(
            found,
            [(
                Some(AttributePath::attr("name")),
                "Missing Configuration for Required Attribute"
            )]
        );
        let mut unknown = widget_config("w1", &[]);
        unknown.set("name", Value::Unknown);
        assert!(
            server
                .validate_resource_config("test_widget", &unknown)
                .is_empty()
        );
        let data = object(&[("name", Value::Null), ("length", Value::Null)]);
        let diags = server.validate_data_source_config("test_widget_info", &data);
        assert_eq!(diags.errors().count(), 1, "{diags:?}");
        let provider = object(&[("endpoint", Value::Null)]);
        assert!(
            server.validate_provider_config(&provider).is_empty(),
            "a provider block may be left out"
        );
    }

    #[tokio::test]
    async fn update_keeps_stable_computed_values_and_unknowns_the_rest() {
        let server = configured().await;
        let state = created(&server, "w1").await;
        let config = widget_config("w1", &[("tags", Value::strings(["t"]))]);
        let resp = plan(&server, &state, &config);
        let planned = &resp.planned_state;
        assert_eq!(
            planned.get_str("id"),
            Some("w-w1"),
            "UseStateForUnknown keeps the id"
        );
        assert!(planned.is_unknown_attr("etag"));
        assert!(planned.is_unknown_attr("size"));
        assert_eq!(planned.get_strings("tags"), Some(vec!["t".to_owned()]));
        assert!(resp.requires_replace.is_empty());
        assert_eq!(resp.planned_private, b"prior");

        let applied = apply(&server, &state, planned, &config).await;
        assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
        assert_eq!(applied.new_state.get_str("etag"), Some("2"));
        assert_eq!(applied.new_state.get_i64("size"), Some(3));
        assert_eq!(
            applied.private, b"planned",
            "private state echoed through apply"
        );
    }

    #[tokio::test]
    async fn requires_replace_is_sorted_deduplicated_and_never_timeouts() {
        let server = configured().await;
        let state = created(&server, "w1").await;
        let renamed = plan(&server, &state, &widget_config("w2", &[]));
        assert_eq!(renamed.requires_replace, vec![AttributePath::attr("name")]);

        let timeouts = object(&[
            ("create", "5m".into()),
            ("read", Value::Null),
            ("update", Value::Null),
            ("delete", Value::Null),
        ]);
        let resp = plan(
            &server,
            &state,
            &widget_config("w1", &[("timeouts", timeouts.clone())]),
        );
        assert!(resp.requires_replace.is_empty());
        assert_eq!(resp.planned_state.attr("timeouts"), &timeouts);
    }

    #[tokio::test]
    async fn destroy_plan_is_null_and_echoes_private() {
        let server = configured().await;
        let state = created(&server, "w1").await;
        let resp = server.plan_resource_change(
            "test_widget",
            PlanResourceChangeRequest {
                prior_state: state,
                proposed_state: Value::Null,
                config: Value::Null,
                prior_private: b"prior".to_vec(),
            },
        );
        assert_eq!(resp.planned_state, Value::Null);
        assert_eq!(resp.planned_private, b"prior");
        assert!(resp.diagnostics.is_empty());
    }

    #[tokio::test]
    async fn create_fills_unknowns_and_returns_private() {
        let server = configured().await;
        let config = widget_config("w1", &[]);
        let planned = plan(&server, &Value::Null, &config).planned_state;
        let applied = apply(&server, &Value::Null, &planned, &config).await;
        assert!(applied.new_state.is_wholly_known());
        assert_eq!(applied.new_state.get_str("id"), Some("w-w1"));
        assert_eq!(applied.new_state.get_str("url"), Some("https://x/w1"));
        assert_eq!(applied.private, b"created");
    }

    #[tokio::test]
    async fn failed_create_after_the_object_exists_returns_state_and_error() {
        let server = configured().await;
        let config = widget_config("w1", &[("behaviour", "fail_after_create".into())]);
        let planned = plan(&server, &Value::Null, &config).planned_state;
        let applied = apply(&server, &Value::Null, &planned, &config).await;
        assert!(applied.diagnostics.has_error());
        assert_eq!(
            applied.diagnostics.len(),
            1,
            "no extra complaint about unknowns"
        );
        assert_eq!(applied.new_state.get_str("id"), Some("w-w1"));
        assert!(applied.new_state.is_wholly_known());
        assert!(applied.new_state.is_null_attr("etag"));
    }

    #[tokio::test]
    async fn failed_create_before_anything_exists_returns_null() {
        let server = configured().await;
        let config = widget_config("w1", &[("behaviour", "fail_before_create".into())]);
        let planned = plan(&server, &Value::Null, &config).planned_state;
        let applied = apply(&server, &Value::Null, &planned, &config).await;
        assert!(applied.diagnostics.has_error());
        assert_eq!(applied.new_state, Value::Null);
    }

    #[tokio::test]
    async fn unknowns_left_after_create_are_reported() {
        let server = configured().await;
        let config = widget_config("w1", &[("behaviour", "leave_unknown".into())]);
        let planned = plan(&server, &Value::Null, &config).planned_state;
        let applied = apply(&server, &Value::Null, &planned, &config).await;
        let detail = &applied.diagnostics.iter().next().unwrap().detail;
        assert!(
            detail.contains("etag") && detail.contains("size"),
            "{detail}"
        );
        assert!(applied.new_state.is_wholly_known());
    }

    #[tokio::test]
    async fn delete_returns_null_state() {
        let server = configured().await;
        let state = created(&server, "w1").await;
        let applied = apply(&server, &state, &Value::Null, &Value::Null).await;
        assert!(applied.diagnostics.is_empty());
        assert_eq!(applied.new_state, Value::Null);
    }

    #[tokio::test]
    async fn read_echoes_private_and_drops_vanished_objects() {
        let server = configured().await;
        let state = created(&server, "w1").await;
        let read = server
            .read_resource("test_widget", state.clone(), b"p".to_vec())
            .await;
        assert_eq!(read.new_state, state);
        assert_eq!(read.private, b"p");

        let gone = created(&server, "gone").await;
        let read = server.read_resource("test_widget", gone, Vec::new()).await;
        assert!(read.diagnostics.is_empty());
        assert_eq!(read.new_state, Value::Null);
    }

    #[tokio::test]
    async fn validation_skips_unknowns_and_reports_paths() {
        let server = configured().await;
        let unknown = widget_config(
            "w1",
            &[
                ("behaviour", Value::Unknown),
                ("tags", Value::List(vec![Value::Unknown, "ok".into()])),
            ],
        );
        let mut unknown = unknown;
        unknown.set("name", Value::Unknown);
        assert!(
            server
                .validate_resource_config("test_widget", &unknown)
                .is_empty()
        );

        let bad = widget_config(
            "much-too-long",
            &[
                ("behaviour", "explode".into()),
                ("tags", Value::strings(["", "x"])),
                ("legacy", "x".into()),
            ],
        );
        let diags = server.validate_resource_config("test_widget", &bad);
        let mut paths: Vec<String> = diags
            .errors()
            .map(|d| d.path.as_ref().unwrap().to_string())
            .collect();
        paths.sort();
        assert_eq!(paths, ["behaviour", "name", "tags[0]"]);
        let warning = diags
            .iter()
            .find(|d| d.severity == Severity::Warning)
            .unwrap();
        assert_eq!(warning.path, Some(AttributePath::attr("legacy")));

        let bad_timeout = widget_config(
            "w1",
            &[(
                "timeouts",
                object(&[
                    ("create", "soon".into()),
                    ("read", Value::Null),
                    ("update", Value::Null),
                    ("delete", Value::Null),
                ]),
            )],
        );
        let diags = server.validate_resource_config("test_widget", &bad_timeout);
        assert_eq!(
            diags.iter().next().unwrap().path,
            Some(AttributePath::attr("timeouts").attribute("create"))
        );
    }

    #[tokio::test]
    async fn stop_cancels_in_flight_operations_then_rearms() {
        let provider = TestProvider::default();
        let started = Arc::clone(&provider.started);
        let server = Arc::new(Server::new(provider));
        server
            .configure_provider(object(&[("endpoint", "https://x".into())]), String::new())
            .await;
        let config = widget_config("w1", &[("behaviour", "wait_for_cancel".into())]);
        let planned = plan(&server, &Value::Null, &config).planned_state;
        let task = {
            let server = Arc::clone(&server);
            tokio::spawn(async move { apply(&server, &Value::Null, &planned, &config).await })
        };
        started.notified().await;
        server.stop();
        let applied = task.await.unwrap();
        assert!(applied.diagnostics.has_error());
        assert_eq!(
            applied.new_state.get_str("id"),
            Some("w-w1"),
            "partial state kept"
        );
        assert!(
            !server.cancellation().is_cancelled(),
            "later operations start fresh"
        );
    }

    #[tokio::test]
    async fn import_uses_the_resource_or_explains_it_is_unsupported() {
        let server = configured().await;
        let imported = server.import_resource_state("test_widget", "w-w1");
        let state = imported.state.unwrap();
        assert_eq!(state.get_str("name"), Some("w1"));
        assert!(state.is_null_attr("timeouts"));
        assert!(state.is_null_attr("etag"));

        let bad = server.import_resource_state("test_widget", "nope");
        assert!(bad.state.is_none() && bad.diagnostics.has_error());

        let unsupported = server.import_resource_state("test_plain", "x");
        assert!(unsupported.state.is_none());
        assert_eq!(
            unsupported.diagnostics.iter().next().unwrap().summary,
            "Resource Import Not Implemented"
        );
    }

    #[tokio::test]
    async fn upgrade_decodes_current_states_and_upgrades_old_ones() {
        let server = configured().await;
        let current = server.upgrade_resource_state(
            "test_widget",
            1,
            br#"{"id":"w-a","name":"a","size":3,"dropped_attribute":true}"#,
            false,
        );
        assert!(current.diagnostics.is_empty(), "{:?}", current.diagnostics);
        assert_eq!(current.state.get_str("id"), Some("w-a"));
        assert!(
            current.state.is_null_attr("etag"),
            "missing attributes become null"
        );

        let old =
            server.upgrade_resource_state("test_widget", 0, br#"{"id":"w-a","title":"a"}"#, false);
        assert!(old.diagnostics.is_empty(), "{:?}", old.diagnostics);
        assert_eq!(old.state.get_str("name"), Some("a"));

        let newer = server.upgrade_resource_state("test_widget", 2, b"{}", false);
        assert!(newer.diagnostics.has_error());
        let flatmap = server.upgrade_resource_state("test_widget", 1, b"", true);
        assert!(
            flatmap
                .diagnostics
                .iter()
                .next()
                .unwrap()
                .detail
                .contains("flatmap")
        );
        let unsupported = server.upgrade_resource_state("test_plain", 0, br#"{"id":"x"}"#, false);
        assert!(unsupported.diagnostics.is_empty());
    }

    #[tokio::test]
    async fn data_sources_fill_computed_attributes() {
        let server = configured().await;
        let config = object(&[("name", "abcd".into()), ("length", Value::Null)]);
        assert!(
            server
                .validate_data_source_config("test_widget_info", &config)
                .is_empty()
        );
        let read = server.read_data_source("test_widget_info", config).await;
        assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
        assert_eq!(read.state.get_i64("length"), Some(4));
    }

    #[tokio::test]
    async fn unknown_types_and_unconfigured_providers_are_diagnostics() {
        let server = Server::new(TestProvider::default());
        assert!(
            server
                .validate_resource_config("test_nope", &Value::Null)
                .has_error()
        );
        assert!(server.resource_type("test_nope").is_err());
        let imported = server.import_resource_state("test_widget", "w-a");
        assert_eq!(
            imported.diagnostics.iter().next().unwrap().summary,
            "Provider not configured"
        );
        let diags = server
            .configure_provider(object(&[("endpoint", Value::Null)]), String::new())
            .await;
        assert_eq!(
            diags.iter().next().unwrap().path,
            Some(AttributePath::attr("endpoint"))
        );
    }

    #[test]
    fn declared_schemas_obey_terraform_rules() {
        let server = Server::new(TestProvider::default());
        assert!(
            server.schema_diagnostics().is_empty(),
            "{:?}",
            server.schema_diagnostics()
        );
        assert_eq!(server.resource_schemas().count(), 2);
    }
}
