//! Where a partial output stands in its schema: for explaining a refused token.
//!
//! The compiled regex no longer knows which schema node each of its parts came from, but
//! the output does: a prefix of a JSON document says which object key or array item it is
//! writing (its instance location), and that location leads through the schema the way a
//! validator walks it (`properties`, `items`, `$ref`, the branches of `anyOf`...). This is
//! a diagnostic for refusals, tolerant of any input; it never fails.

use std::fmt;

use serde_json::Value;

use crate::resolve::{escape_ptr, pointer};

/// At most this many schema nodes are listed for one location (combinators can fan out).
const MAX_NODES: usize = 32;

/// What the output is writing at the end of a prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expecting {
    /// A value: the start of the document, after `:`, after `[` or `,` in an array.
    Value,
    /// A property name of an object, or its end.
    Key,
    /// More of a property name that has begun.
    KeyText,
    /// The `:` after a property name.
    Colon,
    /// More of a string value that has begun.
    StringText,
    /// More of a number or a literal (`true`, `false`, `null`).
    Scalar,
    /// A `,` or the end of the container, after a value.
    AfterValue,
    /// Nothing: the document is complete.
    End,
}

impl fmt::Display for Expecting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expecting::Value => "a value",
            Expecting::Key => "a property name or the end of the object",
            Expecting::KeyText => "the rest of a property name",
            Expecting::Colon => "the ':' after a property name",
            Expecting::StringText => "the rest of a string",
            Expecting::Scalar => "the rest of a number or literal",
            Expecting::AfterValue => "a ',' or the end of the container",
            Expecting::End => "the end of the output",
        })
    }
}

/// One schema node that applies at a location.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SchemaNode {
    /// Its JSON Pointer in the schema document (`""` is the root).
    pub pointer: String,
    /// Its keywords, compact and shortened (`properties` listed by name).
    pub summary: String,
}

/// Where a partial output stands: its instance location, what comes next, and the schema
/// nodes that apply there. From [`locate`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Location {
    /// JSON Pointer of the value being written, in the output (`""`: the whole document).
    /// While a property name is written, the object's pointer.
    pub instance: String,
    /// What the output is writing.
    pub expecting: Expecting,
    /// The schema nodes for the value at `instance`: `$ref`s followed and the branches of
    /// `allOf`, `anyOf`, `oneOf` and `if`/`then`/`else` listed, outermost first (at most 32).
    pub schemas: Vec<SchemaNode>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance.is_empty() { "the document" } else { &self.instance };
        writeln!(f, "  output location: {at}, expecting {}", self.expecting)?;
        for node in &self.schemas {
            let ptr = if node.pointer.is_empty() { "#" } else { &node.pointer };
            writeln!(f, "  schema {ptr}: {}", node.summary)?;
        }
        Ok(())
    }
}

/// One segment of an instance location.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Key(String),
    Item(usize),
}

#[derive(Debug)]
enum Frame {
    /// An object; the key of the member being written, once its name is complete.
    Object(Option<String>),
    /// An array and the index of the item being written.
    Array(usize),
}

/// Scans a JSON prefix: the open containers and what comes next.
fn scan(text: &[u8]) -> (Vec<Frame>, Expecting) {
    let mut stack: Vec<Frame> = Vec::new();
    let mut state = Expecting::Value;
    let mut string: Vec<u8> = Vec::new();
    let mut escaped = false;
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        i += 1;
        match state {
            Expecting::StringText | Expecting::KeyText => {
                if escaped {
                    escaped = false;
                    string.push(b);
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    if state == Expecting::KeyText {
                        if let Some(Frame::Object(key)) = stack.last_mut() {
                            *key = Some(String::from_utf8_lossy(&string).into_owned());
                        }
                        state = Expecting::Colon;
                    } else {
                        state = after_value(&stack);
                    }
                } else {
                    string.push(b);
                }
            }
            _ if b.is_ascii_whitespace() => {
                if state == Expecting::Scalar {
                    state = after_value(&stack);
                }
            }
            Expecting::Scalar if !matches!(b, b',' | b'}' | b']') => {}
            _ => match b {
                b'{' if state == Expecting::Value => {
                    stack.push(Frame::Object(None));
                    state = Expecting::Key;
                }
                b'[' if state == Expecting::Value => {
                    stack.push(Frame::Array(0));
                    state = Expecting::Value;
                }
                b'"' if matches!(state, Expecting::Value | Expecting::Key) => {
                    string.clear();
                    state = if state == Expecting::Key {
                        Expecting::KeyText
                    } else {
                        Expecting::StringText
                    };
                }
                b':' if state == Expecting::Colon => state = Expecting::Value,
                b',' => match stack.last_mut() {
                    Some(Frame::Object(key)) => {
                        *key = None;
                        state = Expecting::Key;
                    }
                    Some(Frame::Array(n)) => {
                        *n += 1;
                        state = Expecting::Value;
                    }
                    None => state = Expecting::End,
                },
                b'}' | b']' => {
                    stack.pop();
                    state = after_value(&stack);
                }
                _ if state == Expecting::Value => state = Expecting::Scalar,
                _ => {}
            },
        }
    }
    (stack, state)
}

