//! Refusing schemas nested past the limit before compiling them.
//!
//! The compiler copies each node's subschemas as it normalizes it, so reaching its depth
//! limit costs the limit times the size of what lies below: a schema built in memory 10,000
//! levels deep took over a second to be refused. One pass over the structure, counting one
//! level per subschema along the keywords that hold subschemas (references are not followed:
//! the compiler bounds recursion through them on its own), refuses such a schema at once.
//! The compiler counts at least one level per subschema too, so nothing it would compile is
//! refused here.

use serde_json::Value;

use crate::{resolve::escape_ptr, Error, ErrorKind};

/// Keywords whose value is one subschema.
const ONE: &[&str] = &[
    "items",
    "additionalItems",
    "contains",
    "propertyNames",
    "additionalProperties",
    "unevaluatedItems",
    "unevaluatedProperties",
    "not",
    "if",
    "then",
    "else",
];
/// Keywords whose value is an array of subschemas.
const ARRAY: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems", "items"];
/// Keywords whose value is an object of subschemas.
const MAP: &[&str] = &["properties", "patternProperties", "dependentSchemas", "dependencies"];

/// `Err(TooDeep)` at the first subschema found more than `limit` levels down.
pub(crate) fn check<'a>(schema: &'a Value, limit: usize) -> Result<(), Error> {
    // Every node visited, with its parent and the pointer segments from it, so that the
    // pointer of the offending node is built once, at the end.
    let mut nodes: Vec<(usize, [&'a str; 2])> = vec![(usize::MAX, ["", ""])];
    let mut stack: Vec<(&'a Value, usize, usize)> = vec![(schema, 1, 0)];
    while let Some((value, depth, id)) = stack.pop() {
        let Value::Object(map) = value else { continue };
        if depth > limit {
            return Err(Error::new(ErrorKind::TooDeep { limit }, &pointer(&nodes, id), None));
        }
        for (key, child) in map {
            let key = key.as_str();
            let mut visit = |child: &'a Value, segment: &'a str| {
                if child.is_object() {
                    nodes.push((id, [key, segment]));
                    stack.push((child, depth + 1, nodes.len() - 1));
                }
            };
            if ONE.contains(&key) {
                visit(child, "");
            }
            match child {
                Value::Array(items) if ARRAY.contains(&key) => {
                    items.iter().enumerate().for_each(|(i, c)| visit(c, index(i)));
                }
                Value::Object(members) if MAP.contains(&key) => {
                    members.iter().for_each(|(k, c)| visit(c, k.as_str()));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Array indices as pointer segments (the first few spelled out; an index past them is
/// written as `-`, which still says which array).
fn index(i: usize) -> &'static str {
    const DIGITS: [&str; 16] =
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15"];
    DIGITS.get(i).copied().unwrap_or("-")
}

fn pointer(nodes: &[(usize, [&str; 2])], mut id: usize) -> String {
    let mut segments = Vec::new();
    while id != 0 {
        let (parent, [a, b]) = nodes[id];
        if !b.is_empty() {
            segments.push(b);
        }
        segments.push(a);
        id = parent;
    }
    segments.iter().rev().map(|s| format!("/{}", escape_ptr(s))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize, keyword: &str) -> Value {
        let mut v = serde_json::json!({"type": "integer"});
        for _ in 0..levels {
            let mut m = serde_json::Map::new();
            match keyword {
                "properties" => {
                    let mut p = serde_json::Map::new();
                    p.insert("a".into(), v);
                    m.insert("properties".into(), Value::Object(p));
                }
                "anyOf" => {
                    m.insert("anyOf".into(), Value::Array(vec![true.into(), v]));
                }
                _ => {
                    m.insert(keyword.into(), v);
                }
            }
            v = Value::Object(m);
        }
        v
    }

    #[test]
    fn refuses_past_the_limit_with_the_pointer() {
        assert!(check(&nested(9, "items"), 10).is_ok());
        let e = check(&nested(10, "items"), 10).unwrap_err();
        assert_eq!(e.pointer(), "/items".repeat(10));
        let e = check(&nested(10, "properties"), 10).unwrap_err();
        assert_eq!(e.pointer(), "/properties/a".repeat(10));
        let e = check(&nested(10, "anyOf"), 10).unwrap_err();
        assert_eq!(e.pointer(), "/anyOf/1".repeat(10));
        assert!(matches!(e.kind(), ErrorKind::TooDeep { limit: 10 }));
    }

    #[test]
    fn data_is_not_counted() {
        // Deep values under `const`, `enum` or unknown keywords are data, not subschemas.
        let mut data = serde_json::json!(1);
        for _ in 0..50 {
            data = serde_json::json!([data]);
        }
        let schema = serde_json::json!({"const": data, "x-deep": data, "enum": [data]});
        assert!(check(&schema, 3).is_ok());
    }
}
