//! The managed-resource interface: what a resource type implements, and the request and
//! response of each operation.
//!
//! Resource code sees only framework values. Responses arrive pre-filled (a create's state
//! starts as the plan, a read's as the current state, private state as received), so an
//! operation only writes what it learns. The provider's configured data reaches each
//! operation as a typed `Arc<C>`; cancellation (Terraform's StopProvider) as a
//! [`CancellationToken`]; its time limit, for a resource that declares
//! [`Resource::timeouts`], as a resolved `timeout` (the `timeouts` block convention:
//! create and update read the plan, read the current state, delete the prior state).
//!
//! A resource with an identity (Terraform 1.12) declares its [`IdentitySchema`] and says how
//! the identity follows from a state ([`Resource::identity`]); operations never handle
//! identities themselves. The framework derives the identity of every state it answers with
//! and holds it to Terraform's rules, so no operation can forget it or change it. The one
//! operation that starts from an identity is [`Resource::import_by_identity`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::diag::Diagnostics;
use super::identity::IdentitySchema;
use super::path::AttributePath;
use super::schema::Schema;
use super::timeouts::Timeouts;
use super::value::Value;

/// Applying a planned create or update.
#[derive(Debug)]
pub struct ApplyRequest<C> {
    /// The configuration (wholly known at apply).
    pub config: Value,
    /// The planned state; unknowns are for the resource to fill in.
    pub plan: Value,
    /// The prior state; null when creating.
    pub state: Value,
    /// The planned private data.
    pub private: Vec<u8>,
    /// The provider's configured data.
    pub provider: Arc<C>,
    /// Cancelled when Terraform asks the provider to stop.
    pub cancel: CancellationToken,
    /// Its time limit: see [`Resource::timeouts`].
    pub timeout: Duration,
}

/// Creating a resource.
pub type CreateRequest<C> = ApplyRequest<C>;

/// Updating a resource in place.
pub type UpdateRequest<C> = ApplyRequest<C>;

