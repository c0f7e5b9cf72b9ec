//! A test provider with one resource exercising every framework feature, shared by the
//! server and protocol tests. What the resource's create does is a Rust value
//! ([`CreateOutcome`]) each test chooses when it builds the provider, so the resource's
//! schema holds nothing but what it tests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

use super::diag::Diagnostics;
use super::function::{Function, FunctionError, Parameter, Signature};
use super::identity::{IdentityAttribute, IdentitySchema};
use super::list::{ListRequest, ListResource, ListResourceHandle, ListResponse};
use super::path::AttributePath;
use super::planmod::{
    Each, LengthBetween, Matches, OneOf, RequiresReplace, StringCheck, UseStateForUnknown,
};
use super::provider::{ConfigureRequest, Provider};
use super::resource::{
    CreateRequest, CreateResponse, DeleteRequest, DeleteResponse, ErasedResource,
    ImportIdentityRequest, ImportRequest, ImportResponse, ModifyPlanRequest, ModifyPlanResponse,
    MoveSource, MoveStateRequest, MoveStateResponse, ReadRequest, ReadResponse, Resource,
    ResourceHandle, UpdateRequest, UpdateResponse, UpgradeIdentityRequest, UpgradeIdentityResponse,
    UpgradeStateRequest, UpgradeStateResponse,
};
use super::schema::{Attribute, Schema};
use super::timeouts::Timeouts;
use super::value::{Type, Value};
use super::{codec, datasource};

/// What configuration produces.
pub struct TestData {
    pub endpoint: String,
    /// Notified when a create starts, so tests can stop the provider mid-operation.
    pub started: Arc<Notify>,
    /// Each widget operation (and plan) with the time limit it was given, in order.
    pub time_limits: TimeLimits,
}

/// Widget operations and the time limits they were given.
pub type TimeLimits = Arc<Mutex<Vec<(&'static str, Duration)>>>;

impl TestData {
    fn record(&self, operation: &'static str, timeout: Duration) {
        self.time_limits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((operation, timeout));
    }
}

/// What `test_widget`'s create does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CreateOutcome {
    /// Creates the widget and fills in every computed value.
    #[default]
    Succeeds,
    /// Fails before anything exists.
    FailsBeforeCreating,
    /// Fails after the widget exists, with only its `id` known.
    FailsAfterCreating,
    /// Succeeds but leaves computed values unknown (a provider bug).
    LeavesUnknowns,
    /// Sets the `id`, notifies `started`, then waits for Terraform to stop the provider.
    WaitsForCancel,
}

/// The provider; `started` is handed to every configured [`TestData`].
#[derive(Default)]
pub struct TestProvider {
    pub started: Arc<Notify>,
    /// Shared with every configured [`TestData`].
    pub time_limits: TimeLimits,
    /// What every create does.
    pub create: CreateOutcome,
}

impl TestProvider {
    /// A provider whose widget creates end with `create`.
    pub fn creating(create: CreateOutcome) -> Self {
        Self {
            create,
            ..Self::default()
        }
    }
}

impl Provider for TestProvider {
    type Data = TestData;

    fn type_name(&self) -> &'static str {
        "test"
    }

    fn schema(&self) -> Schema {
        Schema::new(0).attribute(
            Attribute::string("endpoint")
                .required()
                .description("Where widgets live."),
        )
    }

    async fn configure(&self, req: ConfigureRequest) -> Result<TestData, Diagnostics> {
        match req.config.get_string("endpoint") {
            Some(endpoint) => Ok(TestData {
                endpoint,
                started: Arc::clone(&self.started),
                time_limits: Arc::clone(&self.time_limits),
            }),
            None => {
                let mut diags = Diagnostics::new();
                diags.add_attribute_error(AttributePath::attr("endpoint"), "Missing endpoint", "");
                Err(diags)
            }
        }
    }

    fn resources(&self) -> Vec<ResourceHandle<TestData>> {
        vec![
            ResourceHandle::new(Widget {
                create: self.create,
            }),
            ResourceHandle::new(Plain),
        ]
    }

    fn list_resources(&self) -> Vec<ListResourceHandle<TestData>> {
        vec![ListResourceHandle::new(Listing("test_widget"))]
    }

    fn data_sources(&self) -> Vec<datasource::DataSourceHandle<TestData>> {
        vec![datasource::DataSourceHandle::new(WidgetInfo)]
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        vec![Arc::new(Greeting)]
    }
}

