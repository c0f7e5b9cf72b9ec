//! Checks `proto/tfplugin6.proto` against the definitions in Terraform's release tags.
//! Only the package, service and RPC names and each field's number and wire type travel
//! on the wire; message and field names are ours. A wrong number still compiles and
//! serves, and Terraform then drops or misreads the field, so numbers and types are
//! pinned here, release by release. Fields are found by name, which works because we
//! keep Terraform's names.

use std::collections::HashMap;

use prost::Message;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{
    DescriptorProto, FieldDescriptorProto, FileDescriptorSet, MethodDescriptorProto,
};

const DESCRIPTORS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/file_descriptor_set.bin"));

/// An RPC of `tfplugin6.Provider` and its messages, relative to the RPC's own
/// (`Request -> stream Event`).
type Rpc = (&'static str, &'static str);
/// A field as `Message.field`, its number and its type as the proto spells it.
type Field = (&'static str, i32, &'static str);

const RELEASES: &[(&str, &[Rpc], &[Field])] = &[
    ("v1.8.0", V1_8_RPCS, V1_8_FIELDS),
    ("v1.12.0", V1_12_RPCS, V1_12_FIELDS),
    ("v1.14.0", V1_14_RPCS, V1_14_FIELDS),
];

// v1.8.0, protocol 6.5: provider functions and MoveResourceState.
const V1_8_RPCS: &[Rpc] = &[
    ("MoveResourceState", "Request -> Response"),
    ("GetFunctions", "Request -> Response"),
    ("CallFunction", "Request -> Response"),
];
#[rustfmt::skip]
const V1_8_FIELDS: &[Field] = &[
    ("MoveResourceState.Request.source_provider_address", 1, "string"),
    ("MoveResourceState.Request.source_type_name", 2, "string"),
    ("MoveResourceState.Request.source_schema_version", 3, "int64"),
    ("MoveResourceState.Request.source_state", 4, "RawState"),
    ("MoveResourceState.Request.target_type_name", 5, "string"),
    ("MoveResourceState.Request.source_private", 6, "bytes"),
    ("MoveResourceState.Response.target_state", 1, "DynamicValue"),
    ("MoveResourceState.Response.diagnostics", 2, "repeated Diagnostic"),
    ("MoveResourceState.Response.target_private", 3, "bytes"),
    ("ServerCapabilities.move_resource_state", 3, "bool"),
    ("GetProviderSchema.Response.functions", 7, "map<string,Function>"),
    ("GetMetadata.Response.functions", 5, "repeated GetMetadata.FunctionMetadata"),
    ("GetMetadata.FunctionMetadata.name", 1, "string"),
    ("GetFunctions.Response.functions", 1, "map<string,Function>"),
    ("GetFunctions.Response.diagnostics", 2, "repeated Diagnostic"),
    ("Function.parameters", 1, "repeated Function.Parameter"),
    ("Function.variadic_parameter", 2, "Function.Parameter"),
    ("Function.return", 3, "Function.Return"),
    ("Function.summary", 4, "string"),
    ("Function.description", 5, "string"),
    ("Function.description_kind", 6, "StringKind"),
    ("Function.deprecation_message", 7, "string"),
    ("Function.Parameter.name", 1, "string"),
    ("Function.Parameter.type", 2, "bytes"),
    ("Function.Parameter.allow_null_value", 3, "bool"),
    ("Function.Parameter.allow_unknown_values", 4, "bool"),
    ("Function.Parameter.description", 5, "string"),
    ("Function.Parameter.description_kind", 6, "StringKind"),
    ("Function.Return.type", 1, "bytes"),
    ("CallFunction.Request.name", 1, "string"),
    ("CallFunction.Request.arguments", 2, "repeated DynamicValue"),
    ("CallFunction.Response.result", 1, "DynamicValue"),
    ("CallFunction.Response.error", 2, "FunctionError"),
    ("FunctionError.text", 1, "string"),
    ("FunctionError.function_argument", 2, "int64"),
];

