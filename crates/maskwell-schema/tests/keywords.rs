//! Keyword-by-keyword behaviour, checked on the automaton: each case lists instances
//! (serialized `json.dumps` style) that must be accepted and ones that must be rejected.

mod common;

use common::Matcher;
use maskwell_schema::{Compiler, Config, UnknownFormat, WarningKind, Whitespace};
use serde_json::{json, Value};

fn matcher_with(cfg: Config, schema: &Value) -> Matcher {
    let c =
        Compiler::new().configure(cfg).compile(schema).unwrap_or_else(|e| panic!("{schema}: {e}"));
    Matcher::new(c.regex(), 64 << 20).unwrap_or_else(|e| panic!("{schema}: {e}"))
}

fn check_with(cfg: Config, schema: Value, accept: &[&str], reject: &[&str]) {
    let m = matcher_with(cfg, &schema);
    for a in accept {
        assert!(m.accepts(a), "{schema} should accept {a}");
    }
    for r in reject {
        assert!(!m.accepts(r), "{schema} should reject {r}");
    }
}

fn check(schema: Value, accept: &[&str], reject: &[&str]) {
    check_with(Config::new(), schema, accept, reject);
}

fn fails(schema: Value, code: &str) {
    match Compiler::new().compile(&schema) {
        Ok(c) => panic!("{schema} compiled to {}", c.regex()),
        Err(e) => assert_eq!(e.code(), code, "{schema}: {e}"),
    }
}

#[test]
fn scalars() {
    check(json!({"type": "null"}), &["null"], &["nul", "\"null\""]);
    check(json!({"type": "boolean"}), &["true", "false"], &["True", "1"]);
    check(json!({"type": ["string", "null"]}), &["null", "\"x\""], &["1"]);
    check(json!({"type": "string", "nullable": true}), &["null", "\"x\""], &["1"]);
    check(
        json!({"type": "number"}),
        &["0", "-1", "1.5", "1e10", "-2.5E-3", "10"],
        &["01", "1.", ".5", "+1", "- 1", "1e"],
    );
    check(json!({"type": "integer"}), &["0", "-7", "123"], &["1.5", "-0.5", "01"]);
}

