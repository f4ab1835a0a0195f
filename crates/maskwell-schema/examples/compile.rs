//! Prints the regex (and warnings) for a schema file: `cargo run --example compile -- FILE`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: compile FILE")?;
    let text = std::fs::read_to_string(path)?;
    let v: serde_json::Value = serde_json::from_str(&text)?;
    let v = v.get("schema").filter(|_| v.get("tests").is_some()).cloned().unwrap_or(v);
    let c = maskwell_schema::Compiler::new().compile(&v)?;
    for w in c.warnings() {
        eprintln!("warning: {w}");
    }
    println!("{}", c.regex());
    Ok(())
}
