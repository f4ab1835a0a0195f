//! The JSON Schema compiler on arbitrary JSON.

use maskwell_index::{Automaton, ErrorKind};
use maskwell_schema::{Compiler, Config, UnknownFormat, Whitespace};

use crate::regex::small_index_config;

/// Compiles the input as a JSON Schema and checks that the compiler never panics and that
/// every regex it emits is one the index builder accepts.
///
/// Inputs that are not UTF-8 or not JSON are skipped (the JSON parser is not under test).
/// The compiler's options come from a hash of the input, so one corpus covers every
/// whitespace mode, lenient and strict mode and both unknown-format policies. Limits are
/// small so a pathological schema fails fast instead of slowing the fuzzer down. When the
/// schema compiles, its regex is determinized under small limits: a limit error is fine, a
/// syntax error means the compiler wrote an invalid regex.
pub fn schema_compiler(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(schema) = serde_json::from_str::<serde_json::Value>(text) else { return };
    let compiler = Compiler::new().configure(config_for(data));
    let Ok(compiled) = compiler.compile(&schema) else { return };
    match Automaton::from_regex(compiled.regex(), &small_index_config()) {
        Ok(_) => {}
        Err(e) => assert_ne!(
            e.kind(),
            ErrorKind::Regex,
            "the compiler emitted a regex the index rejects: {e}\nregex: {}",
            compiled.regex()
        ),
    }
}

/// Small limits (one input must compile in milliseconds), options chosen by the input.
fn config_for(data: &[u8]) -> Config {
    let h = data.iter().fold(0u32, |h, &b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    let whitespace = match h % 4 {
        0 => Whitespace::Compact,
        1 => Whitespace::Spaced,
        2 => Whitespace::Flexible { max_run: 2 },
        _ => Whitespace::Pretty { indent: 2 },
    };
    let unknown = if h & 8 == 0 { UnknownFormat::Error } else { UnknownFormat::Ignore };
    Config::new()
        .whitespace(whitespace)
        .lenient(h & 4 != 0)
        .unknown_format(unknown)
        .additional_properties(h & 16 != 0)
        .max_recursion_depth(2)
        .max_regex_len(1 << 14)
        .max_enum_size(64)
        .max_nesting_depth(32)
        .max_repeat(64)
        .max_alternatives(256)
        .any_value_depth(1)
}