/// `provider::test::greeting(name)`: `{greeting = "hello, NAME"}`, refusing an empty name.
pub struct Greeting;

impl Function for Greeting {
    fn name(&self) -> &'static str {
        "greeting"
    }

    fn signature(&self) -> Signature {
        Signature {
            summary: "Greets someone.",
            description: "Returns an object whose `greeting` says hello to `name`.",
            parameters: vec![Parameter::string("name", "Who to greet.")],
            returns: Type::Object(BTreeMap::from([("greeting".to_owned(), Type::String)])),
        }
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        match arguments[0].as_str() {
            Some("") | None => Err(FunctionError::at_argument(0, "name must not be empty.")),
            Some(name) => Ok(Value::Object(BTreeMap::from([(
                "greeting".to_owned(),
                Value::String(format!("hello, {name}")),
            )]))),
        }
    }
}

pub const TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(60),
    read: Duration::from_secs(60),
    update: Duration::from_secs(60),
    delete: Duration::from_secs(60),
};

/// `test_widget`: the resource under test.
pub struct Widget {
    /// What its create does.
    pub create: CreateOutcome,
}

impl Resource<TestData> for Widget {
    fn type_name(&self) -> &'static str {
        "test_widget"
    }

    fn schema(&self) -> Schema {
        Schema::new(1)
            .description("A widget.")
            .attribute(
                Attribute::string("id")
                    .computed()
                    .plan_modifier(UseStateForUnknown),
            )
            .attribute(
                Attribute::string("name")
                    .required()
                    .validator(LengthBetween::new(1, 10))
                    .plan_modifier(RequiresReplace),
            )
            .attribute(Attribute::number("size").optional_computed())
            .attribute(
                Attribute::string("tier")
                    .optional_computed()
                    .default("basic"),
            )
            .attribute(Attribute::string("etag").computed())
            .attribute(Attribute::string("url").computed())
            .attribute(
                Attribute::list_of_strings("tags").validator(Each::new(StringCheck::new(
                    "not empty",
                    |s| {
                        if s.is_empty() {
                            Err("must not be empty".to_owned())
                        } else {
                            Ok(())
                        }
                    },
                ))),
            )
            .attribute(Attribute::string("legacy").deprecated("Use tags instead."))
            .attribute(
                Attribute::string("pin")
                    .sensitive()
                    .validator(Matches::new("^[0-9]{4}$", "must be four digits")),
            )
            .attribute(Attribute::string("shape").validator(OneOf::new(["round", "square"])))
    }

    fn timeouts(&self) -> Option<Timeouts> {
        Some(TIMEOUTS)
    }

    async fn modify_plan(
        &self,
        req: ModifyPlanRequest<'_, TestData>,
        resp: &mut ModifyPlanResponse,
    ) {
        req.provider.record("plan", req.timeout);
        if let Some(name) = req.config.get_str("name") {
            resp.plan
                .set("url", format!("{}/{name}", req.provider.endpoint));
        }
        if req.state.get_str("name").is_some() && req.state.attr("name") != req.config.attr("name")
        {
            resp.requires_replace.push(AttributePath::attr("name"));
        }
        // A resource asking to replace on a timeouts change: the framework must ignore it.
        if req.state.attr("timeouts") != req.config.attr("timeouts") {
            resp.requires_replace
                .push(AttributePath::attr("timeouts").attribute("create"));
        }
    }

    async fn create(&self, req: CreateRequest<TestData>, resp: &mut CreateResponse) {
        req.provider.record("create", req.timeout);
        let name = req.plan.get_string("name").unwrap_or_default();
        if self.create == CreateOutcome::FailsBeforeCreating {
            resp.state = Value::Null;
            resp.diagnostics
                .add_error("Create failed", "nothing was created");
            return;
        }
        resp.state.set("id", format!("w-{name}"));
        match self.create {
            CreateOutcome::WaitsForCancel => {
                req.provider.started.notify_one();
                req.cancel.cancelled().await;
                resp.diagnostics
                    .add_error("Create interrupted", "stopped by Terraform");
                return;
            }
            CreateOutcome::FailsAfterCreating => {
                resp.diagnostics
                    .add_error("Create failed", "the widget exists but is broken");
                return;
            }
            CreateOutcome::LeavesUnknowns => return,
            CreateOutcome::Succeeds | CreateOutcome::FailsBeforeCreating => {}
        }
        resp.state.set("etag", "1");
        if resp.state.is_unknown_attr("size") {
            resp.state.set("size", 3i64);
        }
        resp.private = b"created".to_vec();
    }

    async fn read(&self, req: ReadRequest<TestData>, resp: &mut ReadResponse) {
        req.provider.record("read", req.timeout);
        if req.state.get_str("name") == Some("gone") {
            resp.remove();
        }
    }

    async fn update(&self, req: UpdateRequest<TestData>, resp: &mut UpdateResponse) {
        req.provider.record("update", req.timeout);
        resp.state.set("etag", "2");
        if resp.state.is_unknown_attr("size") {
            resp.state.set("size", req.state.attr("size").clone());
        }
    }

    async fn delete(&self, req: DeleteRequest<TestData>, _resp: &mut DeleteResponse) {
        req.provider.record("delete", req.timeout);
    }

    fn import(&self, req: ImportRequest<'_, TestData>, resp: &mut ImportResponse) {
        match req.id.strip_prefix("w-") {
            Some(name) => {
                resp.state.set("id", req.id);
                resp.state.set("name", name);
            }
            None => resp
                .diagnostics
                .add_error("Invalid import ID", "expected w-<name>"),
        }
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(widget_identity_schema())
    }

    fn import_by_identity(
        &self,
        req: ImportIdentityRequest<'_, TestData>,
        resp: &mut ImportResponse,
    ) {
        match req.identity.get_str("name") {
            Some(name) if !name.is_empty() => {
                resp.state.set("id", format!("w-{name}"));
                resp.state.set("name", name);
                resp.private = b"by identity".to_vec();
            }
            _ => resp
                .diagnostics
                .add_error("Invalid import identity", "expected a name"),
        }
    }

    fn upgrade_identity(
        &self,
        req: UpgradeIdentityRequest<'_>,
        resp: &mut UpgradeIdentityResponse,
    ) {
        let v0 = Type::Object(BTreeMap::from([("title".to_owned(), Type::String)]));
        match codec::from_json(req.raw_json, &v0).map(|old| old.get_string("title")) {
            Ok(Some(title)) => resp.identity = widget_identity(&title),
            Ok(None) => resp.diagnostics.add_error(
                "Unable to Upgrade Resource Identity",
                "The stored identity has no title.",
            ),
            Err(error) => resp
                .diagnostics
                .add_error("Unable to Upgrade Resource Identity", error.to_string()),
        }
    }

    fn upgrade_state(&self, req: UpgradeStateRequest<'_>, resp: &mut UpgradeStateResponse) {
        // Version 0 called `name` "title".
        let v0 = Type::Object(BTreeMap::from([
            ("id".to_owned(), Type::String),
            ("title".to_owned(), Type::String),
        ]));
        match codec::from_json(req.raw_json, &v0) {
            Ok(old) => {
                let mut state = widget_schema().body().empty_value();
                state.set("id", old.attr("id").clone());
                state.set("name", old.attr("title").clone());
                state.set("tags", Value::List(Vec::new()));
                resp.state = state;
            }
            Err(error) => resp
                .diagnostics
                .add_error("Bad v0 state", error.to_string()),
        }
    }

    /// Takes over `gadgets_gadget` of `acme/gadgets` (versions 1 and 2), whose `id` is
    /// its own: the widget's is made from the name.
    fn move_sources(&self) -> &'static [MoveSource] {
        &[MoveSource {
            provider: "acme/gadgets",
            type_name: "gadgets_gadget",
            versions: &[1, 2],
        }]
    }

    fn move_state(&self, _req: MoveStateRequest<'_>, resp: &mut MoveStateResponse) {
        match resp.state.get_string("name") {
            Some(name) => {
                resp.state.set("id", format!("w-{name}"));
                resp.private = b"moved".to_vec();
            }
            None => resp
                .diagnostics
                .add_error("Unable to Move Resource State", "The gadget has no name."),
        }
    }
}

