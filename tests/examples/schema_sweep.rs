//! Compiles every MaskBench schema of a directory with the default schema configuration and
//! prints one line per file: its name, the compile time in microseconds, and a hash of the
//! regex (or the error). Two builds' outputs, joined by file name, show whether a change to
//! the schema compiler altered any regex and what it did to compile times.
//!
//! ```text
//! cargo run -p maskwell-e2e --release --example schema_sweep -- DIR > out.tsv
//! ```

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(dir) = std::env::args().nth(1) else {
        return Err("usage: schema_sweep DIR".into());
    };
    let mut paths: Vec<_> =
        std::fs::read_dir(&dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    paths.sort();
    let compiler = maskwell::schema::Compiler::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)?;
        let Ok(file) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
        let Some(schema) = file.get("schema") else { continue };
        let started = Instant::now();
        let compiled = compiler.compile(schema);
        let micros = started.elapsed().as_secs_f64() * 1e6;
        let outcome = match &compiled {
            Ok(c) => format!("{:016x}", xxhash_rust::xxh3::xxh3_64(c.regex().as_bytes())),
            Err(e) => format!("error: {e}"),
        };
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        println!("{name}\t{micros:.0}\t{outcome}");
    }
    Ok(())
}
