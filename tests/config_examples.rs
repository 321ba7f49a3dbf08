//! The shipped example configs stay valid.

mod support;

#[test]
fn every_example_config_is_valid() {
    let mut checked = 0;
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/config")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            support::authlens::assert_config_file_valid(&path);
            checked += 1;
        }
    }
    assert!(checked >= 2, "expected minimal.yaml and xaa-resource.yaml");
}
