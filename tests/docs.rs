//! docs/ is generated: each page is its template under templates/ with the argument, attribute
//! and timeout references filled in from the provider's own schemas (`framework::docs`), so the
//! registry pages say what `terraform providers schema` says.
//!
//! This test fails when a page in docs/ differs from what the schemas and templates give, or
//! when docs/ holds a resource or data source page that no type has. `python3 scripts/docs.py`
//! rewrites docs/ (it runs this test with `KUSTO_WRITE_DOCS=1`).

use std::fs;
use std::path::{Path, PathBuf};

use terraform_plugin::docs::{self, Page};
use terraform_provider_kusto::KustoProvider;

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn generated() -> Vec<Page> {
    docs::render(&KustoProvider::new(), repository()).unwrap_or_else(|error| panic!("{error}"))
}

/// The first line where `written` and `expected` differ, both sides shown.
fn first_difference(written: &str, expected: &str) -> String {
    let mut written_lines = written.lines();
    let mut expected_lines = expected.lines();
    for number in 1.. {
        match (written_lines.next(), expected_lines.next()) {
            (None, None) => break,
            (was, wanted) if was != wanted => {
                return format!(
                    "line {number}:\n  docs/:     {}\n  generated: {}",
                    was.unwrap_or("<end of file>"),
                    wanted.unwrap_or("<end of file>")
                );
            }
            _ => {}
        }
    }
    "only the line endings differ".to_owned()
}

/// The type pages present in docs/.
fn type_pages_on_disk() -> Vec<PathBuf> {
    let mut pages = Vec::new();
    for folder in ["resources", "data-sources", "functions"] {
        let Ok(entries) = fs::read_dir(repository().join("docs").join(folder)) else {
            continue;
        };
        for entry in entries {
            pages.push(Path::new(folder).join(entry.expect("docs entry").file_name()));
        }
    }
    pages
}

#[test]
fn docs_are_generated_from_the_schemas() {
    let pages = generated();
    let docs = repository().join("docs");
    if std::env::var_os("KUSTO_WRITE_DOCS").is_some() {
        for page in &pages {
            let path = docs.join(&page.path);
            fs::create_dir_all(path.parent().expect("a page is inside docs/"))
                .expect("docs folder");
            fs::write(&path, &page.markdown).expect("writable docs/");
        }
    }
    let mut stale = Vec::new();
    for page in &pages {
        let written = fs::read_to_string(docs.join(&page.path)).unwrap_or_default();
        if written != page.markdown {
            stale.push(format!(
                "docs/{}, {}",
                page.path.display(),
                first_difference(&written, &page.markdown)
            ));
        }
    }
    for path in type_pages_on_disk() {
        if !pages.iter().any(|page| page.path == path) {
            stale.push(format!(
                "docs/{} documents no type of the provider",
                path.display()
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "docs/ is out of date with the schemas and templates; run `python3 scripts/docs.py`:\n{}",
        stale.join("\n")
    );
}

#[test]
fn every_argument_and_attribute_is_documented() {
    for page in generated() {
        assert!(
            !page.markdown.contains("` - (Required) \n")
                && !page.markdown.contains("` - (Optional) \n"),
            "docs/{} has an argument without a description",
            page.path.display()
        );
        assert!(
            !page.markdown.contains("{{"),
            "docs/{} has a placeholder left",
            page.path.display()
        );
    }
}