/// The outcome of a create or an update.
#[derive(Debug)]
pub struct ApplyResponse {
    /// Starts as the plan. Replace every unknown with the real value. On failure, set what
    /// is known to exist: after a create whose remote object exists, its identifying
    /// attributes (Terraform saves the state and marks it tainted); before anything exists,
    /// [`Value::Null`]; after an update that changed nothing, the prior state.
    pub state: Value,
    /// Opaque bytes stored with the state; starts as the planned private data.
    pub private: Vec<u8>,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// The outcome of a create.
pub type CreateResponse = ApplyResponse;

/// The outcome of an update.
pub type UpdateResponse = ApplyResponse;

/// An operation on an existing remote object: a read (refreshing it from the remote API)
/// or a delete (an object that is already gone counts as deleted).
#[derive(Debug)]
pub struct ObjectRequest<C> {
    /// The state Terraform holds (for a delete, the prior state).
    pub state: Value,
    /// The private data stored with it.
    pub private: Vec<u8>,
    /// The provider's configured data.
    pub provider: Arc<C>,
    /// Cancelled when Terraform asks the provider to stop.
    pub cancel: CancellationToken,
    /// Its time limit: see [`Resource::timeouts`].
    pub timeout: Duration,
}

/// Refreshing a resource from the remote API.
pub type ReadRequest<C> = ObjectRequest<C>;

/// Deleting a resource. An object that is already gone counts as deleted.
pub type DeleteRequest<C> = ObjectRequest<C>;

/// The outcome of a read.
#[derive(Debug)]
pub struct ReadResponse {
    /// Starts as the current state: update what the API reports, keep what it cannot
    /// (such as `timeouts`). Call [`ReadResponse::remove`] if the object is gone.
    pub state: Value,
    /// Starts as the stored private data.
    pub private: Vec<u8>,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

impl ReadResponse {
    /// The remote object no longer exists: Terraform drops it from state and plans a
    /// create.
    pub fn remove(&mut self) {
        self.state = Value::Null;
    }
}

/// The outcome of a delete: without errors the state is removed.
#[derive(Debug, Default)]
pub struct DeleteResponse {
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// Planning a create or update, after the framework's own work (unconfigured computed
/// attributes unknown, attribute plan modifiers run).
#[derive(Debug)]
pub struct ModifyPlanRequest<'a, C> {
    /// The configuration (may hold unknowns).
    pub config: &'a Value,
    /// The prior state; null when creating.
    pub state: &'a Value,
    /// The provider's configured data.
    pub provider: &'a C,
    /// Cancelled when Terraform asks the provider to stop.
    pub cancel: CancellationToken,
    /// The time limit of a question the hook asks the remote API: the planned create's or
    /// update's (see [`Resource::timeouts`]).
    pub timeout: Duration,
}

/// What a resource-level plan hook may change.
#[derive(Debug)]
pub struct ModifyPlanResponse {
    /// The plan so far. Configured values must stay as configured; unconfigured computed
    /// values may be set or left unknown. Must be deterministic.
    pub plan: Value,
    /// Extra attributes whose change replaces the resource.
    pub requires_replace: Vec<AttributePath>,
    /// Private data handed to apply; starts as the prior private data.
    pub private: Vec<u8>,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// Importing an existing object by the user's identifier.
#[derive(Debug)]
pub struct ImportRequest<'a, C> {
    /// The identifier given to `terraform import`.
    pub id: &'a str,
    /// The provider's configured data.
    pub provider: &'a C,
}

/// Importing an existing object by its identity: an `import` block with `identity = {...}`
/// (Terraform 1.12).
#[derive(Debug)]
pub struct ImportIdentityRequest<'a, C> {
    /// The identity given, an object of the resource's [`IdentitySchema`]: wholly known, with
    /// every attribute required for import set (the framework refuses others).
    pub identity: &'a Value,
    /// The provider's configured data.
    pub provider: &'a C,
}

/// The outcome of an import. Terraform then reads the object.
#[derive(Debug)]
pub struct ImportResponse {
    /// Starts with every attribute null; set the identifying attributes.
    pub state: Value,
    /// Private data for the imported object.
    pub private: Vec<u8>,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// Converting a state stored by an older schema version.
#[derive(Debug)]
pub struct UpgradeStateRequest<'a> {
    /// The schema version that wrote the state (older than the current one).
    pub version: i64,
    /// The stored state as JSON; decode it with the old schema's type through
    /// [`codec::from_json`](super::codec::from_json).
    pub raw_json: &'a [u8],
}

/// The upgraded state.
#[derive(Debug)]
pub struct UpgradeStateResponse {
    /// The state in the current schema; starts as null.
    pub state: Value,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// Converting an identity stored by an older identity schema version.
#[derive(Debug)]
pub struct UpgradeIdentityRequest<'a> {
    /// The identity schema version that wrote it (older than the current one).
    pub version: i64,
    /// The stored identity as JSON; decode it with the old identity's type through
    /// [`codec::from_json`](super::codec::from_json).
    pub raw_json: &'a [u8],
}

/// The upgraded identity.
#[derive(Debug)]
pub struct UpgradeIdentityResponse {
    /// The identity in the current identity schema; starts as null.
    pub identity: Value,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// A resource type of another provider (or of this one) whose state a resource can take
/// over in a `moved` block across types (MoveResourceState, Terraform 1.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoveSource {
    /// The source provider's namespace and type, `hashicorp/azurerm`: any registry's
    /// release of it matches (`registry.terraform.io/hashicorp/azurerm`, and the same
    /// provider from OpenTofu's registry).
    pub provider: &'static str,
    /// The source resource type.
    pub type_name: &'static str,
    /// The source schema versions the resource can convert.
    pub versions: &'static [i64],
}

impl MoveSource {
    /// Whether a state of `type_name` from the provider at `address` comes from here.
    pub fn matches(&self, address: &str, type_name: &str) -> bool {
        let mut segments = address.rsplit('/');
        let (name, namespace) = (segments.next(), segments.next());
        let mut wanted = self.provider.rsplit('/');
        type_name == self.type_name
            && name.is_some_and(|n| Some(n) == wanted.next())
            && namespace.is_some_and(|n| Some(n) == wanted.next())
    }
}

/// Taking over the state of one of [`Resource::move_sources`].
#[derive(Debug)]
pub struct MoveStateRequest<'a> {
    /// Where the state comes from.
    pub source: &'a MoveSource,
    /// The source schema version that wrote it (one of `source.versions`).
    pub version: i64,
    /// The source state as JSON, in the source's schema.
    pub raw_json: &'a [u8],
}

/// The state a move produces.
#[derive(Debug)]
pub struct MoveStateResponse {
    /// Starts as the source state read with this resource's schema: attributes of the same
    /// name and type carry over, the rest are null. Make it a state this resource would
    /// have written; a read follows before Terraform plans.
    pub state: Value,
    /// Private data for the moved object; starts empty.
    pub private: Vec<u8>,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// A managed resource type, generic over the provider's configured data `C`.
///
/// Required: type name, schema and the four CRUD operations. Validation, plan
/// modification, import, state upgrades, moves, configuration generation and identity are
/// opt-in through default methods.
pub trait Resource<C>: Send + Sync + 'static {
    /// The full type name, such as `kusto_eventhub_data_connection`.
    fn type_name(&self) -> &'static str;

