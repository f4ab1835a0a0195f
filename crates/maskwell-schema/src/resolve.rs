//! `$ref` resolution: base URIs from `$id`, `$anchor`s, JSON Pointers, and external
//! documents from the [`Registry`](crate::Registry) (never the network).
//!
//! Every document is walked once: its resources and anchors are indexed and every `$ref`
//! is rewritten to an absolute URI, so schemas can later be merged and moved around
//! without losing the base they were written against.

use std::collections::HashMap;

use serde_json::Value;

use crate::config::Registry;
use crate::error::{Error, ErrorKind};

/// Where a schema lives: document index and JSON Pointer inside it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Loc {
    pub doc: usize,
    pub ptr: String,
}

#[derive(Debug)]
pub(crate) struct Resolver<'r> {
    docs: Vec<Value>,
    resources: HashMap<String, Loc>,
    anchors: HashMap<String, Loc>,
    registry: &'r Registry,
    /// Draft 7 and earlier: `$id` next to `$ref` is ignored.
    legacy: bool,
}

/// Keywords whose value is one subschema.
const SINGLE: &[&str] = &[
    "additionalProperties",
    "additionalItems",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
    "items",
];
/// Keywords whose value is an array of subschemas.
const ARRAY: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems", "items"];
/// Keywords whose value is a map of subschemas.
const MAP: &[&str] = &[
    "properties",
    "patternProperties",
    "definitions",
    "$defs",
    "dependentSchemas",
    "dependencies",
];
/// Keywords whose value is data, never a schema.
const DATA: &[&str] = &["enum", "const", "default", "examples", "example", "required"];