fn after_value(stack: &[Frame]) -> Expecting {
    if stack.is_empty() {
        Expecting::End
    } else {
        Expecting::AfterValue
    }
}

/// Where the partial output `text` stands in `schema`: the value being written and the
/// schema nodes that apply to it. References inside the document (`#/...` pointers) are
/// followed; others are listed as the node that holds them.
///
/// ```
/// use maskwell_schema::{locate, Expecting};
///
/// let schema = serde_json::json!({
///     "type": "object",
///     "properties": {"tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}}},
///     "$defs": {"tag": {"type": "string", "maxLength": 8}}
/// });
/// let at = locate(&schema, br#"{"tags": ["a", "b"#);
/// assert_eq!(at.instance, "/tags/1");
/// assert_eq!(at.expecting, Expecting::StringText);
/// let pointers: Vec<&str> = at.schemas.iter().map(|n| n.pointer.as_str()).collect();
/// // `items` only points at the definition, so the definition is what is listed.
/// assert_eq!(pointers, ["/$defs/tag"]);
/// ```
#[must_use]
pub fn locate(schema: &Value, text: &[u8]) -> Location {
    let (stack, expecting) = scan(text);
    let mut path = Vec::new();
    for (i, frame) in stack.iter().enumerate() {
        let innermost = i + 1 == stack.len();
        match frame {
            Frame::Object(Some(key))
                if !innermost
                    || matches!(
                        expecting,
                        Expecting::Value
                            | Expecting::StringText
                            | Expecting::Scalar
                            | Expecting::AfterValue
                    ) =>
            {
                path.push(Segment::Key(key.clone()));
            }
            Frame::Object(_) => {}
            Frame::Array(n) => {
                if innermost && expecting == Expecting::AfterValue {
                    // After an item: the array's own location.
                    continue;
                }
                path.push(Segment::Item(*n));
            }
        }
    }
    // After a member's value, the object: the next key is what comes.
    if expecting == Expecting::AfterValue {
        if let Some(Frame::Object(_)) = stack.last() {
            path.pop();
        }
    }
    let mut nodes = expand(schema, vec![String::new()]);
    let mut instance = String::new();
    for segment in &path {
        let children: Vec<String> = nodes.iter().flat_map(|p| child(schema, p, segment)).collect();
        nodes = expand(schema, children);
        instance.push('/');
        match segment {
            Segment::Key(k) => instance.push_str(&escape_ptr(k)),
            Segment::Item(n) => instance.push_str(&n.to_string()),
        }
    }
    let schemas = nodes
        .into_iter()
        .filter_map(|ptr| {
            let node = pointer(schema, &ptr)?;
            // A node that only points elsewhere says nothing of its own.
            if node.as_object().is_some_and(|m| m.len() == 1 && m.contains_key("$ref")) {
                return None;
            }
            Some(SchemaNode { summary: summary(node), pointer: ptr })
        })
        .collect();
    Location { instance, expecting, schemas }
}

/// `ptrs` with the nodes they reach through `$ref` and combinators, in order, deduplicated.
fn expand(schema: &Value, ptrs: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut queue = ptrs;
    queue.reverse();
    while let Some(ptr) = queue.pop() {
        if out.len() >= MAX_NODES {
            break;
        }
        if out.contains(&ptr) {
            continue;
        }
        let Some(node) = pointer(schema, &ptr) else { continue };
        out.push(ptr.clone());
        let Some(map) = node.as_object() else { continue };
        let mut more = Vec::new();
        if let Some(target) =
            map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#'))
        {
            if target.is_empty() || target.starts_with('/') {
                more.push(decode_fragment(target));
            }
        }
        for keyword in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = map.get(keyword) {
                more.extend((0..branches.len()).map(|i| format!("{ptr}/{keyword}/{i}")));
            }
        }
        for keyword in ["then", "else"] {
            if map.contains_key(keyword) {
                more.push(format!("{ptr}/{keyword}"));
            }
        }
        queue.extend(more.into_iter().rev());
    }
    out
}

/// Percent-decodes a URI fragment (pointers in `$ref` may be percent-encoded).
fn decode_fragment(fragment: &str) -> String {
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| fragment.to_owned())
}