    /// The schema; called once when the provider server is built. The `timeouts` block
    /// is added by the framework when [`Resource::timeouts`] declares one.
    fn schema(&self) -> Schema;

    /// The operations' default time limits. With `Some`, the framework adds the
    /// `timeouts` block to the schema and gives each operation its `timeout`: the block's
    /// value for it, or this default. With `None` (the default), no block is added and
    /// every `timeout` is [`MAX_DURATION`](super::timeouts::MAX_DURATION).
    fn timeouts(&self) -> Option<Timeouts> {
        None
    }

    /// Cross-attribute checks beyond the schema's validators. The configuration may hold
    /// unknowns: skip checks on them.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Adjusts the plan of a create or update (not called for destroys). It may ask the
    /// remote API what only it knows (whether the object could work as planned), so that
    /// a problem fails `terraform plan` rather than the apply.
    fn modify_plan(
        &self,
        _req: ModifyPlanRequest<'_, C>,
        _resp: &mut ModifyPlanResponse,
    ) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// Creates the remote object.
    fn create(
        &self,
        req: CreateRequest<C>,
        resp: &mut CreateResponse,
    ) -> impl Future<Output = ()> + Send;

    /// Reads the remote object.
    fn read(&self, req: ReadRequest<C>, resp: &mut ReadResponse)
    -> impl Future<Output = ()> + Send;

    /// Updates the remote object in place.
    fn update(
        &self,
        req: UpdateRequest<C>,
        resp: &mut UpdateResponse,
    ) -> impl Future<Output = ()> + Send;

    /// Deletes the remote object.
    fn delete(
        &self,
        req: DeleteRequest<C>,
        resp: &mut DeleteResponse,
    ) -> impl Future<Output = ()> + Send;

    /// Starts an import; by default import is not supported.
    fn import(&self, _req: ImportRequest<'_, C>, resp: &mut ImportResponse) {
        resp.state = Value::Null;
        resp.diagnostics.add_error(
            "Resource Import Not Implemented",
            format!(
                "The resource type {} does not support import.",
                self.type_name()
            ),
        );
    }

    /// The resource's identity (Terraform 1.12): what names one remote object, which
    /// Terraform stores beside the state and `import` blocks may give instead of an id. By
    /// default none. With one, implement [`Resource::identity`] unless the identity is the
    /// state attributes of the same names, and [`Resource::import_by_identity`].
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// The identity of the object `state` describes (a state the resource wrote, or a plan,
    /// which may hold unknowns). By default the state attributes of the identity's names.
    /// Return null, or leave values null or unknown, where the state does not tell: the
    /// framework reports that as a bug only where an identity is due (after a create, read
    /// or update), and omits the identity elsewhere.
    fn identity(&self, state: &Value) -> Value {
        self.identity_schema()
            .map_or(Value::Null, |schema| schema.from_state(state))
    }

    /// Starts an import from an identity, as [`Resource::import`] does from an id: set the
    /// identifying attributes of `resp.state`; the object's identity must then be the one
    /// given (the framework checks). By default import by identity is not supported.
    fn import_by_identity(&self, _req: ImportIdentityRequest<'_, C>, resp: &mut ImportResponse) {
        resp.state = Value::Null;
        resp.diagnostics.add_error(
            "Resource Import by Identity Not Implemented",
            format!(
                "The resource type {} cannot be imported by identity. Import it by id.",
                self.type_name()
            ),
        );
    }

    /// Upgrades an identity stored by an older identity schema version; by default there is
    /// no older version. Identities of the current version never reach this method.
    fn upgrade_identity(
        &self,
        req: UpgradeIdentityRequest<'_>,
        resp: &mut UpgradeIdentityResponse,
    ) {
        resp.diagnostics.add_error(
            "Unable to Upgrade Resource Identity",
            format!(
                "The resource type {} has no upgrade from identity version {}.",
                self.type_name(),
                req.version
            ),
        );
    }