/// `test_plain`: relies on every default method.
pub struct Plain;

impl Resource<TestData> for Plain {
    fn type_name(&self) -> &'static str {
        "test_plain"
    }

    fn schema(&self) -> Schema {
        Schema::new(0).attribute(Attribute::string("id").computed())
    }

    async fn create(&self, _req: CreateRequest<TestData>, resp: &mut CreateResponse) {
        resp.state.set("id", "plain");
    }

    async fn read(&self, _req: ReadRequest<TestData>, _resp: &mut ReadResponse) {}

    async fn update(&self, _req: UpdateRequest<TestData>, _resp: &mut UpdateResponse) {}

    async fn delete(&self, _req: DeleteRequest<TestData>, _resp: &mut DeleteResponse) {}
}

/// The list resource of the resource type it names: `count` widgets named `prefix0`,
/// `prefix1`, ... With the prefix `nameless`, widgets after the first have no name (so no
/// identity); with `misfit`, a size that is not a number; with a count of 0, a warning.
pub struct Listing(pub &'static str);

impl ListResource<TestData> for Listing {
    fn type_name(&self) -> &'static str {
        self.0
    }

    fn schema(&self) -> Schema {
        Schema::new(0)
            .attribute(
                Attribute::string("prefix")
                    .required()
                    .validator(LengthBetween::new(1, 8)),
            )
            .attribute(Attribute::number("count").required())
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if config.get_i64("count").is_some_and(|count| count < 0) {
            diags.add_attribute_error(
                AttributePath::attr("count"),
                "Invalid count",
                "The count must not be negative.",
            );
        }
    }

    async fn list(&self, req: ListRequest<TestData>, resp: &mut ListResponse) {
        let prefix = req.config.get_string("prefix").unwrap_or_default();
        let count = req.config.get_i64("count").unwrap_or_default();
        if count == 0 {
            resp.diagnostics
                .add_warning("No widgets", "Nothing matches the prefix.");
        }
        for index in 0..count {
            if resp.is_full() {
                break;
            }
            let name = format!("{prefix}{index}");
            let mut state = widget_schema().body().empty_value();
            state.set("id", format!("w-{name}"));
            if prefix != "nameless" || index == 0 {
                state.set("name", name.as_str());
            }
            state.set("tier", "basic");
            if prefix == "misfit" {
                state.set("size", "big");
            }
            resp.push(format!("widget {name}"), state);
        }
    }
}