pub(crate) fn escape_ptr(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn has_scheme(s: &str) -> bool {
    let mut it = s.char_indices();
    match it.next() {
        Some((_, c)) if c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    for (_, c) in it {
        if c == ':' {
            return true;
        }
        if !(c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.') {
            return false;
        }
    }
    false
}

fn remove_dots(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segs: Vec<&str> = path.split('/').collect();
    for (i, seg) in segs.iter().enumerate() {
        match *seg {
            "." => {
                if i == segs.len() - 1 {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if i == segs.len() - 1 {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    out.join("/")
}

/// RFC 3986 reference resolution (simplified: enough for JSON Schema documents).
pub(crate) fn join(base: &str, r: &str) -> String {
    if has_scheme(r) {
        return r.to_string();
    }
    let base_nf = base.split('#').next().unwrap_or("");
    if r.is_empty() {
        return base_nf.to_string();
    }
    if r.starts_with('#') {
        return format!("{base_nf}{r}");
    }
    let (scheme, rest) = match base_nf.find("://") {
        Some(i) => (&base_nf[..i + 3], &base_nf[i + 3..]),
        None => match base_nf.find(':') {
            Some(i) if has_scheme(base_nf) => (&base_nf[..=i], &base_nf[i + 1..]),
            _ => ("", base_nf),
        },
    };
    if let Some(r2) = r.strip_prefix("//") {
        let s = scheme.trim_end_matches("//");
        return format!("{s}//{r2}");
    }
    let (authority, path) = if scheme.ends_with("://") {
        match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        }
    } else {
        ("", rest)
    };
    let (r_path, r_tail) = match r.find(['?', '#']) {
        Some(i) => (&r[..i], &r[i..]),
        None => (r, ""),
    };
    let new_path = if r_path.starts_with('/') {
        remove_dots(r_path)
    } else {
        let path = path.split('?').next().unwrap_or("");
        let dir = match path.rfind('/') {
            Some(i) => &path[..=i],
            None => {
                if authority.is_empty() {
                    ""
                } else {
                    "/"
                }
            }
        };
        let joined = format!("{dir}{r_path}");
        if joined.contains("/.") {
            remove_dots(&joined)
        } else {
            joined
        }
    };
    format!("{scheme}{authority}{new_path}{r_tail}")
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Some(Ok(v)) = s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// Navigates a JSON Pointer.
pub(crate) fn pointer<'v>(v: &'v Value, ptr: &str) -> Option<&'v Value> {
    if ptr.is_empty() {
        return Some(v);
    }
    let mut cur = v;
    for tok in ptr.strip_prefix('/')?.split('/') {
        let tok = tok.replace("~1", "/").replace("~0", "~");
        cur = match cur {
            Value::Object(m) => m.get(&tok)?,
            Value::Array(a) => a.get(tok.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

impl<'r> Resolver<'r> {
    pub(crate) fn new(root: &Value, registry: &'r Registry) -> Resolver<'r> {
        let mut r = Resolver {
            docs: Vec::new(),
            resources: HashMap::new(),
            anchors: HashMap::new(),
            registry,
            legacy: false,
        };
        let legacy = root.get("$schema").and_then(Value::as_str).is_some_and(|s| {
            s.contains("draft-07")
                || s.contains("draft-06")
                || s.contains("draft-04")
                || s.contains("draft-03")
        });
        r.legacy = legacy;
        r.add_document(root.clone(), "");
        r
    }

    pub(crate) fn root(&self) -> &Value {
        &self.docs[0]
    }

    pub(crate) fn get(&self, loc: &Loc) -> Option<&Value> {
        pointer(self.docs.get(loc.doc)?, &loc.ptr)
    }

    fn add_document(&mut self, mut doc: Value, uri: &str) -> usize {
        let idx = self.docs.len();
        self.resources.entry(uri.to_string()).or_insert(Loc { doc: idx, ptr: String::new() });
        let mut resources = Vec::new();
        let mut anchors = Vec::new();
        let mut w = Walk { resources: &mut resources, anchors: &mut anchors, legacy: self.legacy };
        w.walk(&mut doc, uri, "", 0, true);
        for (u, p) in resources {
            self.resources.entry(u).or_insert(Loc { doc: idx, ptr: p });
        }
        for (u, p) in anchors {
            self.anchors.entry(u).or_insert(Loc { doc: idx, ptr: p });
        }
        self.docs.push(doc);
        idx
    }

    /// Resolves an absolute reference (already joined with its base).
    pub(crate) fn resolve(&mut self, reference: &str, at: &str) -> Result<Loc, Error> {
        let (base, frag) = match reference.split_once('#') {
            Some((b, f)) => (b, percent_decode(f)),
            None => (reference, String::new()),
        };
        let unresolvable = || {
            Error::new(
                ErrorKind::UnresolvableRef { reference: reference.to_string() },
                at,
                Some("$ref"),
            )
        };
        if !self.resources.contains_key(base) {
            self.load(base, at)?;
        }
        let res = self.resources.get(base).cloned().ok_or_else(unresolvable)?;
        let loc = if frag.is_empty() {
            res
        } else if frag.starts_with('/') {
            Loc { doc: res.doc, ptr: format!("{}{}", res.ptr, frag) }
        } else {
            self.anchors.get(&format!("{base}#{frag}")).cloned().ok_or_else(unresolvable)?
        };
        if self.get(&loc).is_none() {
            return Err(unresolvable());
        }
        Ok(loc)
    }

    fn load(&mut self, uri: &str, at: &str) -> Result<(), Error> {
        let unresolvable = || {
            Error::new(ErrorKind::UnresolvableRef { reference: uri.to_string() }, at, Some("$ref"))
        };
        if let Some(doc) = self.registry.document(uri) {
            let doc = doc.clone();
            self.add_document(doc, uri);
            return Ok(());
        }
        for dir in self.registry.directories() {
            if let Some(rest) = uri.strip_prefix(dir.base.as_str()) {
                if rest.split('/').any(|s| s == "..") {
                    return Err(unresolvable());
                }
                let path = dir.path.join(rest);
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    Error::new(ErrorKind::Io { path: path.display().to_string() }, at, Some("$ref"))
                        .with_source(e)
                })?;
                let doc: Value = serde_json::from_str(&text).map_err(|e| {
                    Error::new(ErrorKind::Json { reason: e.to_string() }, at, Some("$ref"))
                        .with_source(e)
                })?;
                self.add_document(doc, uri);
                return Ok(());
            }
        }
        Err(unresolvable())
    }
}

struct Walk<'a> {
    resources: &'a mut Vec<(String, String)>,
    anchors: &'a mut Vec<(String, String)>,
    legacy: bool,
}

impl Walk<'_> {
    /// `known`: this object is at a schema position (identifiers count); otherwise it sits
    /// under an unknown keyword, where only `$ref`s are rewritten.
    fn walk(&mut self, v: &mut Value, base: &str, ptr: &str, depth: usize, known: bool) {
        if depth > 512 {
            return;
        }
        let Value::Object(m) = v else { return };
        let mut base = base.to_string();
        let id = m.get("$id").or_else(|| m.get("id")).and_then(Value::as_str).map(str::to_string);
        let ref_blocks_id = self.legacy && m.contains_key("$ref");
        if let Some(id) = id.filter(|_| known && !ref_blocks_id) {
            if let Some(anchor) = id.strip_prefix('#') {
                let b = base.split('#').next().unwrap_or("");
                self.anchors.push((format!("{b}#{anchor}"), ptr.into()));
            } else {
                base = join(&base, &id);
                let nf = base.split('#').next().unwrap_or("").to_string();
                self.resources.push((nf.clone(), ptr.to_string()));
                base = nf;
            }
        }
        if known {
            for key in ["$anchor", "$dynamicAnchor"] {
                if let Some(a) = m.get(key).and_then(Value::as_str) {
                    self.anchors.push((format!("{base}#{a}"), ptr.to_string()));
                }
            }
        }
        if let Some(Value::String(r)) = m.get_mut("$ref") {
            *r = join(&base, r);
        }
        for (k, child) in m.iter_mut() {
            if DATA.contains(&k.as_str()) || k == "$ref" {
                continue;
            }
            let cptr = format!("{ptr}/{}", escape_ptr(k));
            let is_map = MAP.contains(&k.as_str());
            let is_known =
                known && (is_map || SINGLE.contains(&k.as_str()) || ARRAY.contains(&k.as_str()));
            match child {
                Value::Object(cm) if is_map && known => {
                    for (name, s) in cm.iter_mut() {
                        let p = format!("{cptr}/{}", escape_ptr(name));
                        self.walk(s, &base, &p, depth + 1, true);
                    }
                }
                Value::Object(_) => self.walk(child, &base, &cptr, depth + 1, is_known),
                Value::Array(a) => {
                    for (i, s) in a.iter_mut().enumerate() {
                        if s.is_object() {
                            self.walk(s, &base, &format!("{cptr}/{i}"), depth + 1, is_known);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins() {
        assert_eq!(join("", "#/a"), "#/a");
        assert_eq!(join("http://x.com/a/b.json", "c.json"), "http://x.com/a/c.json");
        assert_eq!(join("http://x.com/a/b.json", "#foo"), "http://x.com/a/b.json#foo");
        assert_eq!(join("http://x.com/a/b.json", "/c.json"), "http://x.com/c.json");
        assert_eq!(join("http://x.com/a/b.json", "../c.json"), "http://x.com/c.json");
        assert_eq!(join("http://x.com", "c.json"), "http://x.com/c.json");
        assert_eq!(join("urn:uuid:1234", "#/a"), "urn:uuid:1234#/a");
        assert_eq!(join("", "other.json#/a"), "other.json#/a");
    }
}