    /// Upgrades a state written by an older schema version; by default there is no older
    /// version to upgrade from. States of the current version never reach this method.
    fn upgrade_state(&self, req: UpgradeStateRequest<'_>, resp: &mut UpgradeStateResponse) {
        resp.diagnostics.add_error(
            "Unable to Upgrade Resource State",
            format!(
                "The resource type {} has no upgrade from state version {}.",
                self.type_name(),
                req.version
            ),
        );
    }

    /// The resource types whose state this one takes over in a `moved` block; by default
    /// none, and Terraform reports a move from any type as unsupported.
    fn move_sources(&self) -> &'static [MoveSource] {
        &[]
    }

    /// Converts the state of one of [`Resource::move_sources`] (the framework refuses the
    /// others, naming the sources there are).
    fn move_state(&self, req: MoveStateRequest<'_>, resp: &mut MoveStateResponse) {
        resp.diagnostics.add_error(
            "Unable to Move Resource State",
            format!(
                "The resource type {} lists {} as a move source but does not convert its \
                 state. This is a bug in the provider.",
                self.type_name(),
                req.source.type_name
            ),
        );
    }

    /// Refines the configuration Terraform generates for an imported object
    /// (GenerateResourceConfig, Terraform 1.14): `config` arrives with what the framework
    /// leaves out already left out (see [`Server::generate_resource_config`]); null the
    /// arguments a person would not write, such as values the remote API chose. By default
    /// nothing more.
    ///
    /// [`Server::generate_resource_config`]: crate::server::Server::generate_resource_config
    fn generate_config(&self, _config: &mut Value) {}
}

/// A boxed future, as the type-erased resource interface returns.
type BoxFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// [`Resource`] with boxed futures, so that resources of different types can sit in one
/// registry.
pub(crate) trait ErasedResource<C>: Send + Sync {
    fn type_name(&self) -> &'static str;
    /// The full schema: the resource's own, with the `timeouts` block it declares.
    fn schema(&self) -> Schema;
    fn timeouts(&self) -> Option<Timeouts>;
    fn validate(&self, config: &Value, diags: &mut Diagnostics);
    fn modify_plan<'a>(
        &'a self,
        req: ModifyPlanRequest<'a, C>,
        resp: &'a mut ModifyPlanResponse,
    ) -> BoxFuture<'a>;
    fn create<'a>(&'a self, req: CreateRequest<C>, resp: &'a mut CreateResponse) -> BoxFuture<'a>;
    fn read<'a>(&'a self, req: ReadRequest<C>, resp: &'a mut ReadResponse) -> BoxFuture<'a>;
    fn update<'a>(&'a self, req: UpdateRequest<C>, resp: &'a mut UpdateResponse) -> BoxFuture<'a>;
    fn delete<'a>(&'a self, req: DeleteRequest<C>, resp: &'a mut DeleteResponse) -> BoxFuture<'a>;
    fn import(&self, req: ImportRequest<'_, C>, resp: &mut ImportResponse);
    fn upgrade_state(&self, req: UpgradeStateRequest<'_>, resp: &mut UpgradeStateResponse);
    fn move_sources(&self) -> &'static [MoveSource];
    fn move_state(&self, req: MoveStateRequest<'_>, resp: &mut MoveStateResponse);
    fn generate_config(&self, config: &mut Value);
    fn identity_schema(&self) -> Option<IdentitySchema>;
    fn identity(&self, state: &Value) -> Value;
    fn import_by_identity(&self, req: ImportIdentityRequest<'_, C>, resp: &mut ImportResponse);
    fn upgrade_identity(&self, req: UpgradeIdentityRequest<'_>, resp: &mut UpgradeIdentityResponse);
}

impl<C: Send + Sync + 'static, R: Resource<C>> ErasedResource<C> for R {
    fn type_name(&self) -> &'static str {
        Resource::type_name(self)
    }
    fn schema(&self) -> Schema {
        let schema = Resource::schema(self);
        match Resource::timeouts(self) {
            Some(timeouts) => schema.block(timeouts.block()),
            None => schema,
        }
    }
    fn timeouts(&self) -> Option<Timeouts> {
        Resource::timeouts(self)
    }
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        Resource::validate(self, config, diags);
    }
    fn modify_plan<'a>(
        &'a self,
        req: ModifyPlanRequest<'a, C>,
        resp: &'a mut ModifyPlanResponse,
    ) -> BoxFuture<'a> {
        Box::pin(Resource::modify_plan(self, req, resp))
    }
    fn create<'a>(&'a self, req: CreateRequest<C>, resp: &'a mut CreateResponse) -> BoxFuture<'a> {
        Box::pin(Resource::create(self, req, resp))
    }
    fn read<'a>(&'a self, req: ReadRequest<C>, resp: &'a mut ReadResponse) -> BoxFuture<'a> {
        Box::pin(Resource::read(self, req, resp))
    }
    fn update<'a>(&'a self, req: UpdateRequest<C>, resp: &'a mut UpdateResponse) -> BoxFuture<'a> {
        Box::pin(Resource::update(self, req, resp))
    }
    fn delete<'a>(&'a self, req: DeleteRequest<C>, resp: &'a mut DeleteResponse) -> BoxFuture<'a> {
        Box::pin(Resource::delete(self, req, resp))
    }
    fn import(&self, req: ImportRequest<'_, C>, resp: &mut ImportResponse) {
        Resource::import(self, req, resp);
    }
    fn upgrade_state(&self, req: UpgradeStateRequest<'_>, resp: &mut UpgradeStateResponse) {
        Resource::upgrade_state(self, req, resp);
    }
    fn move_sources(&self) -> &'static [MoveSource] {
        Resource::move_sources(self)
    }
    fn move_state(&self, req: MoveStateRequest<'_>, resp: &mut MoveStateResponse) {
        Resource::move_state(self, req, resp);
    }
    fn generate_config(&self, config: &mut Value) {
        Resource::generate_config(self, config);
    }
    fn identity_schema(&self) -> Option<IdentitySchema> {
        Resource::identity_schema(self)
    }
    fn identity(&self, state: &Value) -> Value {
        Resource::identity(self, state)
    }
    fn import_by_identity(&self, req: ImportIdentityRequest<'_, C>, resp: &mut ImportResponse) {
        Resource::import_by_identity(self, req, resp);
    }
    fn upgrade_identity(
        &self,
        req: UpgradeIdentityRequest<'_>,
        resp: &mut UpgradeIdentityResponse,
    ) {
        Resource::upgrade_identity(self, req, resp);
    }
}