/// `test_widget_info`: a data source computing `length` from `name`.
pub struct WidgetInfo;

impl datasource::DataSource<TestData> for WidgetInfo {
    fn type_name(&self) -> &'static str {
        "test_widget_info"
    }

    fn schema(&self) -> Schema {
        Schema::new(0)
            .attribute(Attribute::string("name").required())
            .attribute(Attribute::number("length").computed())
    }

    async fn read(
        &self,
        req: datasource::ReadRequest<TestData>,
        resp: &mut datasource::ReadResponse,
    ) {
        let length = req.config.get_str("name").map_or(0, str::len);
        resp.state
            .set("length", i64::try_from(length).unwrap_or(i64::MAX));
    }
}

/// The attributes of an object value or type, from pairs.
pub fn attributes<T: Clone>(pairs: &[(&str, T)]) -> BTreeMap<String, T> {
    pairs
        .iter()
        .map(|(name, item)| ((*name).to_owned(), item.clone()))
        .collect()
}

/// An object value from pairs.
pub fn object(attrs: &[(&str, Value)]) -> Value {
    Value::Object(attributes(attrs))
}

/// A widget configuration: `name` plus extra attributes, everything else null.
pub fn widget_config(name: &str, extra: &[(&str, Value)]) -> Value {
    let mut config = widget_schema().body().empty_value();
    config.set("name", name);
    for (key, value) in extra {
        config.set(key, value.clone());
    }
    config
}

/// `test_widget`'s identity: its name and id, which the default derivation takes from the
/// state; an import by identity may leave the id out. Version 0 was `{title}`, the name.
pub fn widget_identity_schema() -> IdentitySchema {
    IdentitySchema::new(1)
        .attribute(IdentityAttribute::string("name").description("The widget's name."))
        .attribute(IdentityAttribute::string("id").optional_for_import())
}

/// The identity of widget `name`.
pub fn widget_identity(name: &str) -> Value {
    object(&[("id", format!("w-{name}").into()), ("name", name.into())])
}

/// `test_widget`'s schema, with the `timeouts` block the framework adds.
pub fn widget_schema() -> Schema {
    ErasedResource::schema(&Widget {
        create: CreateOutcome::Succeeds,
    })
}