/// The subschemas of the node at `ptr` that apply to its child `segment`.
fn child(schema: &Value, ptr: &str, segment: &Segment) -> Vec<String> {
    let Some(Value::Object(map)) = pointer(schema, ptr) else { return Vec::new() };
    let mut out = Vec::new();
    match segment {
        Segment::Key(key) => {
            if map.get("properties").and_then(|p| p.get(key)).is_some() {
                out.push(format!("{ptr}/properties/{}", escape_ptr(key)));
            }
            if let Some(Value::Object(patterns)) = map.get("patternProperties") {
                out.extend(
                    patterns.keys().map(|p| format!("{ptr}/patternProperties/{}", escape_ptr(p))),
                );
            }
            if out.is_empty() && map.contains_key("additionalProperties") {
                out.push(format!("{ptr}/additionalProperties"));
            }
        }
        Segment::Item(n) => {
            let tuple = match (map.get("prefixItems"), map.get("items")) {
                (Some(Value::Array(items)), _) => Some(("prefixItems", items.len(), "items")),
                (None, Some(Value::Array(items))) => {
                    Some(("items", items.len(), "additionalItems"))
                }
                _ => None,
            };
            match tuple {
                Some((keyword, len, _)) if *n < len => out.push(format!("{ptr}/{keyword}/{n}")),
                Some((_, _, rest)) => {
                    if map.contains_key(rest) {
                        out.push(format!("{ptr}/{rest}"));
                    }
                }
                None => {
                    if map.contains_key("items") {
                        out.push(format!("{ptr}/items"));
                    }
                }
            }
        }
    }
    out
}

/// A node's keywords in one short line: compact JSON, `properties` by name, long values cut.
fn summary(node: &Value) -> String {
    let Value::Object(map) = node else { return node.to_string() };
    let mut parts = Vec::new();
    for (k, v) in map {
        let shown = match (k.as_str(), v) {
            ("properties" | "patternProperties" | "$defs" | "definitions", Value::Object(m)) => {
                format!("{{{}}}", m.keys().map(|k| format!("{k:?}")).collect::<Vec<_>>().join(", "))
            }
            ("allOf" | "anyOf" | "oneOf" | "prefixItems", Value::Array(a)) => {
                format!("[{} schemas]", a.len())
            }
            (
                "items" | "additionalProperties" | "not" | "if" | "then" | "else",
                Value::Object(_),
            ) => "{…}".to_owned(),
            _ => {
                let text = v.to_string();
                if text.chars().count() > 60 {
                    format!("{}…", text.chars().take(60).collect::<String>())
                } else {
                    text
                }
            }
        };
        parts.push(format!("{k:?}: {shown}"));
    }
    format!("{{{}}}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pointers(at: &Location) -> Vec<&str> {
        at.schemas.iter().map(|n| n.pointer.as_str()).collect()
    }

    #[test]
    fn positions_inside_objects() {
        let schema = json!({
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
            "additionalProperties": false
        });
        let at = locate(&schema, b"{");
        assert_eq!((at.instance.as_str(), at.expecting), ("", Expecting::Key));
        assert_eq!(pointers(&at), [""]);
        let at = locate(&schema, br#"{"a"#);
        assert_eq!((at.instance.as_str(), at.expecting), ("", Expecting::KeyText));
        let at = locate(&schema, br#"{"a": 1"#);
        assert_eq!((at.instance.as_str(), at.expecting), ("/a", Expecting::Scalar));
        assert_eq!(pointers(&at), ["/properties/a"]);
        let at = locate(&schema, br#"{"a": 1, "b": "x\"y"#);
        assert_eq!((at.instance.as_str(), at.expecting), ("/b", Expecting::StringText));
        assert_eq!(
            pointers(&at),
            ["/properties/b", "/properties/b/anyOf/0", "/properties/b/anyOf/1"]
        );
        let at = locate(&schema, br#"{"a": 1, "zz": "#);
        assert_eq!(pointers(&at), ["/additionalProperties"]);
        let at = locate(&schema, br#"{"a": 1}"#);
        assert_eq!((at.instance.as_str(), at.expecting), ("", Expecting::End));
        let at = locate(&schema, br#"{"a": 1 "#);
        assert_eq!((at.instance.as_str(), at.expecting), ("", Expecting::AfterValue));
    }

    #[test]
    fn tuples_refs_and_escaped_keys() {
        let schema = json!({
            "prefixItems": [{"type": "integer"}],
            "items": {"$ref": "#/definitions/a~1b"},
            "definitions": {"a/b": {"properties": {"k/x": {"const": 1}}}}
        });
        let at = locate(&schema, b"[1, ");
        assert_eq!(at.instance, "/1");
        assert_eq!(pointers(&at), ["/definitions/a~1b"]);
        let at = locate(&schema, b"[");
        assert_eq!(pointers(&at), ["/prefixItems/0"]);
        let at = locate(&schema, br#"[1, {"k/x": "#);
        assert_eq!(at.instance, "/1/k~1x");
        assert_eq!(pointers(&at), ["/definitions/a~1b/properties/k~1x"]);
        assert_eq!(at.schemas[0].summary, r#"{"const": 1}"#);
    }

    #[test]
    fn cycles_and_garbage_end() {
        let schema = json!({"$ref": "#", "items": {"$ref": "#"}});
        let at = locate(&schema, b"[[[[");
        assert_eq!(at.instance, "/0/0/0/0");
        assert_eq!(pointers(&at), [""]); // the pure-$ref item node is not listed
        let at = locate(&schema, b"]]}}\xff\"");
        assert!(at.instance.is_empty());
    }
}