/// A resource type registered with a provider: see `Provider::resources`.
pub struct ResourceHandle<C>(pub(crate) Arc<dyn ErasedResource<C>>);

impl<C: Send + Sync + 'static> ResourceHandle<C> {
    /// Registers `resource`.
    pub fn new(resource: impl Resource<C>) -> Self {
        Self(Arc::new(resource))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::IdentityAttribute;
    use crate::testing::object;

    /// A resource with an identity and every other default.
    struct Named;

    impl Resource<()> for Named {
        fn type_name(&self) -> &'static str {
            "test_named"
        }

        fn schema(&self) -> Schema {
            Schema::new(0)
        }

        fn identity_schema(&self) -> Option<IdentitySchema> {
            Some(IdentitySchema::new(0).attribute(IdentityAttribute::string("name")))
        }

        async fn create(&self, _req: CreateRequest<()>, _resp: &mut CreateResponse) {}

        async fn read(&self, _req: ReadRequest<()>, _resp: &mut ReadResponse) {}

        async fn update(&self, _req: UpdateRequest<()>, _resp: &mut UpdateResponse) {}

        async fn delete(&self, _req: DeleteRequest<()>, _resp: &mut DeleteResponse) {}
    }

    #[test]
    fn by_default_the_identity_is_read_from_the_state_and_never_imported_or_upgraded() {
        let state = object(&[("name", "n".into()), ("size", 3i64.into())]);
        assert_eq!(
            Resource::identity(&Named, &state),
            object(&[("name", "n".into())])
        );

        let mut imported = ImportResponse {
            state: object(&[]),
            private: Vec::new(),
            diagnostics: Diagnostics::new(),
        };
        let identity = object(&[("name", "n".into())]);
        let request = ImportIdentityRequest {
            identity: &identity,
            provider: &(),
        };
        Resource::import_by_identity(&Named, request, &mut imported);
        assert_eq!(imported.state, Value::Null);
        let summary = &imported
            .diagnostics
            .iter()
            .next()
            .expect("an error")
            .summary;
        assert_eq!(summary, "Resource Import by Identity Not Implemented");

        let mut upgraded = UpgradeIdentityResponse {
            identity: Value::Null,
            diagnostics: Diagnostics::new(),
        };
        let request = UpgradeIdentityRequest {
            version: 0,
            raw_json: b"{}",
        };
        Resource::upgrade_identity(&Named, request, &mut upgraded);
        let detail = &upgraded.diagnostics.iter().next().expect("an error").detail;
        assert!(
            detail.contains("no upgrade from identity version 0"),
            "{detail}"
        );
    }
}