#[test]
fn strings() {
    check(
        json!({"type": "string"}),
        &[r#""""#, r#""a b""#, r#""\"\\\/\b\f\n\r\t""#, r#""\u00e9""#, r#""é😀""#],
        &[r#""a"#, "\"a\nb\"", r#""\x""#, r#""\ud800""#, r#""\u12""#],
    );
    check(
        json!({"type": "string", "minLength": 2, "maxLength": 3}),
        &[r#""ab""#, r#""abc""#, r#""é😀""#, r#""\n\t""#],
        &[r#""a""#, r#""abcd""#],
    );
    check(
        json!({"type": "string", "pattern": "^[a-z]+$"}),
        &[r#""abc""#],
        &[r#""""#, r#""aBc""#, r#""abc1""#],
    );
    check(json!({"type": "string", "pattern": "b"}), &[r#""abc""#, r#""b""#], &[r#""ac""#]);
    check(
        json!({"type": "string", "pattern": "^\\d{3}$", "maxLength": 5}),
        &[r#""123""#],
        &[r#""1234""#, r#""12a""#],
    );
    check(
        json!({"type": "string", "pattern": "^a", "maxLength": 3}),
        &[r#""a""#, r#""abc""#],
        &[r#""abcd""#, r#""ba""#],
    );
    check(json!({"type": "string", "pattern": "\""}), &[r#""say \"hi\"""#], &[r#""say hi""#]);
    check(json!({"type": "string", "pattern": "^\\w+$"}), &[r#""a_1""#], &[r#""é""#, r#""a-b""#]);
    fails(json!({"type": "string", "pattern": "(?=a)"}), "bad_pattern");
    // A pattern meets a format: a fixed prefix narrows it, an implied one leaves it be.
    check(
        json!({"type": "string", "format": "uri", "pattern": "^https?://"}),
        &[r#""https://example.com/a?b=1""#, r#""http://x.org""#],
        &[r#""ftp://example.com""#, r#""https://exa mple.com""#, r#""https:/x.org""#],
    );
    check(
        json!({"type": "string", "format": "date", "pattern": "^[0-9]{4}(-[0-9]{2})*$"}),
        &[r#""2024-02-29""#],
        &[r#""2023-02-29""#, r#""2024""#],
    );
    check(
        json!({"allOf": [{"pattern": "^(tuple|list|x1)$"}, {"type": "string", "pattern": "^[a-z]+$"}]}),
        &[r#""tuple""#, r#""list""#],
        &[r#""x1""#, r#""tuples""#],
    );
    fails(
        json!({"allOf": [{"type": "string", "pattern": "^[a-f]{4}$"}, {"pattern": "^[a-f]{8}$"}]}),
        "unsatisfiable",
    );
    fails(
        json!({"type": "string", "format": "uri", "pattern": "^https://.*\\.png$"}),
        "unsupported_keyword",
    );
    fails(json!({"type": "string", "pattern": "(a)\\1"}), "bad_pattern");
}

#[test]
fn formats() {
    check(
        json!({"type": "string", "format": "date-time"}),
        &[r#""2024-02-29T23:59:59Z""#, r#""2023-01-01T00:00:00.5+01:00""#],
        &[r#""2023-02-29T00:00:00Z""#, r#""2023-01-01""#],
    );
    check(json!({"format": "uuid"}), &[r#""123e4567-e89b-12d3-a456-426614174000""#], &[r#""123""#]);
    check(json!({"format": "ipv4"}), &[r#""10.0.0.255""#], &[r#""256.1.1.1""#]);
    fails(json!({"type": "string", "format": "no-such-format"}), "unsupported_keyword");
    // Unknown formats can be treated as annotations.
    let cfg = Config::new().unknown_format(UnknownFormat::Ignore);
    check_with(cfg, json!({"type": "string", "format": "no-such-format"}), &[r#""x""#], &["1"]);
    // OpenAPI numeric formats bound integers.
    check(json!({"type": "integer", "format": "int32"}), &["2147483647"], &["2147483648"]);
    // OpenAPI string formats: padded base64, and hints that allow any string.
    check(json!({"format": "byte"}), &[r#""U3dhZ2dlcg==""#, r#""""#], &[r#""U3dhZ2dlcg=""#]);
    check(json!({"type": "string", "format": "password"}), &[r#""any thing""#], &["1"]);
    check(
        json!({"type": "string", "format": "relative-json-pointer"}),
        &[r#""0""#, r#""1/a~1b""#, r#""2#""#],
        &[r#""01""#, r#""/a""#],
    );
    check(
        json!({"type": "string", "format": "uri-template"}),
        &[r#""https://example.com/{user}{?page,limit}""#],
        &[r#""https://example.com/{user""#],
    );
    check(json!({"format": "idn-hostname"}), &[r#""example.com""#], &[r#""-x.com""#]);
}

#[test]
fn numbers() {
    check(
        json!({"type": "integer", "minimum": -5, "maximum": 17}),
        &["-5", "0", "9", "17"],
        &["-6", "18", "170"],
    );
    check(json!({"type": "integer", "exclusiveMinimum": 0}), &["1", "1000"], &["0", "-1"]);
    check(
        json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 3}),
        &["1", "3"],
        &["0", "4"],
    );
    check(
        json!({"type": "number", "minimum": 0.5, "maximum": 2.25}),
        &["0.5", "1", "2.25", "2.2"],
        &["0.4", "2.26", "3", "-1"],
    );
    check(json!({"type": "number", "exclusiveMaximum": 0}), &["-1", "-0.001"], &["0", "0.0", "1"]);
    check(json!({"type": "integer", "multipleOf": 5}), &["0", "5", "-15", "100"], &["3", "51"]);
    check(
        json!({"type": "integer", "multipleOf": 3, "minimum": 0, "maximum": 10}),
        &["0", "3", "9"],
        &["1", "12"],
    );
    check(json!({"type": "number", "multipleOf": 0.01}), &["1.25", "3"], &["1.255"]);
    fails(json!({"type": "integer", "multipleOf": 7}), "unsupported_keyword");
}

#[test]
fn enums() {
    check(
        json!({"enum": ["a", 1, null, [1, 2], {"k": true}]}),
        &["\"a\"", "1", "1.0", "null", "[1, 2]", "{\"k\": true}"],
        &["\"b\"", "2", "[1,2]"],
    );
    check(json!({"const": "x\"y"}), &[r#""x\"y""#], &[r#""x""#]);
    // Siblings filter enum values.
    check(
        json!({"type": "string", "enum": ["a", 1, "bb"], "maxLength": 1}),
        &["\"a\""],
        &["1", "\"bb\""],
    );
    fails(json!({"type": "integer", "enum": ["a"]}), "unsatisfiable");
    // Under `type: integer` a value is written as an integer (draft 4 counts 1.0 as a
    // number with a fraction), whatever the enum spells.
    check(json!({"type": "integer", "enum": [1, 2.0, 2.5]}), &["1", "2"], &["1.0", "2.0", "2.5"]);
    check(json!({"type": "number", "enum": [1]}), &["1", "1.0"], &["2"]);
}

#[test]
fn objects() {
    let schema = json!({
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "string"}, "c": {"type": "boolean"}},
        "required": ["b"]
    });
    check(
        schema,
        &[
            r#"{"b": "x"}"#,
            r#"{"a": 1, "b": "x"}"#,
            r#"{"a": 1, "b": "x", "c": true}"#,
            r#"{"b": "x", "c": false}"#,
        ],
        &["{}", r#"{"a": 1}"#, r#"{"b": "x", "a": 1}"#, r#"{"b":"x"}"#, r#"{"d": 1, "b": "x"}"#],
    );
    // All optional: any in-order subset.
    let schema = json!({"properties": {"a": {"const": 1}, "b": {"const": 2}, "c": {"const": 3}}});
    check(
        schema,
        &["{}", r#"{"a": 1}"#, r#"{"b": 2}"#, r#"{"a": 1, "c": 3}"#, r#"{"a": 1, "b": 2, "c": 3}"#],
        &[r#"{"c": 3, "a": 1}"#, r#"{, "a": 1}"#, r#"{"a": 1, }"#],
    );
    // additionalProperties schema and patternProperties.
    check(
        json!({"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": {"type": "string"}}),
        &[r#"{"a": 1, "x": "y"}"#, r#"{"x": "y", "z": "w"}"#],
        &[r#"{"a": "s"}"#, r#"{"x": 1}"#],
    );
    check(
        json!({"type": "object", "patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": false}),
        &["{}", r#"{"x-a": 1, "x-b": 2}"#],
        &[r#"{"y": 1}"#, r#"{"x-a": "s"}"#],
    );
    // min/maxProperties.
    check(
        json!({"type": "object", "properties": {"a": {}, "b": {}, "c": {}}, "minProperties": 2, "maxProperties": 2}),
        &[r#"{"a": 1, "b": 2}"#, r#"{"b": 1, "c": 2}"#],
        &[r#"{"a": 1}"#, r#"{"a": 1, "b": 2, "c": 3}"#],
    );
    // Open by default (extra members after the declared ones), closed on request.
    let s = json!({"type": "object", "properties": {"a": {"type": "integer"}}});
    check(
        s.clone(),
        &[r#"{"a": 1}"#, r#"{"a": 1, "b": [2, {"c": null}]}"#, r#"{"b": 2}"#],
        &[r#"{"a": "x"}"#, r#"{"a": 1, "a": 2}"#, r#"{"b": 2, "a": 1}"#],
    );
    let closed = || Config::new().additional_properties(false);
    check_with(closed(), s, &[r#"{"a": 1}"#], &[r#"{"a": 1, "b": 2}"#]);
    check_with(
        closed(),
        json!({"type": "object", "properties": {"a": {}, "b": {}, "c": {}}, "required": ["b"]}),
        &[r#"{"b": 1}"#],
        &[r#"{"b": "x", "d": 1}"#],
    );
    // Closed where the open object does not compile, with a warning that says why.
    let big: serde_json::Map<String, Value> =
        (0..12).map(|i| (format!("p{i}"), json!({"$ref": "#"}))).collect();
    let big = json!({"type": "object", "properties": big});
    let cfg = Config::new().max_regex_len(200_000).max_recursion_depth(2);
    let c = Compiler::new().configure(cfg.clone()).compile(&big).expect("compiles closed");
    let w = &c.warnings()[0];
    assert_eq!(w.keyword(), "additionalProperties", "{w}");
    assert!(w.to_string().contains("max_regex_len"), "{w}");
    let closed_too =
        Compiler::new().configure(cfg.additional_properties(false)).compile(&big).unwrap();
    assert_eq!(c.regex(), closed_too.regex());
    // An object schema that declares nothing stays open.
    check(json!({"type": "object"}), &["{}", r#"{"k": [1, "x"]}"#], &["[]"]);
    // dependentRequired / dependencies.
    check(
        json!({"properties": {"a": {}, "b": {}}, "dependencies": {"a": ["b"]}}),
        &["{}", r#"{"b": 1}"#, r#"{"a": 1, "b": 2}"#],
        &[r#"{"a": 1}"#],
    );
}

#[test]
fn arrays() {
    check(
        json!({"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3}),
        &["[1]", "[1, 2, 3]"],
        &["[]", "[1, 2, 3, 4]", "[1, \"a\"]", "[1,2]"],
    );
    check(
        json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false}),
        &["[]", "[\"a\"]", "[\"a\", 1]"],
        &["[1]", "[\"a\", 1, 2]"],
    );
    check(
        json!({"type": "array", "items": [{"type": "string"}], "additionalItems": {"type": "boolean"}}),
        &["[\"a\", true, false]"],
        &["[\"a\", 1]"],
    );
    check(
        json!({"type": "array", "contains": {"const": 5}}),
        &["[5]", "[1, 5, 2]"],
        &["[]", "[1, 2]"],
    );
    fails(json!({"type": "array", "uniqueItems": true}), "unsupported_keyword");
}

#[test]
fn refs_and_combinators() {
    let schema = json!({
        "$defs": {"pos": {"type": "integer", "minimum": 1}},
        "type": "object",
        "properties": {"n": {"$ref": "#/$defs/pos"}, "m": {"$ref": "#/definitions/neg"}},
        "definitions": {"neg": {"type": "integer", "maximum": -1}}
    });
    check(schema, &[r#"{"n": 3, "m": -2}"#], &[r#"{"n": 0}"#, r#"{"m": 1}"#]);
    // Recursion is unrolled to a bounded depth.
    let tree = json!({
        "$defs": {"node": {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
        "$ref": "#/$defs/node"
    });
    let c = Compiler::new().compile(&tree).unwrap();
    assert!(c.warnings().iter().any(|w| w.keyword() == "$ref"));
    check(tree, &["{}", r#"{"kids": [{}, {"kids": []}]}"#], &[r#"{"kids": [1]}"#]);
    // allOf merges.
    check(
        json!({"allOf": [{"type": "integer", "minimum": 0}, {"maximum": 10}, {"not": {"const": 5}}]}),
        &["0", "10"],
        &["-1", "11", "5"],
    );
    check(json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}), &["\"a\"", "1"], &["null"]);
    // oneOf with disjoint types, and with a discriminator.
    check(json!({"oneOf": [{"type": "string"}, {"type": "null"}]}), &["\"a\"", "null"], &["1"]);
    let tagged = json!({"oneOf": [
        {"type": "object", "properties": {"kind": {"const": "a"}, "x": {"type": "integer"}}, "required": ["kind"]},
        {"type": "object", "properties": {"kind": {"const": "b"}, "y": {"type": "string"}}, "required": ["kind"]}
    ]});
    check(
        tagged.clone(),
        &[r#"{"kind": "a", "x": 1}"#, r#"{"kind": "b", "y": "s"}"#, r#"{"kind": "a", "y": "s"}"#],
        &[r#"{"kind": "c"}"#, r#"{"kind": "a", "x": "s"}"#],
    );
    check_with(
        Config::new().additional_properties(false),
        tagged,
        &[r#"{"kind": "a", "x": 1}"#],
        &[r#"{"kind": "a", "y": "s"}"#],
    );
    // Overlapping oneOf branches are refined so that each excludes the other.
    let s = json!({"type": "object", "properties": {"p": {}, "q": {}}, "oneOf": [{"required": ["p"]}, {"required": ["q"]}]});
    check(s, &[r#"{"p": 1}"#, r#"{"q": 1}"#], &["{}", r#"{"p": 1, "q": 2}"#]);
    fails(json!({"oneOf": [{"type": "number"}, {"type": "integer"}]}), "unsupported_keyword");
    // if/then/else
    let s = json!({
        "type": "object",
        "properties": {"kind": {"enum": ["a", "b"]}, "n": {"type": "integer"}},
        "required": ["kind"],
        "if": {"properties": {"kind": {"const": "a"}}},
        "then": {"required": ["n"]}
    });
    check(
        s,
        &[r#"{"kind": "a", "n": 1}"#, r#"{"kind": "b"}"#, r#"{"kind": "b", "n": 1}"#],
        &[r#"{"kind": "a"}"#],
    );
    fails(json!({"$ref": "#/nope"}), "unresolvable_ref");
}

#[test]
fn whitespace_modes() {
    let s = json!({"type": "object", "properties": {"a": {"type": "array", "items": {"type": "integer"}}}, "required": ["a"]});
    check_with(
        Config::new().whitespace(Whitespace::Compact),
        s.clone(),
        &[r#"{"a":[1,2]}"#],
        &[r#"{"a": [1, 2]}"#],
    );
    check_with(
        Config::new().whitespace(Whitespace::Flexible { max_run: 2 }),
        s.clone(),
        &[r#"{"a":[1,2]}"#, "{ \"a\" :\n[ 1 , 2 ] }", " {\"a\": []} "],
        &["{   \"a\": []}"],
    );
    check_with(
        Config::new().whitespace(Whitespace::Pretty { indent: 2 }),
        s,
        &["{\n  \"a\": [\n    1,\n    2\n  ]\n}", "{\n  \"a\": []\n}"],
        &[r#"{"a": [1, 2]}"#],
    );
}

#[test]
fn errors_carry_pointer_and_keyword() {
    let e = Compiler::new()
        .compile(&json!({"properties": {"a": {"type": "string", "pattern": "(?<=x)y"}}}))
        .unwrap_err();
    assert_eq!(e.code(), "bad_pattern");
    assert_eq!(e.pointer(), "/properties/a");
    assert_eq!(e.keyword(), Some("pattern"));
    assert!(e.to_string().contains("/properties/a"), "{e}");
    let e = Compiler::new().compile_str("{\"type\": ").unwrap_err();
    assert_eq!(e.code(), "json_parse");
    assert!(std::error::Error::source(&e).is_some());
    // Lenient mode reports instead of failing.
    let c = Compiler::new()
        .configure(Config::new().lenient(true))
        .compile(&json!({"type": "array", "uniqueItems": true}))
        .unwrap();
    assert_eq!(c.warnings().len(), 1);
    // Limits are errors.
    let e = Compiler::new()
        .configure(Config::new().max_enum_size(2))
        .compile(&json!({"enum": [1, 2, 3]}))
        .unwrap_err();
    assert_eq!(e.code(), "limit_exceeded");
}

/// Pathological schemas stop at a configured limit, with an error that names it, under the
/// default configuration: nothing runs away.
#[test]
fn pathological_schemas_hit_a_limit() {
    let mut deep = json!({"type": "integer"});
    for _ in 0..300 {
        deep = json!({"type": "array", "items": deep});
    }
    let huge_enum = json!({"enum": (0..20_000).collect::<Vec<_>>()});
    let long_string = json!({"type": "string", "minLength": 5, "maxLength": 1_000_000});
    let optional: serde_json::Map<String, serde_json::Value> =
        (0..40).map(|i| (format!("p{i}"), json!({"type": "integer"}))).collect();
    let counted =
        json!({"type": "object", "properties": optional, "minProperties": 3, "maxProperties": 30});
    // Every property refers to one big definition: inlined, the regex outgrows its limit.
    let wide: serde_json::Map<String, serde_json::Value> =
        (0..400).map(|i| (format!("p{i}"), json!({"$ref": "#/$defs/big"}))).collect();
    let big: serde_json::Map<String, serde_json::Value> = (0..50)
        .map(|i| (format!("field{i}"), json!({"type": "string", "maxLength": 20})))
        .collect();
    let blowup = json!({"type": "object", "properties": wide, "$defs": {"big": {"type": "object", "properties": big}}});
    for (name, schema, limit) in [
        ("deep nesting", deep, "max_nesting_depth"),
        ("huge enum", huge_enum, "max_enum_size"),
        ("many optional properties counted", counted, "minProperties"),
        ("inlined references", blowup, "max_regex_len"),
    ] {
        let e = Compiler::new().compile(&schema).unwrap_err();
        assert!(
            e.to_string().contains(limit) || e.keyword() == Some(limit),
            "{name}: {e} (code {})",
            e.code()
        );
    }
    // A maxLength past `max_repeat` is lowered to it (sound: fewer strings), and said so.
    let c = Compiler::new().compile(&long_string).unwrap();
    assert!(c.regex().contains("{5,1000}"), "{}", c.regex());
    assert_eq!(c.warnings().len(), 1);
    assert!(format!("{:?}", c.warnings()[0]).contains("max_repeat"), "{:?}", c.warnings());
}

/// An object, `anyOf` or `oneOf` whose parts already add up past `max_regex_len` fails there,
/// before the parts after them are compiled: an attempt that cannot succeed costs what the
/// limit allows, not the whole oversized regex (a recursive schema can make one of
/// megabytes before it is retried closed or less deeply unrolled).
#[test]
fn oversized_parts_fail_before_the_rest_is_compiled() {
    let cfg = Config::new().max_regex_len(5_000);
    let long = |p: &str| json!({"enum": (0..400).map(|i| format!("{p}{i}")).collect::<Vec<_>>()});
    // The last member's pattern is invalid: compiled, it would be the error.
    let bad = json!({"type": "string", "pattern": "(unclosed"});
    let object = json!({"type": "object", "additionalProperties": false,
        "properties": {"a": long("a"), "b": long("b"), "c": bad.clone()}});
    let one_of = json!({"oneOf": [long("a"), {"type": "integer"}, long("b"),
        {"type": "array", "items": bad}]});
    let any_of = json!({"anyOf": [long("a"), long("b"), {"type": "array", "items": bad}]});
    for (name, schema, at) in [("object", object, ""), ("oneOf", one_of, ""), ("anyOf", any_of, "")]
    {
        let e = Compiler::new().configure(cfg.clone()).compile(&schema).unwrap_err();
        assert!(e.to_string().contains("max_regex_len"), "{name}: {e}");
        assert_eq!(e.pointer(), at, "{name}: {e}");
    }
    // Alone, each part fits, and the invalid pattern is what fails.
    let fits = json!({"type": "object", "additionalProperties": false,
        "properties": {"a": long("a"), "c": {"type": "string", "pattern": "(unclosed"}}});
    let e = Compiler::new().configure(cfg).compile(&fits).unwrap_err();
    assert!(e.to_string().contains("unclosed"), "{e}");
}

#[test]
fn empty_length_ranges_match_nothing() {
    fails(json!({"type": "string", "minLength": 1, "maxLength": 0}), "unsatisfiable");
    // Only the empty-range alternative goes: the rest of the union stays.
    check(
        json!({"anyOf": [{"type": "string", "minLength": 2, "maxLength": 1}, {"type": "null"}]}),
        &["null"],
        &["\"\"", "\"a\""],
    );
}

#[test]
fn one_of_is_made_exclusive_by_negations() {
    // Open objects overlap on `{}` and on objects without `kind`: each branch keeps only
    // what the other rejects (its `kind` outside the other's enum).
    check(
        json!({"type": "object", "oneOf": [
            {"properties": {"kind": {"enum": ["a"]}, "n": {"type": "integer"}}},
            {"properties": {"kind": {"enum": ["a", "b"]}, "s": {"type": "string"}}}
        ]}),
        &[r#"{"kind": "b"}"#, r#"{"kind": "b", "s": "x"}"#],
        &["{}", r#"{"kind": "a"}"#, r#"{"kind": "a", "s": "x"}"#],
    );
    // Closed objects without required members overlap only on `{}`.
    check(
        json!({"oneOf": [
            {"type": "object", "properties": {"x": {"type": "boolean"}}, "additionalProperties": false},
            {"type": "object", "properties": {"y": {"type": "boolean"}}, "additionalProperties": false}
        ]}),
        &[r#"{"x": true}"#, r#"{"y": false}"#],
        &["{}"],
    );
    // Numbers: exactly one of `maximum: 2` and `maximum: 5` is (2, 5].
    check(
        json!({"type": "integer", "oneOf": [{"maximum": 2}, {"maximum": 5}]}),
        &["3", "5"],
        &["2", "0", "6"],
    );
    // A member shorter than the other branch allows.
    check(
        json!({"type": "object", "required": ["t"], "additionalProperties": false,
               "properties": {"t": {"type": "string", "minLength": 1}, "r": {"type": "boolean"}},
               "oneOf": [{"properties": {"r": {"enum": [false]}}}, {"properties": {"r": {"enum": [true, false]}}}]}),
        &[r#"{"t": "a", "r": true}"#],
        &[r#"{"t": "", "r": true}"#, r#"{"t": "a", "r": false}"#, r#"{"t": "a"}"#],
    );
}

#[test]
fn one_of_string_branches_are_proven_disjoint_by_their_languages() {
    check(
        json!({"type": "string", "oneOf": [{"pattern": "^https?://"}, {"pattern": "^git://"}]}),
        &[r#""https://x""#, r#""git://x""#],
        &[r#""ftp://x""#],
    );
    // Lower- and upper-case hex share the all-digit strings: not provably exclusive.
    fails(
        json!({"type": "string", "oneOf": [{"pattern": "^[0-9a-f]{4}$"}, {"pattern": "^[0-9A-F]{4}$"}]}),
        "unsupported_keyword",
    );
    // Disjoint by a property's pattern.
    check(
        json!({"oneOf": [
            {"type": "object", "required": ["class"], "additionalProperties": false,
             "properties": {"class": {"type": "string", "pattern": "^configure$"}}},
            {"type": "object", "required": ["class"], "additionalProperties": false,
             "properties": {"class": {"type": "string", "pattern": "^contextualize$"}}}
        ]}),
        &[r#"{"class": "configure"}"#, r#"{"class": "contextualize"}"#],
        &[r#"{"class": "other"}"#],
    );
}

#[test]
fn not_is_written_as_the_union_of_negations() {
    check(
        json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
               "not": {"required": ["a", "b"]}}),
        &["{}", r#"{"a": "x"}"#, r#"{"b": "y"}"#],
        &[r#"{"a": "x", "b": "y"}"#],
    );
    check(
        json!({"type": "array", "items": {"type": "integer"}, "not": {"maxItems": 0}}),
        &["[1]", "[1, 2]"],
        &["[]"],
    );
    check(
        json!({"items": {"not": {"type": "string", "enum": ["x"]}}, "type": "array"}),
        &["[]", r#"["y"]"#, "[1]"],
        &[r#"["x"]"#],
    );
}

/// `not`, `else` and narrowed `oneOf` branches are written as the failures that can be
/// written down; where that is not all of them, a `Bounded` warning says so, and where it is,
/// nothing is said.
#[test]
fn restricted_complements_are_reported() {
    let bounded = |schema: serde_json::Value| -> Vec<(String, String)> {
        let c = Compiler::new().compile(&schema).unwrap_or_else(|e| panic!("{schema}: {e}"));
        c.warnings()
            .iter()
            .filter(|w| w.kind() == WarningKind::Bounded)
            .map(|w| (w.pointer().to_owned(), w.keyword().to_owned()))
            .collect()
    };
    // Exact: types, bounds, required keys, scalar enums.
    assert_eq!(bounded(json!({"type": "integer", "not": {"minimum": 5}})), []);
    assert_eq!(bounded(json!({"type": "object", "not": {"required": ["a", "b"]}})), []);
    assert_eq!(
        bounded(json!({
            "type": "object",
            "properties": {"kind": {"type": "string"}, "n": {"type": "integer"}},
            "if": {"properties": {"kind": {"enum": ["a"]}}, "required": ["kind"]},
            "then": {"required": ["n"]},
            "else": {"properties": {"n": {"maximum": 3}}}
        })),
        []
    );
    // Restricted: a pattern's failures are not written down.
    assert_eq!(
        bounded(json!({"type": "object", "properties": {"s": {"type": "string"}},
                        "not": {"properties": {"s": {"pattern": "^a"}}, "required": ["s"]}})),
        [("/not".to_owned(), "not".to_owned())]
    );
    assert_eq!(
        bounded(json!({
            "type": "object",
            "properties": {"s": {"type": "string"}},
            "if": {"properties": {"s": {"pattern": "^a"}}},
            "then": {"required": ["s"]},
            "else": {"maxProperties": 1}
        })),
        [("".to_owned(), "else".to_owned())]
    );
    // "Not an integer" over numbers leaves numbers out.
    assert_eq!(
        bounded(json!({"type": ["number", "string"], "not": {"type": "integer"}})),
        [("/not".to_owned(), "not".to_owned())]
    );
}