// v1.12.0, protocol 6.9: resource identity.
const V1_12_RPCS: &[Rpc] = &[
    ("GetResourceIdentitySchemas", "Request -> Response"),
    ("UpgradeResourceIdentity", "Request -> Response"),
];
#[rustfmt::skip]
const V1_12_FIELDS: &[Field] = &[
    ("ResourceIdentitySchema.version", 1, "int64"),
    ("ResourceIdentitySchema.identity_attributes", 2, "repeated ResourceIdentitySchema.IdentityAttribute"),
    ("ResourceIdentitySchema.IdentityAttribute.name", 1, "string"),
    ("ResourceIdentitySchema.IdentityAttribute.type", 2, "bytes"),
    ("ResourceIdentitySchema.IdentityAttribute.required_for_import", 3, "bool"),
    ("ResourceIdentitySchema.IdentityAttribute.optional_for_import", 4, "bool"),
    ("ResourceIdentitySchema.IdentityAttribute.description", 5, "string"),
    ("ResourceIdentityData.identity_data", 1, "DynamicValue"),
    ("GetResourceIdentitySchemas.Response.identity_schemas", 1, "map<string,ResourceIdentitySchema>"),
    ("GetResourceIdentitySchemas.Response.diagnostics", 2, "repeated Diagnostic"),
    ("UpgradeResourceIdentity.Request.type_name", 1, "string"),
    ("UpgradeResourceIdentity.Request.version", 2, "int64"),
    ("UpgradeResourceIdentity.Request.raw_identity", 3, "RawState"),
    ("UpgradeResourceIdentity.Response.upgraded_identity", 1, "ResourceIdentityData"),
    ("UpgradeResourceIdentity.Response.diagnostics", 2, "repeated Diagnostic"),
    ("ReadResource.Request.current_identity", 6, "ResourceIdentityData"),
    ("ReadResource.Response.new_identity", 5, "ResourceIdentityData"),
    ("PlanResourceChange.Request.prior_identity", 8, "ResourceIdentityData"),
    ("PlanResourceChange.Response.planned_identity", 7, "ResourceIdentityData"),
    ("ApplyResourceChange.Request.planned_identity", 7, "ResourceIdentityData"),
    ("ApplyResourceChange.Response.new_identity", 5, "ResourceIdentityData"),
    ("ImportResourceState.Request.identity", 4, "ResourceIdentityData"),
    ("ImportResourceState.ImportedResource.identity", 4, "ResourceIdentityData"),
    ("MoveResourceState.Request.source_identity", 7, "RawState"),
    ("MoveResourceState.Request.source_identity_schema_version", 8, "int64"),
    ("MoveResourceState.Response.target_identity", 4, "ResourceIdentityData"),
];

// v1.14.0, protocol 6.10 (the header v1.13.0 introduced, where list resources were
// experimental only): list resources and GenerateResourceConfig.
const V1_14_RPCS: &[Rpc] = &[
    ("ListResource", "Request -> stream Event"),
    ("ValidateListResourceConfig", "Request -> Response"),
    ("GenerateResourceConfig", "Request -> Response"),
];
#[rustfmt::skip]
const V1_14_FIELDS: &[Field] = &[
    ("ListResource.Request.type_name", 1, "string"),
    ("ListResource.Request.config", 2, "DynamicValue"),
    ("ListResource.Request.include_resource_object", 3, "bool"),
    ("ListResource.Request.limit", 4, "int64"),
    ("ListResource.Event.identity", 1, "ResourceIdentityData"),
    ("ListResource.Event.display_name", 2, "string"),
    ("ListResource.Event.resource_object", 3, "DynamicValue"),
    ("ListResource.Event.diagnostic", 4, "repeated Diagnostic"),
    ("ValidateListResourceConfig.Request.type_name", 1, "string"),
    ("ValidateListResourceConfig.Request.config", 2, "DynamicValue"),
    ("ValidateListResourceConfig.Request.include_resource_object", 3, "DynamicValue"),
    ("ValidateListResourceConfig.Request.limit", 4, "DynamicValue"),
    ("ValidateListResourceConfig.Response.diagnostics", 1, "repeated Diagnostic"),
    ("GetProviderSchema.Response.list_resource_schemas", 9, "map<string,Schema>"),
    ("GetMetadata.Response.list_resources", 7, "repeated GetMetadata.ListResourceMetadata"),
    ("GetMetadata.ListResourceMetadata.type_name", 1, "string"),
    ("GenerateResourceConfig.Request.type_name", 1, "string"),
    ("GenerateResourceConfig.Request.state", 2, "DynamicValue"),
    ("GenerateResourceConfig.Response.config", 1, "DynamicValue"),
    ("GenerateResourceConfig.Response.diagnostics", 2, "repeated Diagnostic"),
    ("ServerCapabilities.generate_resource_config", 4, "bool"),
];

