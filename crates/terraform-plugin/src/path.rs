//! Attribute paths: where in a configuration a diagnostic points, or which attribute forces
//! a replacement.
//!
//! Terraform resolves a path against the configuration so that an error is shown at the
//! offending line. A path is rooted at the resource (or provider) body; block type names are
//! attribute steps, list indexes are integer keys and map keys are string keys. Elements of
//! sets cannot be addressed, so paths stop at the set.

use std::fmt;

/// One step of an [`AttributePath`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathStep {
    /// An attribute or nested block type, by name.
    Attribute(String),
    /// A map element or a map-block label.
    Key(String),
    /// A list element or a list-block index.
    Index(i64),
}

/// A path from the resource body to one value inside it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttributePath {
    steps: Vec<PathStep>,
}

impl AttributePath {
    /// The empty path: the resource body itself.
    pub fn root() -> Self {
        Self::default()
    }

    /// A path to a top-level attribute or block.
    pub fn attr(name: impl Into<String>) -> Self {
        Self::root().attribute(name)
    }

    /// This path extended by an attribute name.
    pub fn attribute(mut self, name: impl Into<String>) -> Self {
        self.steps.push(PathStep::Attribute(name.into()));
        self
    }

    /// This path extended by a map key.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.steps.push(PathStep::Key(key.into()));
        self
    }

    /// This path extended by a list index.
    pub fn index(mut self, index: usize) -> Self {
        // A list longer than i64::MAX cannot exist in memory.
        self.steps
            .push(PathStep::Index(i64::try_from(index).unwrap_or(i64::MAX)));
        self
    }

    /// The steps from the root.
    pub fn steps(&self) -> &[PathStep] {
        &self.steps
    }

    /// Whether this is the root path.
    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }
}

/// Renders the path the way Terraform users write references: `a.b[0]["k"]`.
impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => write!(f, "{name}")?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_a_terraform_reference() {
        let path = AttributePath::attr("timeouts")
            .attribute("create")
            .index(2)
            .key("k");
        assert_eq!(path.to_string(), r#"timeouts.create[2]["k"]"#);
        assert_eq!(AttributePath::root().to_string(), "");
    }

    #[test]
    fn orders_by_steps() {
        let mut paths = [AttributePath::attr("b"), AttributePath::attr("a")];
        paths.sort();
        assert_eq!(paths[0], AttributePath::attr("a"));
    }
}
