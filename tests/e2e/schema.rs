//! schema.graphql is generated: it must equal `passerelle schema`.

#[test]
fn schema_file_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    let generated = graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &generated).expect("write schema.graphql");
        return;
    }
    assert!(
        on_disk == generated,
        "schema.graphql is stale: run `cargo run -q -p server -- schema > schema.graphql` (or UPDATE_SCHEMA=1 cargo test schema)"
    );
}
