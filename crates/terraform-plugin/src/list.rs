//! List resources (Terraform 1.14, protocol 6.10): `list` blocks of a `*.tfquery.hcl` file,
//! which `terraform query` runs to find existing remote objects of a managed resource type
//! (and can turn into `import` blocks with generated configuration).
//!
//! A list resource has its own configuration schema (where to look) and one operation that
//! finds objects, each given as the state a read of it would produce and the name
//! `terraform query` prints. Terraform wants each object's identity, never a state alone:
//! the framework derives it with the managed resource's
//! [`Resource::identity`](crate::resource::Resource::identity), so the identity rules live
//! in one place and a list cannot name an object differently from an import. It also holds
//! every result to the resource's schema, sends the state only when Terraform asked for it,
//! and stops at Terraform's limit: [`ListResponse::is_full`] tells the operation when to
//! stop asking the remote API for more.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::diag::Diagnostics;
use super::schema::Schema;
use super::value::Value;

/// Listing the objects a `list` block's configuration describes.
#[derive(Debug)]
pub struct ListRequest<C> {
    /// The block's `config`, in the list resource's schema (wholly known, validated).
    pub config: Value,
    /// Whether Terraform wants each object's state (`include_resource = true`), not only its
    /// identity: without it, an operation may skip what it would read only for the state.
    pub include_resource_object: bool,
    /// The most results Terraform takes (the block's `limit`, 100 by default); at least 1.
    pub limit: usize,
    /// The provider's configured data.
    pub provider: Arc<C>,
    /// Cancelled when Terraform asks the provider to stop.
    pub cancel: CancellationToken,
}

/// One object found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub(crate) display_name: String,
    pub(crate) state: Value,
}

/// The objects found so far, and the problems met.
#[derive(Debug)]
pub struct ListResponse {
    found: Vec<Found>,
    limit: usize,
    /// Problems found. An error ends the listing: Terraform keeps the results pushed before
    /// it and reports the error.
    pub diagnostics: Diagnostics,
}

impl ListResponse {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            found: Vec::new(),
            limit,
            diagnostics: Diagnostics::new(),
        }
    }

    /// Adds an object: `state` as a read of it would produce (with
    /// `include_resource_object` false, at least what its identity follows from), and the
    /// name `terraform query` prints for it. Ignored once [`ListResponse::is_full`].
    pub fn push(&mut self, display_name: impl Into<String>, state: Value) {
        if !self.is_full() {
            self.found.push(Found {
                display_name: display_name.into(),
                state,
            });
        }
    }

    /// Whether the limit is reached: stop listing.
    pub fn is_full(&self) -> bool {
        self.found.len() >= self.limit
    }

    pub(crate) fn into_parts(self) -> (Vec<Found>, Diagnostics) {
        (self.found, self.diagnostics)
    }
}

/// A list resource: finds existing objects of the managed resource type of the same name,
/// generic over the provider's configured data `C`.
pub trait ListResource<C>: Send + Sync + 'static {
    /// The managed resource type whose objects it lists; the provider must offer that
    /// resource, with an identity.
    fn type_name(&self) -> &'static str;

    /// The schema of a `list` block's `config`; called once when the provider server is
    /// built.
    fn schema(&self) -> Schema;

    /// Cross-attribute checks beyond the schema's validators (ValidateListResourceConfig);
    /// the configuration may hold unknowns: skip checks on them.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Finds the objects, pushing each into `resp` until it [is full](ListResponse::is_full).
    fn list(&self, req: ListRequest<C>, resp: &mut ListResponse)
    -> impl Future<Output = ()> + Send;
}

type BoxFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// [`ListResource`] with a boxed future, for the registry.
pub(crate) trait ErasedListResource<C>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, config: &Value, diags: &mut Diagnostics);
    fn list<'a>(&'a self, req: ListRequest<C>, resp: &'a mut ListResponse) -> BoxFuture<'a>;
}

impl<C: Send + Sync + 'static, L: ListResource<C>> ErasedListResource<C> for L {
    fn type_name(&self) -> &'static str {
        ListResource::type_name(self)
    }
    fn schema(&self) -> Schema {
        ListResource::schema(self)
    }
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        ListResource::validate(self, config, diags);
    }
    fn list<'a>(&'a self, req: ListRequest<C>, resp: &'a mut ListResponse) -> BoxFuture<'a> {
        Box::pin(ListResource::list(self, req, resp))
    }
}

/// A list resource registered with a provider: see `Provider::list_resources`.
pub struct ListResourceHandle<C>(pub(crate) Arc<dyn ErasedListResource<C>>);

impl<C: Send + Sync + 'static> ListResourceHandle<C> {
    /// Registers `list_resource`.
    pub fn new(list_resource: impl ListResource<C>) -> Self {
        Self(Arc::new(list_resource))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_past_the_limit_are_ignored() {
        let mut resp = ListResponse::new(2);
        assert!(!resp.is_full());
        for name in ["a", "b", "c"] {
            resp.push(name, Value::from(name));
        }
        assert!(resp.is_full());
        let (found, diagnostics) = resp.into_parts();
        let names: Vec<&str> = found.iter().map(|f| f.display_name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(diagnostics.is_empty());
    }
}