/// Indexes messages by their path in the package, e.g. `ListResource.Event`.
fn index<'a>(
    prefix: &str,
    messages: &'a [DescriptorProto],
    out: &mut HashMap<String, &'a DescriptorProto>,
) {
    for message in messages {
        let path = format!("{prefix}{}", message.name());
        index(&format!("{path}."), &message.nested_type, out);
        out.insert(path, message);
    }
}

/// A field's type as the proto spells it: `int64`, `repeated Diagnostic`,
/// `map<string,Schema>`.
fn type_of(field: &FieldDescriptorProto, messages: &HashMap<String, &DescriptorProto>) -> String {
    let name = match field.r#type() {
        Type::Message | Type::Enum => field
            .type_name()
            .trim_start_matches(".tfplugin6.")
            .to_owned(),
        scalar => scalar
            .as_str_name()
            .trim_start_matches("TYPE_")
            .to_lowercase(),
    };
    match messages.get(&name) {
        Some(entry) if entry.options.as_ref().is_some_and(|o| o.map_entry()) => {
            format!(
                "map<{},{}>",
                type_of(&entry.field[0], messages),
                type_of(&entry.field[1], messages)
            )
        }
        _ if field.label() == Label::Repeated => format!("repeated {name}"),
        _ => name,
    }
}

/// An RPC's messages relative to its own, e.g. `Request -> stream Event`.
fn shape_of(rpc: &str, method: &MethodDescriptorProto) -> String {
    let own = format!(".tfplugin6.{rpc}.");
    let message = |streaming: bool, name: &str| {
        let stream = if streaming { "stream " } else { "" };
        format!("{stream}{}", name.trim_start_matches(own.as_str()))
    };
    format!(
        "{} -> {}",
        message(method.client_streaming(), method.input_type()),
        message(method.server_streaming(), method.output_type()),
    )
}

#[test]
fn field_numbers_and_rpcs_match_terraform_releases() {
    let set = FileDescriptorSet::decode(DESCRIPTORS).expect("build.rs writes a descriptor set");
    let file = set
        .file
        .iter()
        .find(|f| f.package() == "tfplugin6")
        .expect("package tfplugin6");
    let service = file
        .service
        .iter()
        .find(|s| s.name() == "Provider")
        .expect("service Provider");
    let mut messages = HashMap::new();
    index("", &file.message_type, &mut messages);

    let mut wrong = Vec::new();
    let mut check = |release: &str, what: &str, expected: &str, found: Option<String>| {
        if found.as_deref() != Some(expected) {
            let found = found.unwrap_or_else(|| "nothing".to_owned());
            wrong.push(format!(
                "Terraform {release}: {what}: expected `{expected}`, found `{found}`"
            ));
        }
    };
    for (release, rpcs, fields) in RELEASES {
        for (rpc, expected) in *rpcs {
            let found = service.method.iter().find(|m| m.name() == *rpc);
            check(
                release,
                &format!("rpc {rpc}"),
                expected,
                found.map(|m| shape_of(rpc, m)),
            );
        }
        for (path, number, ty) in *fields {
            let (message, field) = path.rsplit_once('.').expect("a path is Message.field");
            let found = messages
                .get(message)
                .and_then(|m| m.field.iter().find(|f| f.name() == field))
                .map(|f| format!("{} = {}", type_of(f, &messages), f.number()));
            check(release, path, &format!("{ty} = {number}"), found);
        }
    }
    assert!(
        wrong.is_empty(),
        "proto/tfplugin6.proto disagrees with Terraform:\n{}",
        wrong.join("\n")
    );
}
