//! Azure region names and their display names.
//!
//! Kusto echoes a data connection's `location` as the display name ("West Europe") whatever
//! spelling the request used ("westeurope", "West Europe", "WESTEUROPE"); regions compare
//! case- and space-insensitively.

const REGIONS: &[(&str, &str)] = &[
    ("australiaeast", "Australia East"),
    ("australiasoutheast", "Australia Southeast"),
    ("brazilsouth", "Brazil South"),
    ("canadacentral", "Canada Central"),
    ("canadaeast", "Canada East"),
    ("centralindia", "Central India"),
    ("centralus", "Central US"),
    ("eastasia", "East Asia"),
    ("eastus", "East US"),
    ("eastus2", "East US 2"),
    ("francecentral", "France Central"),
    ("germanywestcentral", "Germany West Central"),
    ("italynorth", "Italy North"),
    ("japaneast", "Japan East"),
    ("japanwest", "Japan West"),
    ("koreacentral", "Korea Central"),
    ("northcentralus", "North Central US"),
    ("northeurope", "North Europe"),
    ("norwayeast", "Norway East"),
    ("polandcentral", "Poland Central"),
    ("qatarcentral", "Qatar Central"),
    ("southafricanorth", "South Africa North"),
    ("southcentralus", "South Central US"),
    ("southeastasia", "Southeast Asia"),
    ("southindia", "South India"),
    ("swedencentral", "Sweden Central"),
    ("switzerlandnorth", "Switzerland North"),
    ("uaenorth", "UAE North"),
    ("uksouth", "UK South"),
    ("ukwest", "UK West"),
    ("westcentralus", "West Central US"),
    ("westeurope", "West Europe"),
    ("westus", "West US"),
    ("westus2", "West US 2"),
    ("westus3", "West US 3"),
];

/// Lower-cases and removes spaces: the form in which two region spellings are compared.
pub fn normalize(region: &str) -> String {
    region
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The display name of a known region in any spelling.
pub fn display_name(region: &str) -> Option<&'static str> {
    let key = normalize(region);
    REGIONS
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, display)| *display)
}

/// Display names of every known region.
pub fn display_names() -> Vec<&'static str> {
    REGIONS.iter().map(|(_, display)| *display).collect()
}

/// Whether two spellings name the same region.
pub fn same(a: &str, b: &str) -> bool {
    normalize(a) == normalize(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_map_to_display_names() {
        assert_eq!(display_name("westeurope"), Some("West Europe"));
        assert_eq!(display_name("West Europe"), Some("West Europe"));
        assert_eq!(display_name("WEST US 2"), Some("West US 2"));
        assert_eq!(display_name("atlantis"), None);
        assert!(same("West US 2", "westus2"));
        assert!(!same("westus", "westus2"));
    }
}
