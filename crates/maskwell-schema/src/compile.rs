//! The schema → regex translation.
//!
//! Each schema node goes through three steps:
//!
//! 1. **expand**: normalize keyword spellings across drafts, resolve `$ref` (merging its
//!    siblings) and flatten `allOf` by merging the subschemas keyword by keyword. Merging
//!    is an intersection; where two constraints cannot be intersected exactly, it fails.
//! 2. **combinators**: `anyOf` and `oneOf` distribute over the rest of the node (each branch
//!    is merged with it), `oneOf` only when its branches are provably disjoint, `if` becomes
//!    the union of `if ∧ then` and the parts of `¬if ∧ else` that can be written down, and
//!    `not` is applied where its complement is expressible.
//! 3. **emit**: per allowed type, a regex for the node's constraints.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::config::{Config, UnknownFormat};
use crate::ecma::{self, Node};
use crate::error::{Error, ErrorKind, Warning, WarningKind};
use crate::json::{python_float, python_string, Ws};
use crate::number::{self, Dec, SInt};
use crate::re::{self, Lang};
use crate::resolve::{escape_ptr, Loc, Resolver};

mod check;
mod derive;
mod fit;

use ecma::split_anchors;
#[cfg(test)]
use fit::len_range;
use fit::{fit_length, intersect_simple};

type Obj = Map<String, Value>;

const TYPES: [&str; 7] = ["null", "boolean", "object", "array", "string", "number", "integer"];

/// Keywords that carry validation semantics and that this compiler reads.
const KNOWN: &[&str] = &[
    "type",
    "enum",
    "const",
    "nullable",
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "dependencies",
    "items",
    "prefixItems",
    "additionalItems",
    "minItems",
    "maxItems",
    "contains",
    "minContains",
    "maxContains",
    "uniqueItems",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "$ref",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
    "$dynamicRef",
    "$recursiveRef",
    "contentMediaType",
    "contentEncoding",
    "contentSchema",
];

const OBJECT_KW: &[&str] = &[
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
];
const ARRAY_KW: &[&str] = &[
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "contains",
    "minContains",
    "maxContains",
    "uniqueItems",
    "unevaluatedItems",
];
/// At most this many narrowed alternatives for one `oneOf` branch (see `Ctx::exclude`).
const MAX_ONE_OF_ALTERNATIVES: usize = 64;

const STRING_KW: &[&str] = &["minLength", "maxLength", "pattern"];
const NUMBER_KW: &[&str] =
    &["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];

/// A set of JSON types; `integer` is kept apart from `number` (`number` includes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Types(u8);

impl Types {
    const ALL: Types = Types(0b111_1111);
    fn bit(t: &str) -> Option<u8> {
        TYPES.iter().position(|x| *x == t).map(|i| 1 << i)
    }
    fn has(self, t: &str) -> bool {
        Types::bit(t).is_some_and(|b| self.0 & b != 0)
    }
    /// Normalized: `number` implies `integer`.
    fn norm(self) -> Types {
        let n = Types::bit("number").unwrap_or(0);
        let i = Types::bit("integer").unwrap_or(0);
        if self.0 & n != 0 {
            Types(self.0 | i)
        } else {
            self
        }
    }
    fn and(self, o: Types) -> Types {
        Types(self.norm().0 & o.norm().0)
    }
    fn is_empty(self) -> bool {
        self.0 == 0
    }
    fn to_value(self) -> Value {
        let mut v = Vec::new();
        for t in TYPES {
            if self.has(t) {
                if t == "integer" && self.has("number") {
                    continue;
                }
                v.push(Value::String(t.into()));
            }
        }
        Value::Array(v)
    }
    /// Whether a value of these types could be `v`: the value's own types are exact (a
    /// number with a fraction is no integer), only this set is normalized.
    fn admits(self, v: &Value) -> bool {
        Types::of_value(v).0 & self.norm().0 != 0
    }
    fn of_value(v: &Value) -> Types {
        Types(match v {
            Value::Null => 1,
            Value::Bool(_) => 2,
            Value::Object(_) => 4,
            Value::Array(_) => 8,
            Value::String(_) => 16,
            Value::Number(n) => {
                if is_integral(n) {
                    32 | 64
                } else {
                    32
                }
            }
        })
    }
}

/// `n` written as an integer, when it is one (a float only while it is exact, below 1e16).
fn integer_digits(n: &serde_json::Number) -> Option<String> {
    if n.is_i64() || n.is_u64() {
        return Some(n.to_string());
    }
    n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e16).map(|f| (f as i64).to_string())
}

fn is_integral(n: &serde_json::Number) -> bool {
    n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.is_finite())
}

/// JSON equality as validators define it (numbers by value).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (Dec::from_number(x), Dec::from_number(y)) {
            (Some(p), Some(q)) => p == q,
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Whether values outside the enum `vals` can be written within `base` (of types `bt`):
/// scalars only (the emitter excludes literals), and not strings under a pattern, format or
/// length (excluding literals there needs a string difference the compiler does not write).
fn excludable_enum(base: &Obj, bt: Types, vals: &[Value]) -> bool {
    let scalars = vals.iter().all(|v| !v.is_array() && !v.is_object());
    let constrained_string = bt.has("string")
        && vals.iter().any(Value::is_string)
        && ["pattern", "$patterns", "format", "minLength", "maxLength"]
            .iter()
            .any(|k| base.contains_key(*k));
    scalars && !constrained_string && !vals.is_empty()
}

fn ptr_join(p: &str, k: &str) -> String {
    format!("{p}/{}", escape_ptr(k))
}

fn false_obj() -> Obj {
    let mut m = Obj::new();
    m.insert("type".into(), Value::Array(vec![]));
    m
}

fn is_false_obj(m: &Obj) -> bool {
    matches!(m.get("type"), Some(Value::Array(a)) if a.is_empty())
}

fn all_of(items: Vec<Value>) -> Value {
    let items: Vec<Value> = items.into_iter().filter(|v| *v != Value::Bool(true)).collect();
    match items.len() {
        0 => Value::Bool(true),
        1 => items.into_iter().next().unwrap_or(Value::Bool(true)),
        _ => {
            let mut m = Obj::new();
            m.insert("allOf".into(), Value::Array(items));
            Value::Object(m)
        }
    }
}

fn as_u64(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        v.as_f64().filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f < 1e19).map(|f| f as u64)
    })
}

pub(crate) struct Ctx<'c, 'r> {
    cfg: &'c Config,
    res: Resolver<'r>,
    ws: Ws,
    pub warnings: Vec<Warning>,
    warned: HashSet<(String, String, String)>,
    ref_stack: Vec<Loc>,
    pub rec_depth: usize,
    pub recursion_bounded: bool,
    /// Whether an object was opened only by [`Config::additional_properties`] (the schema
    /// says nothing), so that closing objects may make a failed compile succeed.
    pub opened_by_default: bool,
    nesting: usize,
    alternatives: usize,
    any_cache: HashMap<(usize, usize), String>,
    /// Disjointness of string languages, for `oneOf`.
    overlaps: crate::overlap::Overlaps,
    /// `pattern`s as regexes over the decoded value, for `oneOf` (a recursive schema asks
    /// about the same branches at every level of its unrolling): `None` when a pattern
    /// does not translate.
    value_regexes: HashMap<String, Option<String>>,
    /// Which pairs of `oneOf` branches are proven disjoint, keyed by the `$ref` they are
    /// resolved under and the two branches (as JSON): a recursive schema's `oneOf` is
    /// compiled again at every level of its unrolling.
    disjoint_pairs: HashMap<PairKey, bool>,
}

/// A `oneOf` pair as [`Ctx`] caches its disjointness: the `$ref` it is resolved under
/// (document and pointer) and the two branches as JSON.
type PairKey = (Option<(usize, String)>, String, String);

impl<'c, 'r> Ctx<'c, 'r> {
    pub(crate) fn new(cfg: &'c Config, root: &Value, rec_depth: usize) -> Ctx<'c, 'c>
    where
        'c: 'r,
    {
        Ctx {
            cfg,
            res: Resolver::new(root, cfg.get_registry()),
            ws: Ws(cfg.get_whitespace()),
            warnings: Vec::new(),
            warned: HashSet::new(),
            ref_stack: Vec::new(),
            rec_depth,
            recursion_bounded: false,
            opened_by_default: false,
            nesting: 0,
            alternatives: 0,
            any_cache: HashMap::new(),
            overlaps: crate::overlap::Overlaps::default(),
            value_regexes: HashMap::new(),
            disjoint_pairs: HashMap::new(),
        }
    }

    /// Compiles the root document.
    pub(crate) fn compile_root(&mut self) -> Result<String, Error> {
        let root = self.res.root().clone();
        let body = self.value(&root, "", 0)?;
        let Some(body) = body else {
            return Err(Error::unsat("", "no instance satisfies the schema as compiled"));
        };
        let o = self.ws.outer();
        let out = format!("{o}{body}{o}");
        self.check_len(&out, "")?;
        Ok(out)
    }

    fn warn(&mut self, kind: WarningKind, ptr: &str, keyword: &str, message: impl Into<String>) {
        let message = message.into();
        if self.warned.insert((ptr.to_string(), keyword.to_string(), message.clone())) {
            self.warnings.push(Warning {
                kind,
                pointer: ptr.into(),
                keyword: keyword.into(),
                message,
            });
        }
    }

    /// An unsupported construct: an error, or an `Ignored` warning in lenient mode.
    fn unsupported(&mut self, ptr: &str, keyword: &str, reason: &str) -> Result<(), Error> {
        if self.cfg.get_lenient() {
            self.warn(WarningKind::Ignored, ptr, keyword, reason.to_string());
            Ok(())
        } else {
            Err(Error::unsupported(ptr, keyword, reason))
        }
    }

    fn check_len(&self, s: &str, ptr: &str) -> Result<(), Error> {
        self.check_sum(s.len(), ptr)
    }

    /// [`Ctx::check_len`] for `len` bytes, also of parts not joined yet that the result at
    /// `ptr` will hold: past the limit, the attempt fails before the rest is compiled and
    /// concatenated (the error then gives the length so far).
    fn check_sum(&self, len: usize, ptr: &str) -> Result<(), Error> {
        let max = self.cfg.get_max_regex_len();
        if len > max {
            return Err(Error::limit(ptr, "max_regex_len", max, len));
        }
        Ok(())
    }

    /// Adds a branch of a union at `ptr` to `out`, unless an equal one is there already (as
    /// [`re::alt`] would drop it), and fails once the distinct branches add up past
    /// `max_regex_len` (`len`: their length so far).
    fn add_branch(
        &self,
        out: &mut Vec<Lang>,
        len: &mut usize,
        branch: Lang,
        ptr: &str,
    ) -> Result<(), Error> {
        if !out.contains(&branch) {
            *len += branch.as_ref().map_or(0, String::len);
            self.check_sum(*len, ptr)?;
            out.push(branch);
        }
        Ok(())
    }

    fn count_alternatives(&mut self, n: usize, ptr: &str) -> Result<(), Error> {
        self.alternatives += n;
        let max = self.cfg.get_max_alternatives();
        if self.alternatives > max {
            return Err(Error::limit(ptr, "max_alternatives", max, self.alternatives));
        }
        Ok(())
    }

    fn pop(&mut self, n: usize) {
        for _ in 0..n {
            self.ref_stack.pop();
        }
    }

    // -----------------------------------------------------------------------------------
    // Entry points for subschemas.

    /// Compiles a subschema value at JSON nesting `depth`.
    fn value(&mut self, v: &Value, ptr: &str, depth: usize) -> Result<Lang, Error> {
        self.nesting += 1;
        let limit = self.cfg.get_max_nesting_depth();
        if self.nesting > limit {
            self.nesting -= 1;
            return Err(Error::new(ErrorKind::TooDeep { limit }, ptr, None));
        }
        let r = self.value_inner(v, ptr, depth);
        self.nesting -= 1;
        let r = r?;
        if let Some(s) = &r {
            self.check_len(s, ptr)?;
        }
        Ok(r)
    }

    fn value_inner(&mut self, v: &Value, ptr: &str, depth: usize) -> Result<Lang, Error> {
        match v {
            Value::Bool(true) => Ok(Some(self.any(depth, self.cfg.get_any_value_depth()))),
            Value::Bool(false) => Ok(None),
            Value::Object(m) => {
                let (e, pushed) = self.expand(m, ptr)?;
                let r = self.map(e, ptr, depth);
                self.pop(pushed);
                r
            }
            _ => Err(Error::invalid(ptr, None, "a schema must be an object or a boolean")),
        }
    }

    /// Expands a subschema value to a map (see [`Ctx::expand`]).
    fn expand_value(&mut self, v: &Value, ptr: &str) -> Result<(Obj, usize), Error> {
        match v {
            Value::Bool(true) => Ok((Obj::new(), 0)),
            Value::Bool(false) => Ok((false_obj(), 0)),
            Value::Object(m) => self.expand(m, ptr),
            _ => Err(Error::invalid(ptr, None, "a schema must be an object or a boolean")),
        }
    }

    // -----------------------------------------------------------------------------------
    // Step 1: normalize, resolve, flatten allOf.

    fn normalize(&mut self, m: &Obj, ptr: &str) -> Result<Obj, Error> {
        let mut out = Obj::new();
        for (k, v) in m {
            if KNOWN.contains(&k.as_str()) {
                out.insert(k.clone(), v.clone());
            }
        }
        // type
        if let Some(t) = out.get("type") {
            let names: Vec<&Value> = match t {
                Value::String(_) => vec![t],
                Value::Array(a) => a.iter().collect(),
                _ => return Err(Error::invalid(ptr, Some("type"), "must be a string or an array")),
            };
            let mut bits = 0u8;
            for n in names {
                match n.as_str() {
                    Some("any") => bits |= Types::ALL.0,
                    Some(s) => match Types::bit(s) {
                        Some(b) => bits |= b,
                        None => {
                            return Err(Error::invalid(
                                ptr,
                                Some("type"),
                                format!("unknown type {s:?}"),
                            ))
                        }
                    },
                    // draft 3 allowed schemas in `type`
                    None => {
                        return Err(Error::unsupported(
                            ptr,
                            "type",
                            "schemas inside `type` (draft 3)",
                        ))
                    }
                }
            }
            out.insert("type".into(), Types(bits).to_value());
        }
        if out.remove("nullable") == Some(Value::Bool(true)) {
            if let Some(Value::Array(a)) = out.get_mut("type") {
                if !a.is_empty() && !a.contains(&Value::String("null".into())) {
                    a.push(Value::String("null".into()));
                }
            }
            if let Some(Value::Array(e)) = out.get_mut("enum") {
                if !e.contains(&Value::Null) {
                    e.push(Value::Null);
                }
            }
        }
        // const -> enum
        if let Some(c) = out.remove("const") {
            let e = match out.remove("enum") {
                Some(Value::Array(e)) => e.into_iter().filter(|x| json_eq(x, &c)).collect(),
                Some(_) => return Err(Error::invalid(ptr, Some("enum"), "must be an array")),
                None => vec![c],
            };
            out.insert("enum".into(), Value::Array(e));
        } else if let Some(e) = out.get("enum") {
            if !e.is_array() {
                return Err(Error::invalid(ptr, Some("enum"), "must be an array"));
            }
        }
        // draft 4 boolean exclusive bounds
        for (ex, inc) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
            match out.get(ex) {
                Some(Value::Bool(true)) => {
                    out.remove(ex);
                    if let Some(v) = out.remove(inc) {
                        out.insert(ex.into(), v);
                    }
                }
                Some(Value::Bool(false)) => {
                    out.remove(ex);
                }
                _ => {}
            }
        }
        for k in ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"] {
            if let Some(v) = out.get(k) {
                if !v.is_number() {
                    return Err(Error::invalid(ptr, Some(k), "must be a number"));
                }
            }
        }
        if let Some(v) = out.get("multipleOf") {
            if v.as_f64().is_none_or(|f| f <= 0.0) {
                return Err(Error::invalid(ptr, Some("multipleOf"), "must be greater than 0"));
            }
        }
        for k in [
            "minLength",
            "maxLength",
            "minItems",
            "maxItems",
            "minProperties",
            "maxProperties",
            "minContains",
            "maxContains",
        ] {
            if let Some(v) = out.get(k) {
                if as_u64(v).is_none() {
                    return Err(Error::invalid(ptr, Some(k), "must be a non-negative integer"));
                }
            }
        }
        // old tuple form
        if let Some(Value::Array(items)) = out.get("items").cloned() {
            out.insert("prefixItems".into(), Value::Array(items));
            match out.remove("additionalItems") {
                Some(ai) => {
                    out.insert("items".into(), ai);
                }
                None => {
                    out.remove("items");
                }
            }
        } else {
            out.remove("additionalItems");
        }
        // dependencies
        if let Some(deps) = out.remove("dependencies") {
            let Value::Object(deps) = deps else {
                return Err(Error::invalid(ptr, Some("dependencies"), "must be an object"));
            };
            for (k, v) in deps {
                let target = if v.is_array() { "dependentRequired" } else { "dependentSchemas" };
                let e = out.entry(target).or_insert_with(|| Value::Object(Obj::new()));
                if let Value::Object(e) = e {
                    e.insert(k, v);
                }
            }
        }
        if let Some(r) = out.get("required") {
            match r {
                Value::Array(a) if a.iter().all(Value::is_string) => {}
                // draft 3 `required: true` lives on the property; treat as no constraint
                Value::Bool(_) => {
                    out.remove("required");
                }
                _ => {
                    return Err(Error::invalid(
                        ptr,
                        Some("required"),
                        "must be an array of strings",
                    ))
                }
            }
        }
        if out.contains_key("if") && !out.contains_key("then") && !out.contains_key("else") {
            out.remove("if");
        }
        if !out.contains_key("if") {
            out.remove("then");
            out.remove("else");
        }
        for k in ["properties", "patternProperties", "dependentSchemas", "dependentRequired"] {
            if let Some(v) = out.get(k) {
                if !v.is_object() {
                    return Err(Error::invalid(ptr, Some(k), "must be an object"));
                }
            }
        }
        for k in ["allOf", "anyOf", "oneOf", "prefixItems"] {
            if let Some(v) = out.get(k) {
                if !v.is_array() {
                    return Err(Error::invalid(ptr, Some(k), "must be an array"));
                }
            }
        }
        Ok(out)
    }

    /// Normalizes a map, resolves its `$ref` and flattens its `allOf`. Returns the number of
    /// `$ref` targets pushed on the recursion stack (the caller pops them when done).
    fn expand(&mut self, m: &Obj, ptr: &str) -> Result<(Obj, usize), Error> {
        self.nesting += 1;
        let limit = self.cfg.get_max_nesting_depth();
        if self.nesting > limit {
            self.nesting -= 1;
            return Err(Error::new(ErrorKind::TooDeep { limit }, ptr, None));
        }
        let r = self.expand_inner(m, ptr);
        self.nesting -= 1;
        r
    }

    fn expand_inner(&mut self, m: &Obj, ptr: &str) -> Result<(Obj, usize), Error> {
        let mut out = self.normalize(m, ptr)?;
        let mut pushed = 0;
        if let Some(r) = out.remove("$ref") {
            let Some(r) = r.as_str() else {
                return Err(Error::invalid(ptr, Some("$ref"), "must be a string"));
            };
            let loc = self.res.resolve(r, ptr)?;
            let open = self.ref_stack.iter().filter(|l| **l == loc).count();
            if open >= self.rec_depth {
                self.recursion_bounded = true;
                self.warn(
                    WarningKind::Bounded,
                    ptr,
                    "$ref",
                    format!("recursion through {r:?} unrolled to depth {}", self.rec_depth),
                );
                return Ok((false_obj(), pushed));
            }
            self.ref_stack.push(loc.clone());
            pushed += 1;
            let target = self.res.get(&loc).cloned().unwrap_or(Value::Bool(true));
            let (t, p) = match self.expand_value(&target, &loc.ptr) {
                Ok(x) => x,
                Err(e) => {
                    self.pop(pushed);
                    return Err(e);
                }
            };
            pushed += p;
            out = match check_unevaluated_merge(&t, &out, ptr)
                .and_then(|()| self.merge(t, out, ptr))
            {
                Ok(x) => x,
                Err(e) => {
                    self.pop(pushed);
                    return Err(e);
                }
            };
        }
        for k in ["$dynamicRef", "$recursiveRef"] {
            if out.contains_key(k) {
                out.remove(k);
                if let Err(e) = self.unsupported(ptr, k, "dynamic references are not supported") {
                    self.pop(pushed);
                    return Err(e);
                }
            }
        }
        if let Some(Value::Array(all)) = out.remove("allOf") {
            for (i, item) in all.iter().enumerate() {
                let p = format!("{ptr}/allOf/{i}");
                let r = self.expand_value(item, &p).and_then(|(e, n)| {
                    pushed += n;
                    let cur = std::mem::take(&mut out);
                    check_unevaluated_merge(&cur, &e, &p)?;
                    self.merge(cur, e, &p)
                });
                match r {
                    Ok(x) => out = x,
                    Err(e) => {
                        self.pop(pushed);
                        return Err(e);
                    }
                }
            }
        }
        convert_unevaluated(&mut out);
        Ok((out, pushed))
    }

    /// Intersection of two expanded maps.
    fn merge(&mut self, mut a: Obj, b: Obj, ptr: &str) -> Result<Obj, Error> {
        if is_false_obj(&a) || is_false_obj(&b) {
            return Ok(false_obj());
        }
        if a.is_empty() {
            return Ok(b);
        }
        if b.is_empty() {
            return Ok(a);
        }
        // Objects first: the meaning of additionalProperties depends on both sides.
        let obj_keys = ["properties", "patternProperties", "additionalProperties"];
        if obj_keys.iter().any(|k| b.contains_key(*k)) {
            self.merge_objects(&mut a, &b);
        }
        if b.contains_key("prefixItems") || b.contains_key("items") {
            merge_arrays(&mut a, &b);
        }
        for (k, vb) in b {
            if obj_keys.contains(&k.as_str()) || k == "prefixItems" || k == "items" {
                continue;
            }
            let Some(va) = a.get(&k).cloned() else {
                a.insert(k, vb);
                continue;
            };
            let merged: Value = match k.as_str() {
                "type" => {
                    let ta = types_of(&va);
                    let tb = types_of(&vb);
                    ta.and(tb).to_value()
                }
                "enum" => Value::Array(
                    va.as_array()
                        .map(|x| {
                            x.iter()
                                .filter(|v| {
                                    vb.as_array().is_some_and(|y| y.iter().any(|w| json_eq(v, w)))
                                })
                                .cloned()
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
                "minimum" | "exclusiveMinimum" => pick_num(&va, &vb, true),
                "maximum" | "exclusiveMaximum" => pick_num(&va, &vb, false),
                "minLength" | "minItems" | "minProperties" | "minContains" => {
                    Value::from(as_u64(&va).max(as_u64(&vb)))
                }
                "maxLength" | "maxItems" | "maxProperties" | "maxContains" => {
                    Value::from(as_u64(&va).min(as_u64(&vb)))
                }
                "required" => {
                    let mut r = va.as_array().cloned().unwrap_or_default();
                    for x in vb.as_array().into_iter().flatten() {
                        if !r.contains(x) {
                            r.push(x.clone());
                        }
                    }
                    Value::Array(r)
                }
                "uniqueItems" => Value::Bool(va == Value::Bool(true) || vb == Value::Bool(true)),
                "propertyNames" | "contains" | "unevaluatedProperties" | "unevaluatedItems" => {
                    if va == vb {
                        va
                    } else if k == "propertyNames" {
                        all_of(vec![va, vb])
                    } else {
                        return Err(Error::unsupported(
                            ptr,
                            &k,
                            "cannot intersect two different values",
                        ));
                    }
                }
                "pattern" | "format" => {
                    if va == vb {
                        va
                    } else if k == "pattern" {
                        // Keep both: the string emitter intersects what it can.
                        let mut extra = a
                            .get("$patterns")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        extra.push(vb.clone());
                        a.insert("$patterns".into(), Value::Array(extra));
                        va
                    } else {
                        return Err(Error::unsupported(
                            ptr,
                            &k,
                            "cannot intersect two different formats",
                        ));
                    }
                }
                "$patterns" | "$notEnum" => {
                    let mut x = va.as_array().cloned().unwrap_or_default();
                    x.extend(vb.as_array().cloned().unwrap_or_default());
                    Value::Array(x)
                }
                "multipleOf" => {
                    if json_eq(&va, &vb) {
                        va
                    } else if let (Some(x), Some(y)) = (va.as_u64(), vb.as_u64()) {
                        Value::from(lcm(x, y))
                    } else {
                        return Err(Error::unsupported(
                            ptr,
                            "multipleOf",
                            "cannot intersect two different non-integer values",
                        ));
                    }
                }
                "dependentRequired" => {
                    let mut x = va.as_object().cloned().unwrap_or_default();
                    for (dk, dv) in vb.as_object().cloned().unwrap_or_default() {
                        let e = x.entry(dk).or_insert_with(|| Value::Array(vec![]));
                        if let (Value::Array(e), Value::Array(n)) = (e, dv) {
                            for s in n {
                                if !e.contains(&s) {
                                    e.push(s);
                                }
                            }
                        }
                    }
                    Value::Object(x)
                }
                "dependentSchemas" => {
                    let mut x = va.as_object().cloned().unwrap_or_default();
                    for (dk, dv) in vb.as_object().cloned().unwrap_or_default() {
                        let nv = match x.remove(&dk) {
                            Some(old) => all_of(vec![old, dv]),
                            None => dv,
                        };
                        x.insert(dk, nv);
                    }
                    Value::Object(x)
                }
                "anyOf" | "oneOf" => {
                    let xa = va.as_array().cloned().unwrap_or_default();
                    let xb = vb.as_array().cloned().unwrap_or_default();
                    self.count_alternatives(xa.len() * xb.len(), ptr)?;
                    let mut v = Vec::new();
                    for x in &xa {
                        for y in &xb {
                            v.push(all_of(vec![x.clone(), y.clone()]));
                        }
                    }
                    Value::Array(v)
                }
                "not" => {
                    let mut m = Obj::new();
                    m.insert("anyOf".into(), Value::Array(vec![va, vb]));
                    Value::Object(m)
                }
                "if" | "then" | "else" => {
                    if va == vb && a.get("if") == Some(&va).filter(|_| k == "if").or(a.get("if")) {
                        va
                    } else {
                        return Err(Error::unsupported(
                            ptr,
                            "if",
                            "cannot intersect two `if`/`then`/`else` groups",
                        ));
                    }
                }
                _ => va,
            };
            a.insert(k, merged);
        }
        if a.get("type").and_then(Value::as_array).is_some_and(Vec::is_empty) {
            return Ok(false_obj());
        }
        Ok(a)
    }

    fn merge_objects(&mut self, a: &mut Obj, b: &Obj) {
        let pa = a.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        let pb = b.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        let ppa =
            a.get("patternProperties").and_then(Value::as_object).cloned().unwrap_or_default();
        let ppb =
            b.get("patternProperties").and_then(Value::as_object).cloned().unwrap_or_default();
        let ada = a.get("additionalProperties").cloned();
        let adb = b.get("additionalProperties").cloned();
        // What side `x` (props, patterns, additional) says about a property `name` that it
        // does not declare: matching pattern schemas, else additionalProperties.
        let implied = |name: &str, pp: &Obj, ad: &Option<Value>| -> Value {
            let mut parts = Vec::new();
            let mut matched = false;
            for (pat, s) in pp {
                match ecma::parse(pat).ok().and_then(|n| ecma::search(&n, name)) {
                    Some(true) => {
                        matched = true;
                        parts.push(s.clone());
                    }
                    Some(false) => {}
                    None => parts.push(s.clone()),
                }
            }
            if !matched {
                if let Some(ad) = ad {
                    parts.push(ad.clone());
                }
            }
            all_of(parts)
        };
        let mut props = Obj::new();
        for (k, v) in &pa {
            let other = pb.get(k).cloned().unwrap_or_else(|| implied(k, &ppb, &adb));
            props.insert(k.clone(), all_of(vec![v.clone(), other]));
        }
        for (k, v) in &pb {
            if !pa.contains_key(k) {
                let other = implied(k, &ppa, &ada);
                props.insert(k.clone(), all_of(vec![other, v.clone()]));
            }
        }
        if !props.is_empty() {
            a.insert("properties".into(), Value::Object(props));
        }
        let mut pp = Obj::new();
        for (k, v) in &ppa {
            let mut parts = vec![v.clone()];
            if let Some(s) = ppb.get(k) {
                parts.push(s.clone());
            } else if let Some(ad) = &adb {
                parts.push(ad.clone());
            }
            pp.insert(k.clone(), all_of(parts));
        }
        for (k, v) in &ppb {
            if !ppa.contains_key(k) {
                let mut parts = vec![v.clone()];
                if let Some(ad) = &ada {
                    parts.push(ad.clone());
                }
                pp.insert(k.clone(), all_of(parts));
            }
        }
        if !pp.is_empty() {
            a.insert("patternProperties".into(), Value::Object(pp));
        }
        match (ada, adb) {
            (Some(x), Some(y)) => {
                a.insert("additionalProperties".into(), all_of(vec![x, y]));
            }
            (None, Some(y)) => {
                a.insert("additionalProperties".into(), y);
            }
            _ => {}
        }
    }

    // -----------------------------------------------------------------------------------
    // Step 2: combinators.

    fn map(&mut self, mut m: Obj, ptr: &str, depth: usize) -> Result<Lang, Error> {
        if is_false_obj(&m) {
            return Ok(None);
        }
        if let Some(Value::Array(branches)) = m.remove("anyOf") {
            self.count_alternatives(branches.len(), ptr)?;
            let (mut out, mut len) = (Vec::new(), 0);
            for (i, b) in branches.iter().enumerate() {
                let p = format!("{ptr}/anyOf/{i}");
                let (e, n) = self.expand_value(b, &p)?;
                let r = self.merge(m.clone(), e, &p).and_then(|mm| self.map(mm, &p, depth));
                self.pop(n);
                self.add_branch(&mut out, &mut len, r?, ptr)?;
            }
            return Ok(re::alt(out));
        }
        if let Some(Value::Array(branches)) = m.remove("oneOf") {
            return self.one_of(m, &branches, ptr, depth);
        }
        if let Some(cond) = m.remove("if") {
            let then = m.remove("then").unwrap_or(Value::Bool(true));
            let els = m.remove("else").unwrap_or(Value::Bool(true));
            return self.if_then_else(m, &cond, &then, &els, ptr, depth);
        }
        if let Some(n) = m.remove("not") {
            let mut alts = self.apply_not(m, &n, ptr)?;
            if alts.len() != 1 {
                self.count_alternatives(alts.len(), ptr)?;
                let mut out = Vec::new();
                for a in alts {
                    out.push(self.map(a, ptr, depth)?);
                }
                return Ok(re::alt(out));
            }
            let Some(narrowed) = alts.pop() else { return Ok(None) };
            m = narrowed;
            if m.contains_key("anyOf") || m.contains_key("oneOf") || m.contains_key("not") {
                return self.map(m, ptr, depth);
            }
        }
        self.emit(m, ptr, depth)
    }

    fn one_of(
        &mut self,
        base: Obj,
        branches: &[Value],
        ptr: &str,
        depth: usize,
    ) -> Result<Lang, Error> {
        self.count_alternatives(branches.len(), ptr)?;
        let mut maps = Vec::new();
        let mut pushed = 0;
        let result = (|| -> Result<Lang, Error> {
            for (i, b) in branches.iter().enumerate() {
                let p = format!("{ptr}/oneOf/{i}");
                let (e, n) = self.expand_value(b, &p)?;
                pushed += n;
                maps.push(self.merge(base.clone(), e, &p)?);
            }
            // Prove pairwise disjointness. Where it fails, narrow both branches so that what
            // each one generates fails the other one's original schema: first by forbidding
            // a property the other requires, else by the negations of the other (each
            // branch becomes a union of narrowed alternatives).
            let orig = maps.clone();
            let mut alts: Vec<Vec<Obj>> = maps.drain(..).map(|m| vec![m]).collect();
            let under = self.ref_stack.last().map(|l| (l.doc, l.ptr.clone()));
            let json: Vec<String> =
                orig.iter().map(|m| serde_json::to_string(m).unwrap_or_default()).collect();
            for i in 0..orig.len() {
                for j in (i + 1)..orig.len() {
                    if is_false_obj(&orig[i]) || is_false_obj(&orig[j]) {
                        continue;
                    }
                    let key = (under.clone(), json[i].clone(), json[j].clone());
                    let disjoint = match self.disjoint_pairs.get(&key) {
                        Some(&known) => known,
                        None => {
                            let known = self.disjoint(&orig[i], &orig[j]);
                            self.disjoint_pairs.insert(key, known);
                            known
                        }
                    };
                    if disjoint {
                        continue;
                    }
                    let ri: Option<Vec<Obj>> =
                        alts[i].iter().map(|a| refine_exclude(a, &orig[j])).collect();
                    let rj: Option<Vec<Obj>> =
                        alts[j].iter().map(|a| refine_exclude(a, &orig[i])).collect();
                    if let (Some(ri), Some(rj)) = (ri, rj) {
                        alts[i] = ri;
                        alts[j] = rj;
                        continue;
                    }
                    let (pi, pj) = (format!("{ptr}/oneOf/{i}"), format!("{ptr}/oneOf/{j}"));
                    let ni = self.exclude(&alts[i], &orig[j], &pi);
                    let nj = self.exclude(&alts[j], &orig[i], &pj);
                    if let (Some((ni, ei)), Some((nj, ej))) = (ni, nj) {
                        for (exact, p, other) in [(ei, &pi, j), (ej, &pj, i)] {
                            if !exact {
                                let what =
                                    format!("narrowed to instances that fail branch {other}");
                                self.warn_restricted(p, "oneOf", &what);
                            }
                        }
                        alts[i] = ni;
                        alts[j] = nj;
                        continue;
                    }
                    let reason = format!(
                        "branches {i} and {j} may overlap, so exactly-one cannot be guaranteed"
                    );
                    self.unsupported(ptr, "oneOf", &reason)?;
                }
            }
            let (mut out, mut len) = (Vec::new(), 0);
            for (i, branch) in alts.into_iter().enumerate() {
                let p = format!("{ptr}/oneOf/{i}");
                if branch.len() > 1 {
                    self.count_alternatives(branch.len(), &p)?;
                }
                for mm in branch {
                    let lang = self.map(mm, &p, depth)?;
                    self.add_branch(&mut out, &mut len, lang, ptr)?;
                }
            }
            Ok(re::alt(out))
        })();
        self.pop(pushed);
        result
    }

    /// `alts` narrowed to instances that fail `other`: each alternative merged with each
    /// of `other`'s negations, and whether that is all of them. `None` when some
    /// alternative has no negation to narrow it by, or when the union would grow past
    /// [`MAX_ONE_OF_ALTERNATIVES`].
    fn exclude(&mut self, alts: &[Obj], other: &Obj, ptr: &str) -> Option<(Vec<Obj>, bool)> {
        let mut out = Vec::new();
        let mut exact = true;
        for a in alts {
            let negs = self.negations(a, other);
            if negs.is_empty() {
                return None;
            }
            exact &= self.negation_is_exact(a, other, 0);
            for n in negs {
                // A negation that cannot be merged is left out: the branch only narrows.
                match self.merge(a.clone(), n, ptr) {
                    Ok(m) if !is_false_obj(&m) => out.push(m),
                    Ok(_) => {}
                    Err(_) => exact = false,
                }
                if out.len() > MAX_ONE_OF_ALTERNATIVES {
                    return None;
                }
            }
        }
        (!out.is_empty()).then_some((out, exact))
    }

    fn if_then_else(
        &mut self,
        base: Obj,
        cond: &Value,
        then: &Value,
        els: &Value,
        ptr: &str,
        depth: usize,
    ) -> Result<Lang, Error> {
        self.count_alternatives(2, ptr)?;
        let mut pushed = 0;
        let result = (|| -> Result<Lang, Error> {
            let (ci, n) = self.expand_value(cond, &format!("{ptr}/if"))?;
            pushed += n;
            let (ti, n) = self.expand_value(then, &format!("{ptr}/then"))?;
            pushed += n;
            let (ei, n) = self.expand_value(els, &format!("{ptr}/else"))?;
            pushed += n;
            let mut out = Vec::new();
            // if ∧ then
            let b1 = self.merge(base.clone(), ci.clone(), ptr)?;
            let b1 = self.merge(b1, ti, ptr)?;
            out.push(self.map(b1, ptr, depth)?);
            // ¬if ∧ else, where ¬if can be written down.
            if !self.negation_is_exact(&base, &ci, 0) && !is_false_obj(&ei) {
                self.warn_restricted(ptr, "else", "`else` applies where `if` fails,");
            }
            for neg in self.negations(&base, &ci) {
                let b2 = self.merge(base.clone(), neg, ptr)?;
                let b2 = self.merge(b2, ei.clone(), ptr)?;
                out.push(self.map(b2, ptr, depth)?);
            }
            Ok(re::alt(out))
        })();
        self.pop(pushed);
        result
    }

    /// Maps whose instances (within `base`) all fail `cond`. Their union need not cover
    /// all of `¬cond`: missing parts only make the regex smaller.
    fn negations(&mut self, base: &Obj, cond: &Obj) -> Vec<Obj> {
        self.negations_at(base, cond, 0)
    }

    /// Whether [`Ctx::negations`] of `cond` within `base` covers all of `¬cond`: every
    /// keyword of `cond` is one whose failures it writes down in full (types, required
    /// keys, numeric bounds, lengths and counts, scalar enums, properties whose schemas are
    /// exact in turn). Conservative: `false` where unsure, which only adds a warning.
    fn negation_is_exact(&mut self, base: &Obj, cond: &Obj, depth: usize) -> bool {
        if is_false_obj(cond) {
            return true;
        }
        let bt = base.get("type").map_or(Types::ALL, types_of);
        for (key, value) in cond {
            let exact = match key.as_str() {
                "type" => {
                    let ct = types_of(value);
                    !(ct.has("integer") && !ct.has("number") && bt.has("number"))
                }
                "required" | "minLength" | "maxLength" | "minItems" | "maxItems" => true,
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                    value.is_number()
                }
                "enum" => {
                    excludable_enum(base, bt, value.as_array().map_or(&[][..], Vec::as_slice))
                }
                "properties" if depth < 2 && !base.contains_key("unevaluatedProperties") => {
                    let Some(cp) = value.as_object() else { return false };
                    cp.clone().iter().all(|(name, cs)| {
                        let bs = base
                            .get("properties")
                            .and_then(|p| p.get(name))
                            .cloned()
                            .unwrap_or(Value::Bool(true));
                        match (self.expanded(&bs), self.expanded(cs)) {
                            (Some(bm), Some(cm)) => {
                                is_false_obj(&bm) || self.negation_is_exact(&bm, &cm, depth + 1)
                            }
                            _ => false,
                        }
                    })
                }
                _ => false,
            };
            if !exact {
                return false;
            }
        }
        true
    }

    /// Warns that `keyword` at `ptr` was compiled as a sound restriction: instances in the
    /// part of a complement that cannot be written down are not generated.
    fn warn_restricted(&mut self, ptr: &str, keyword: &str, what: &str) {
        self.warn(
            WarningKind::Bounded,
            ptr,
            keyword,
            format!(
                "{what} only where the failure can be written down (other types, a required \
                 key missing, a value outside an enum or beyond a bound, a property whose \
                 value fails); other instances are not generated"
            ),
        );
    }

    /// [`Ctx::negations`] at a nesting of property schemas (bounded: each level multiplies
    /// the alternatives).
    fn negations_at(&mut self, base: &Obj, cond: &Obj, depth: usize) -> Vec<Obj> {
        let mut out = Vec::new();
        if is_false_obj(cond) {
            out.push(Obj::new());
            return out;
        }
        // Other types than the condition's.
        if let Some(t) = cond.get("type") {
            let ct = types_of(t);
            let bt = base.get("type").map_or(Types::ALL, types_of);
            let rest = Types(bt.norm().0 & !ct.norm().0);
            // Integers are numbers: "not integer" over numbers is not expressible.
            let rest = if ct.has("integer") && !ct.has("number") {
                Types(rest.0 & !Types::bit("number").unwrap_or(0))
            } else {
                rest
            };
            if !rest.is_empty() {
                let mut m = Obj::new();
                m.insert("type".into(), rest.to_value());
                out.push(m);
            }
        }
        // An object missing one required property.
        if let Some(Value::Array(req)) = cond.get("required") {
            for r in req.iter().filter_map(Value::as_str) {
                let mut m = Obj::new();
                m.insert("type".into(), Value::Array(vec!["object".into()]));
                let mut p = Obj::new();
                p.insert(r.into(), Value::Bool(false));
                m.insert("properties".into(), Value::Object(p));
                out.push(m);
            }
        }
        // An object with a property the condition forbids (closed objects).
        if let Some(Value::Object(bp)) = base.get("properties") {
            for (name, bs) in bp {
                if *bs != Value::Bool(false) && forbids(cond, name) {
                    let mut m = Obj::new();
                    m.insert("type".into(), Value::Array(vec!["object".into()]));
                    m.insert("required".into(), Value::Array(vec![Value::String(name.clone())]));
                    out.push(m);
                }
            }
        }
        // A number beyond one of the condition's bounds.
        let numeric = Types::bit("number").unwrap_or(0) | Types::bit("integer").unwrap_or(0);
        let bt = base.get("type").map_or(Types::ALL, types_of);
        let nt = Types(bt.norm().0 & numeric);
        if !nt.is_empty() {
            for (bound, beyond) in [
                ("minimum", "exclusiveMaximum"),
                ("exclusiveMinimum", "maximum"),
                ("maximum", "exclusiveMinimum"),
                ("exclusiveMaximum", "minimum"),
            ] {
                if let Some(v) = cond.get(bound).filter(|v| v.is_number()) {
                    let mut m = Obj::new();
                    m.insert("type".into(), nt.to_value());
                    m.insert(beyond.into(), v.clone());
                    out.push(m);
                }
            }
        }
        // A value outside the condition's enum (scalars: the emitter excludes those).
        if let Some(Value::Array(vals)) = cond.get("enum") {
            if excludable_enum(base, bt, vals) {
                // As a keyword, not the emitter's `$notEnum`: it may land in a nested schema.
                let mut e = Obj::new();
                e.insert("enum".into(), Value::Array(vals.clone()));
                let mut m = Obj::new();
                m.insert("not".into(), Value::Object(e));
                out.push(m);
            }
        }
        // A string, an array shorter or longer than the condition allows.
        for (ty, min, max) in
            [("string", "minLength", "maxLength"), ("array", "minItems", "maxItems")]
        {
            if !bt.has(ty) {
                continue;
            }
            let with = |keyword: &str, n: u64| {
                let mut m = Obj::new();
                m.insert("type".into(), Value::Array(vec![ty.into()]));
                m.insert(keyword.into(), Value::from(n));
                m
            };
            if let Some(n) = cond.get(min).and_then(as_u64).filter(|n| *n > 0) {
                out.push(with(max, n - 1));
            }
            if let Some(n) = cond.get(max).and_then(as_u64) {
                out.push(with(min, n + 1));
            }
        }
        // An object with a property value that fails the condition's property schema. Not
        // next to `unevaluatedProperties`: the property would count as evaluated.
        if depth < 2 && !base.contains_key("unevaluatedProperties") {
            if let Some(Value::Object(cp)) = cond.get("properties") {
                for (name, cs) in cp.clone() {
                    let bs = base
                        .get("properties")
                        .and_then(|p| p.get(&name))
                        .cloned()
                        .unwrap_or(Value::Bool(true));
                    let (Some(bm), Some(cm)) = (self.expanded(&bs), self.expanded(&cs)) else {
                        continue;
                    };
                    if is_false_obj(&bm) {
                        continue;
                    }
                    for n in self.negations_at(&bm, &cm, depth + 1) {
                        let mut m = Obj::new();
                        m.insert("type".into(), Value::Array(vec!["object".into()]));
                        m.insert(
                            "required".into(),
                            Value::Array(vec![Value::String(name.clone())]),
                        );
                        let mut p = Obj::new();
                        p.insert(name.clone(), Value::Object(n));
                        m.insert("properties".into(), Value::Object(p));
                        out.push(m);
                    }
                }
            }
        }
        out
    }

    /// A subschema with its `$ref`s expanded; `true` is the empty map, `false` the false map.
    fn expanded(&mut self, v: &Value) -> Option<Obj> {
        match v {
            Value::Bool(true) => Some(Obj::new()),
            Value::Bool(false) => Some(false_obj()),
            Value::Object(m) => {
                let (e, n) = self.expand(m, "").ok()?;
                self.pop(n);
                Some(e)
            }
            _ => None,
        }
    }

    fn apply_not(&mut self, mut m: Obj, n: &Value, ptr: &str) -> Result<Vec<Obj>, Error> {
        let p = format!("{ptr}/not");
        let (nm, pushed) = self.expand_value(n, &p)?;
        self.pop(pushed);
        if is_false_obj(&nm) {
            return Ok(vec![m]);
        }
        if nm.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(Value::Array(bs)) = nm.get("anyOf") {
            if nm.len() == 1 {
                // Not any of them: none of them, one after the other.
                let mut alts = vec![m];
                for b in bs.clone() {
                    let mut next = Vec::new();
                    for a in alts {
                        next.extend(self.apply_not(a, &b, ptr)?);
                    }
                    if next.len() > MAX_ONE_OF_ALTERNATIVES {
                        self.unsupported(&p, "not", "too many alternatives to exclude")?;
                        next.truncate(MAX_ONE_OF_ALTERNATIVES);
                    }
                    alts = next;
                }
                return Ok(alts);
            }
        }
        // Enum-valued instances: filter.
        if let Some(Value::Array(e)) = m.get("enum").cloned() {
            let mut keep = Vec::new();
            for v in e {
                match self.check_map(&v, &nm, 0) {
                    Some(false) => keep.push(v),
                    Some(true) => {}
                    None => {
                        self.unsupported(&p, "not", "cannot decide an enum value against `not`")?;
                        keep.push(v);
                    }
                }
            }
            m.insert("enum".into(), Value::Array(keep));
            return Ok(vec![m]);
        }
        let keys: Vec<&str> = nm.keys().map(String::as_str).collect();
        if keys == ["type"] {
            let nt = types_of(&nm["type"]);
            let mt = m.get("type").map_or(Types::ALL, types_of);
            let mut rest = Types(mt.norm().0 & !nt.norm().0);
            if nt.has("integer") && !nt.has("number") && mt.has("number") {
                // "number but not integer" is not expressible: drop numbers.
                rest = Types(rest.0 & !Types::bit("number").unwrap_or(0));
                self.warn(
                    WarningKind::Bounded,
                    &p,
                    "not",
                    "numbers that are not integers cannot be written apart from integers: \
                     no number is generated"
                        .to_owned(),
                );
            }
            m.insert("type".into(), rest.to_value());
            if rest.is_empty() {
                return Ok(Vec::new());
            }
            return Ok(vec![m]);
        }
        if keys.iter().all(|k| *k == "required" || *k == "type") {
            // One required member: forbidding it is the whole complement over objects.
            if let Some(Value::Array(req)) =
                nm.get("required").filter(|r| r.as_array().is_some_and(|r| r.len() == 1))
            {
                if let Some(x) = req.first().and_then(Value::as_str) {
                    let nt = nm.get("type").map_or(Types::ALL, types_of);
                    if nt.has("object") {
                        // Forbid `x` (objects then fail `not`'s schema).
                        let mut pm = m
                            .get("properties")
                            .and_then(Value::as_object)
                            .cloned()
                            .unwrap_or_default();
                        pm.insert(x.into(), Value::Bool(false));
                        m.insert("properties".into(), Value::Object(pm));
                        let mt = m.get("type").map_or(Types::ALL, types_of);
                        let rest = Types(
                            mt.norm().0 & !nt.norm().0 | Types::bit("object").unwrap_or(0) & mt.0,
                        );
                        m.insert("type".into(), rest.to_value());
                        return Ok(vec![m]);
                    }
                }
            }
        }
        if keys == ["enum"] {
            // Excluded literals, handled per type by the emitter.
            let vals = nm["enum"].as_array().cloned().unwrap_or_default();
            let mut cur = m.get("$notEnum").and_then(Value::as_array).cloned().unwrap_or_default();
            cur.extend(vals);
            m.insert("$notEnum".into(), Value::Array(cur));
            return Ok(vec![m]);
        }
        // Otherwise the union of what the compiler can write of the complement: each
        // negation narrows `m` to instances that fail `not`'s schema.
        let negs = self.negations(&m, &nm);
        let mut exact = self.negation_is_exact(&m, &nm, 0);
        let mut out = Vec::new();
        for n in negs {
            match self.merge(m.clone(), n, &p) {
                Ok(x) if !is_false_obj(&x) => out.push(x),
                Ok(_) => {}
                Err(_) => exact = false,
            }
        }
        if !out.is_empty() && out.len() <= MAX_ONE_OF_ALTERNATIVES {
            if !exact {
                self.warn_restricted(&p, "not", "`not` is compiled as its complement");
            }
            return Ok(out);
        }
        self.unsupported(&p, "not", "the complement of this subschema is not expressible")?;
        Ok(vec![m])
    }

    // -----------------------------------------------------------------------------------
    // Disjointness (for oneOf).

    fn disjoint(&mut self, a: &Obj, b: &Obj) -> bool {
        let ta = self.value_types(a, 0);
        let tb = self.value_types(b, 0);
        let common = ta.and(tb);
        if common.is_empty() {
            return true;
        }
        let ea = a.get("enum").and_then(Value::as_array);
        let eb = b.get("enum").and_then(Value::as_array);
        if let (Some(x), Some(y)) = (ea, eb) {
            if !x.iter().any(|v| y.iter().any(|w| json_eq(v, w))) {
                return true;
            }
        }
        for (e, other) in [(ea, b), (eb, a)] {
            if let Some(vals) = e {
                let vals = vals.clone();
                if vals.iter().all(|v| self.check_map(v, other, 0) == Some(false)) {
                    return true;
                }
            }
        }
        let string = Types::bit("string").unwrap_or(0);
        if common.0 == string {
            // Only strings in common: their languages may still be disjoint.
            let mut regexes = Vec::new();
            for m in [a, b] {
                match string_regexes(m, &mut self.value_regexes) {
                    Some(r) => regexes.extend(r),
                    None => return false,
                }
            }
            if self.overlaps.empty_intersection(regexes) == Some(true) {
                return true;
            }
        }
        let obj = Types::bit("object").unwrap_or(0);
        if common.0 & !obj == 0 {
            // Only objects in common.
            for (x, y) in [(a, b), (b, a)] {
                let req: Vec<String> = x
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                for r in &req {
                    if forbids(y, r) {
                        return true;
                    }
                    let sx = x.get("properties").and_then(|p| p.get(r)).cloned();
                    let sy = y.get("properties").and_then(|p| p.get(r)).cloned();
                    if let (Some(sx), Some(sy)) = (sx, sy) {
                        if self.disjoint_values(&sx, &sy) {
                            return true;
                        }
                    }
                }
            }
        }
        false
    }

    /// The types an instance of `m` can have: its `type`, narrowed by an `enum` and by the
    /// types of `anyOf`/`oneOf` branches.
    fn value_types(&mut self, m: &Obj, depth: usize) -> Types {
        let mut t = m.get("type").map_or(Types::ALL, types_of).norm();
        if let Some(Value::Array(vals)) = m.get("enum") {
            let of = vals.iter().fold(0, |acc, v| acc | Types::of_value(v).0);
            t = Types(t.0 & of);
        }
        if depth < 4 {
            for keyword in ["anyOf", "oneOf"] {
                let Some(Value::Array(branches)) = m.get(keyword) else { continue };
                let mut union = 0;
                for b in branches.clone() {
                    let bits = match &b {
                        Value::Object(bm) => match self.expand(bm, "") {
                            Ok((e, n)) => {
                                let bits = self.value_types(&e, depth + 1).0;
                                self.pop(n);
                                bits
                            }
                            Err(_) => Types::ALL.0,
                        },
                        Value::Bool(false) => 0,
                        _ => Types::ALL.0,
                    };
                    union |= bits;
                }
                t = Types(t.0 & Types(union).norm().0);
            }
        }
        t
    }

    fn disjoint_values(&mut self, x: &Value, y: &Value) -> bool {
        let (Value::Object(mx), Value::Object(my)) = (x, y) else {
            return x == &Value::Bool(false) || y == &Value::Bool(false);
        };
        let Ok((ex, nx)) = self.expand(mx, "") else { return false };
        self.pop(nx);
        let Ok((ey, ny)) = self.expand(my, "") else { return false };
        self.pop(ny);
        if ex.contains_key("properties") || ey.contains_key("properties") {
            // Avoid deep recursion through nested objects: types and enums only.
            let ta = ex.get("type").map_or(Types::ALL, types_of);
            let tb = ey.get("type").map_or(Types::ALL, types_of);
            return ta.and(tb).is_empty();
        }
        self.disjoint(&ex, &ey)
    }

    // -----------------------------------------------------------------------------------
    // Step 3: emission.

    fn emit(&mut self, mut m: Obj, ptr: &str, depth: usize) -> Result<Lang, Error> {
        // `{}` is `true`: one any-value, `any_value_depth` levels deep (not one level more
        // through an open object whose extras are `true` again).
        if m.is_empty() {
            return Ok(Some(self.any(depth, self.cfg.get_any_value_depth())));
        }
        // unevaluated*: approximate where exact.
        if let Some(u) = m.remove("unevaluatedProperties") {
            if !m.contains_key("additionalProperties") {
                if u == Value::Bool(false) || m.contains_key("patternProperties") {
                    m.insert("$closed".into(), Value::Bool(true));
                } else {
                    m.insert("additionalProperties".into(), u);
                }
            }
        }
        if let Some(u) = m.remove("unevaluatedItems") {
            if !m.contains_key("items") && !m.contains_key("contains") {
                m.insert("items".into(), u);
            } else if !m.contains_key("items") {
                self.unsupported(ptr, "unevaluatedItems", "`unevaluatedItems` next to `contains`")?;
            }
        }
        let explicit = m.get("type").map(types_of);
        let types = match explicit {
            Some(t) => t.norm(),
            None => infer_types(&m),
        };
        if types.is_empty() {
            return Ok(None);
        }
        let not_enum: Vec<Value> =
            m.get("$notEnum").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut types = types;
        if !not_enum.is_empty() && !m.contains_key("enum") {
            let mut strings = Vec::new();
            for v in &not_enum {
                match v {
                    Value::Null => types = Types(types.0 & !1),
                    Value::Bool(b) => {
                        let other = Value::Bool(!b);
                        if not_enum.contains(&other) {
                            types = Types(types.0 & !2);
                        } else if types.has("boolean") {
                            m.insert("$bool".into(), other);
                        }
                    }
                    Value::Number(_) => {}
                    Value::String(s) => strings.push(s.clone()),
                    _ => {
                        let t = Types::of_value(v);
                        if !types.and(t).is_empty() {
                            self.unsupported(ptr, "not", "excluding an array or object literal")?;
                        }
                    }
                }
            }
            if !strings.is_empty() && types.has("string") {
                let plain = !["pattern", "$patterns", "format", "minLength", "maxLength"]
                    .iter()
                    .any(|k| m.contains_key(*k));
                if plain {
                    m.insert(
                        "$notStrings".into(),
                        Value::Array(strings.into_iter().map(Value::String).collect()),
                    );
                } else {
                    self.unsupported(
                        ptr,
                        "not",
                        "excluding string literals from a constrained string",
                    )?;
                }
            }
        }
        if let Some(Value::Array(vals)) = m.get("enum").cloned() {
            let vals: Vec<Value> =
                vals.into_iter().filter(|v| !not_enum.iter().any(|n| json_eq(n, v))).collect();
            let max = self.cfg.get_max_enum_size();
            if vals.len() > max {
                return Err(Error::limit(ptr, "max_enum_size", max, vals.len()));
            }
            let mut rest = m.clone();
            rest.remove("enum");
            // Under `type: integer` a number must be written as an integer: draft 4 counts
            // `1.0` as a number with a fraction, and validators differ for later drafts.
            let integer_only = types.has("integer") && !types.has("number");
            let mut out = Vec::new();
            for v in &vals {
                if !types.admits(v) {
                    continue;
                }
                let literal = |ctx: &Self| match v {
                    Value::Number(n) if integer_only => {
                        integer_digits(n).unwrap_or_else(|| ctx.literal(v, depth))
                    }
                    _ => ctx.literal(v, depth),
                };
                match self.check_map(v, &rest, 0) {
                    Some(true) => out.push(Some(literal(self))),
                    Some(false) => {}
                    None => {
                        self.unsupported(
                            ptr,
                            "enum",
                            "cannot check an enum value against its sibling keywords",
                        )?;
                        out.push(Some(literal(self)));
                    }
                }
            }
            return Ok(re::alt(out));
        }
        let mut out: Vec<Lang> = Vec::new();
        if types.has("null") {
            out.push(Some("null".into()));
        }
        if types.has("boolean") {
            out.push(Some(match m.get("$bool") {
                Some(b) => b.to_string(),
                None => "(?:true|false)".into(),
            }));
        }
        if types.has("integer") || types.has("number") {
            let excluded: Vec<Value> = not_enum.iter().filter(|v| v.is_number()).cloned().collect();
            if excluded.is_empty() {
                out.push(self.emit_number(&m, !types.has("number"), ptr)?);
            } else {
                // Split the range around each excluded value (exclusive bounds, tightest kept).
                let mut pieces = vec![Some(m.clone())];
                for x in excluded {
                    let mut next = Vec::new();
                    for piece in pieces.into_iter().flatten() {
                        let mut below = piece.clone();
                        let b = match below.get("exclusiveMaximum") {
                            Some(e) => pick_num(e, &x, false),
                            None => x.clone(),
                        };
                        below.insert("exclusiveMaximum".into(), b);
                        let mut above = piece;
                        let a = match above.get("exclusiveMinimum") {
                            Some(e) => pick_num(e, &x, true),
                            None => x.clone(),
                        };
                        above.insert("exclusiveMinimum".into(), a);
                        next.push(Some(below));
                        next.push(Some(above));
                    }
                    pieces = next;
                    self.count_alternatives(pieces.len(), ptr)?;
                }
                for piece in pieces.into_iter().flatten() {
                    out.push(self.emit_number(&piece, !types.has("number"), ptr)?);
                }
            }
        }
        if types.has("string") && m.contains_key("$notStrings") {
            let names: Vec<String> = m["$notStrings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            out.push(Some(format!("\"{}\"", not_in_names(&refs))));
        } else if types.has("string") {
            for k in ["contentMediaType", "contentEncoding", "contentSchema"] {
                if m.contains_key(k) {
                    self.unsupported(ptr, k, "string content validation is not supported")?;
                }
            }
            out.push(self.emit_string(&m, ptr)?);
        }
        if types.has("array") {
            out.push(self.emit_array(&m, ptr, depth)?);
        } else {
            for k in ["uniqueItems", "contains"] {
                m.remove(k);
            }
        }
        if types.has("object") {
            out.push(self.emit_object(&m, ptr, depth)?);
        }
        Ok(re::alt(out))
    }

    /// A literal JSON value.
    fn literal(&self, v: &Value, depth: usize) -> String {
        match v {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => {
                if n.is_i64() || n.is_u64() {
                    format!("{n}(?:\\.0)?")
                } else {
                    let py = re::lit(&python_float(n.as_f64().unwrap_or(0.0)));
                    match integer_digits(n) {
                        Some(int) => format!("(?:{py}|{int})"),
                        None => py,
                    }
                }
            }
            Value::String(s) => re::lit(&python_string(s)),
            Value::Array(a) => {
                if a.is_empty() {
                    return self.ws.empty('[', ']');
                }
                let items: Vec<String> = a.iter().map(|x| self.literal(x, depth + 1)).collect();
                format!(
                    "{}{}{}",
                    self.ws.open('[', depth),
                    items.join(&self.ws.sep(depth)),
                    self.ws.close(']', depth)
                )
            }
            Value::Object(o) => {
                if o.is_empty() {
                    return self.ws.empty('{', '}');
                }
                let items: Vec<String> = o
                    .iter()
                    .map(|(k, x)| {
                        format!(
                            "{}{}{}",
                            re::lit(&python_string(k)),
                            self.ws.colon(),
                            self.literal(x, depth + 1)
                        )
                    })
                    .collect();
                format!(
                    "{}{}{}",
                    self.ws.open('{', depth),
                    items.join(&self.ws.sep(depth)),
                    self.ws.close('}', depth)
                )
            }
        }
    }

    /// Any JSON value, arrays and objects nested at most `levels` deep.
    fn any(&mut self, depth: usize, levels: usize) -> String {
        if let Some(s) = self.any_cache.get(&(depth, levels)) {
            return s.clone();
        }
        let scalar = format!("(?:null|true|false|{NUMBER}|\"{}*\")", ecma::ANY_CHAR);
        let s = if levels == 0 {
            scalar
        } else {
            let inner = self.any(depth + 1, levels - 1);
            let sep = self.ws.sep(depth);
            let arr = format!(
                "(?:{}|{}{inner}(?:{sep}{inner})*{})",
                self.ws.empty('[', ']'),
                self.ws.open('[', depth),
                self.ws.close(']', depth)
            );
            let member = format!("\"{}*\"{}{inner}", ecma::ANY_CHAR, self.ws.colon());
            let obj = format!(
                "(?:{}|{}{member}(?:{sep}{member})*{})",
                self.ws.empty('{', '}'),
                self.ws.open('{', depth),
                self.ws.close('}', depth)
            );
            format!("(?:null|true|false|{NUMBER}|\"{}*\"|{arr}|{obj})", ecma::ANY_CHAR)
        };
        self.any_cache.insert((depth, levels), s.clone());
        s
    }

    // ---- numbers

    fn emit_number(&mut self, m: &Obj, integer: bool, ptr: &str) -> Result<Lang, Error> {
        let dec = |k: &str| m.get(k).and_then(Value::as_number).and_then(Dec::from_number);
        let mut lo: Option<(Dec, bool)> = None;
        for (k, ex) in [("minimum", false), ("exclusiveMinimum", true)] {
            if let Some(d) = dec(k) {
                lo = Some(match lo {
                    None => (d, ex),
                    Some((c, cx)) => match d.cmp(&c) {
                        std::cmp::Ordering::Greater => (d, ex),
                        std::cmp::Ordering::Equal => (c, cx || ex),
                        std::cmp::Ordering::Less => (c, cx),
                    },
                });
            }
        }
        let mut hi: Option<(Dec, bool)> = None;
        for (k, ex) in [("maximum", false), ("exclusiveMaximum", true)] {
            if let Some(d) = dec(k) {
                hi = Some(match hi {
                    None => (d, ex),
                    Some((c, cx)) => match d.cmp(&c) {
                        std::cmp::Ordering::Less => (d, ex),
                        std::cmp::Ordering::Equal => (c, cx || ex),
                        std::cmp::Ordering::Greater => (c, cx),
                    },
                });
            }
        }
        // OpenAPI integer formats tighten integers.
        let mut integer = integer;
        if let Some(f) = m.get("format").and_then(Value::as_str) {
            if let Some((a, b)) = crate::format::int_format_range(f) {
                if integer {
                    let a = Dec::parse(&a.to_string()).unwrap_or_else(|| {
                        Dec::parse("0").unwrap_or(Dec {
                            neg: false,
                            int: "0".into(),
                            frac: String::new(),
                        })
                    });
                    let b = Dec::parse(&b.to_string()).unwrap_or_else(|| a.clone());
                    if lo.as_ref().is_none_or(|(l, _)| l.cmp(&a) == std::cmp::Ordering::Less) {
                        lo = Some((a, false));
                    }
                    if hi.as_ref().is_none_or(|(h, _)| h.cmp(&b) == std::cmp::Ordering::Greater) {
                        hi = Some((b, false));
                    }
                }
            }
        }
        let mut max_frac: Option<usize> = None;
        let mut int_mult: Option<u128> = None;
        if let Some(k) = dec("multipleOf") {
            if k.is_integer() {
                integer = true;
                int_mult = k.int.parse::<u128>().ok();
                if int_mult.is_none() {
                    return Err(Error::unsupported(ptr, "multipleOf", "value too large"));
                }
            } else if k.int == "0"
                && k.frac.trim_end_matches('0').ends_with('1')
                && k.frac[..k.frac.len() - 1].bytes().all(|b| b == b'0')
            {
                // 10^-q: at most q fraction digits.
                max_frac = Some(k.frac.len());
            } else {
                // k = p / 10^q; an integer n is a multiple iff p / gcd(p, 10^q) divides n.
                let q = k.frac.len() as u32;
                let p: Option<u128> = format!("{}{}", k.int, k.frac).parse().ok();
                let ten = 10u128.checked_pow(q);
                match (p, ten) {
                    (Some(p), Some(t)) => {
                        integer = true;
                        int_mult = Some(p / gcd(p, t));
                    }
                    _ => {
                        return Err(Error::unsupported(
                            ptr,
                            "multipleOf",
                            "value not representable",
                        ))
                    }
                }
            }
        }
        if integer {
            let l = lo.as_ref().map(|(d, e)| number::int_lower(d, *e));
            let h = hi.as_ref().map(|(d, e)| number::int_upper(d, *e));
            let k = int_mult.unwrap_or(1);
            if k <= 1 {
                return Ok(number::int_range(l.as_ref(), h.as_ref()));
            }
            return self.int_multiple(l, h, k, ptr);
        }
        if lo.is_none() && hi.is_none() {
            return Ok(Some(match max_frac {
                None => NUMBER.to_string(),
                Some(q) => format!("-?(?:0|[1-9][0-9]*)(?:\\.[0-9]{{1,{q}}})?"),
            }));
        }
        Ok(number::dec_range(lo.as_ref(), hi.as_ref(), max_frac))
    }

    fn int_multiple(
        &mut self,
        l: Option<SInt>,
        h: Option<SInt>,
        k: u128,
        ptr: &str,
    ) -> Result<Lang, Error> {
        // Enumerate small ranges.
        if let (Some(a), Some(b)) =
            (l.as_ref().and_then(SInt::to_i128), h.as_ref().and_then(SInt::to_i128))
        {
            if a > b {
                return Ok(None);
            }
            let k = k as i128;
            let first = a.div_euclid(k) * k + if a.rem_euclid(k) == 0 { 0 } else { k };
            let count = if first > b { 0 } else { (b - first) / k + 1 };
            if count as usize <= self.cfg.get_max_enum_size() {
                let vals: Vec<Lang> =
                    (0..count).map(|i| Some((first + i * k).to_string())).collect();
                return Ok(re::alt(vals));
            }
        }
        // k = d * 10^z with d in {1, 2, 5}: a suffix rule, only with sign-only bounds.
        let s = k.to_string();
        let z = s.len() - s.trim_end_matches('0').len();
        let d = &s[..s.len() - z];
        let last = match d {
            "1" => "[0-9]",
            "2" => "[02468]",
            "5" => "[05]",
            _ => {
                return Err(Error::unsupported(
                    ptr,
                    "multipleOf",
                    format!("multipleOf {k} over an unbounded range"),
                ))
            }
        };
        let last_nz = match d {
            "1" => "[1-9]",
            "2" => "[2468]",
            _ => "5",
        };
        let zeros = "0".repeat(z);
        let mag = format!("(?:[1-9][0-9]*{last}|{last_nz}){zeros}");
        let zero = SInt::from_i128(0);
        let nonneg_only = l.as_ref().is_some_and(|x| x.cmp(&zero) != std::cmp::Ordering::Less);
        let pos_only = l.as_ref().is_some_and(|x| x.cmp(&zero) == std::cmp::Ordering::Greater);
        let nonpos_only = h.as_ref().is_some_and(|x| x.cmp(&zero) != std::cmp::Ordering::Greater);
        let neg_only = h.as_ref().is_some_and(|x| x.cmp(&zero) == std::cmp::Ordering::Less);
        let sign_only =
            l.as_ref().is_none_or(|x| x.to_i128().is_some_and(|v| (-1..=1).contains(&v)))
                && h.as_ref().is_none_or(|x| x.to_i128().is_some_and(|v| (-1..=1).contains(&v)));
        if !sign_only {
            return Err(Error::unsupported(
                ptr,
                "multipleOf",
                "multipleOf together with a large range",
            ));
        }
        let mut parts = Vec::new();
        if !neg_only && !pos_only {
            parts.push(Some("0".to_string()));
        }
        if !nonpos_only {
            parts.push(Some(mag.clone()));
        }
        if !nonneg_only {
            parts.push(Some(format!("-{mag}")));
        }
        Ok(re::alt(parts))
    }

    // ---- strings

    /// The intersection of two patterns where it can be written as one: a pattern that
    /// only restricts the character set, one that fixes a finite prefix or set of words
    /// (by derivatives), one that the other implies, or one disjoint from the other
    /// (both by a product of their DFAs).
    fn intersect_patterns(&mut self, a: &Node, b: &Node) -> Option<Node> {
        if let Some(n) = intersect_simple(a, b).or_else(|| derive::intersect_prefixed(a, b)) {
            return Some(n);
        }
        let a_re = ecma::to_strict_value_regex(a).ok()?;
        let b_re = ecma::to_strict_value_regex(b).ok()?;
        if self.overlaps.includes(&b_re, &a_re) == Some(true) {
            Some(a.clone())
        } else if self.overlaps.includes(&a_re, &b_re) == Some(true) {
            Some(b.clone())
        } else if self.overlaps.empty_intersection(vec![a_re, b_re]) == Some(true) {
            Some(Node::Class(Vec::new()))
        } else {
            None
        }
    }

    fn emit_string(&mut self, m: &Obj, ptr: &str) -> Result<Lang, Error> {
        let max_rep = self.cfg.get_max_repeat();
        let min_len = m.get("minLength").and_then(as_u64).unwrap_or(0);
        let mut max_len = m.get("maxLength").and_then(as_u64);
        if min_len > u64::from(max_rep) {
            return Err(Error::limit(ptr, "max_repeat", max_rep as usize, min_len as usize));
        }
        if max_len.is_some_and(|x| x > u64::from(max_rep)) {
            self.warn(
                WarningKind::Bounded,
                ptr,
                "maxLength",
                format!("maxLength lowered to `max_repeat` ({max_rep})"),
            );
            max_len = Some(u64::from(max_rep));
        }
        let mut patterns: Vec<(String, &'static str)> = Vec::new();
        if let Some(p) = m.get("pattern") {
            let Some(p) = p.as_str() else {
                return Err(Error::invalid(ptr, Some("pattern"), "must be a string"));
            };
            patterns.push((p.to_string(), "pattern"));
        }
        for p in m.get("$patterns").and_then(Value::as_array).into_iter().flatten() {
            if let Some(p) = p.as_str() {
                if !patterns.iter().any(|(x, _)| x == p) {
                    patterns.push((p.to_string(), "pattern"));
                }
            }
        }
        if let Some(f) = m.get("format").and_then(Value::as_str) {
            match crate::format::pattern(f) {
                Some(p) if p.is_empty() => {}
                Some(p) => patterns.push((p, "format")),
                None if crate::format::is_numeric_format(f) => {}
                None => match self.cfg.get_unknown_format() {
                    UnknownFormat::Ignore if !crate::format::is_asserted_elsewhere(f) => {
                        self.warn(
                            WarningKind::Ignored,
                            ptr,
                            "format",
                            format!("unknown format {f:?} treated as an annotation"),
                        );
                    }
                    _ => {
                        self.unsupported(ptr, "format", &format!("unknown format {f:?}"))?;
                    }
                },
            }
        }
        let mut nodes = Vec::new();
        for (p, kw) in &patterns {
            let node = ecma::parse(p).map_err(|e| {
                Error::new(
                    ErrorKind::Pattern { pattern: p.clone(), offset: e.offset, reason: e.reason },
                    ptr,
                    Some(kw),
                )
            })?;
            if ecma::exceeds_repeat(&node, max_rep) {
                self.warn(
                    WarningKind::Bounded,
                    ptr,
                    kw,
                    format!("repetition bounds lowered to `max_repeat` ({max_rep})"),
                );
            }
            nodes.push((node, p.clone(), *kw));
        }
        if max_len.is_some_and(|max| max < min_len) {
            return Ok(None);
        }
        let any_node = || Node::Class(ecma::negate(&vec![]));
        let content: Lang = if nodes.is_empty() {
            Some(re::rep(ecma::ANY_CHAR, min_len, max_len))
        } else {
            let mut chosen = nodes.remove(0);
            if !nodes.is_empty() {
                for (other, p, kw) in nodes {
                    match self.intersect_patterns(&chosen.0, &other) {
                        Some(n) => chosen.0 = n,
                        None => {
                            self.unsupported(
                                ptr,
                                kw,
                                &format!("cannot intersect {p:?} with another pattern or format"),
                            )?;
                        }
                    }
                }
            }
            let (node, p, kw) = chosen;
            let branches = split_anchors(&node).map_err(|e| {
                Error::new(
                    ErrorKind::Pattern { pattern: p.clone(), offset: e.offset, reason: e.reason },
                    ptr,
                    Some(kw),
                )
            })?;
            let mut alts = Vec::new();
            for (s, body, e) in branches {
                let mut items = Vec::new();
                if !s {
                    items.push(Node::Repeat(Box::new(any_node()), 0, None));
                }
                items.push(body);
                if !e {
                    items.push(Node::Repeat(Box::new(any_node()), 0, None));
                }
                let n = Node::Concat(items);
                let n = if min_len > 0 || max_len.is_some() {
                    fit_length(&n, min_len, max_len)
                } else {
                    Some(n)
                };
                let Some(n) = n else { continue };
                let n = Node::Concat(vec![Node::Start, n, Node::End]);
                let r = ecma::to_json_content(&n, max_rep).map_err(|e| {
                    Error::new(
                        ErrorKind::Pattern {
                            pattern: p.clone(),
                            offset: e.offset,
                            reason: e.reason,
                        },
                        ptr,
                        Some(kw),
                    )
                })?;
                alts.push(r);
            }
            re::alt(alts)
        };
        Ok(content.map(|c| format!("\"{c}\"")))
    }

    // ---- arrays

    fn emit_array(&mut self, m: &Obj, ptr: &str, depth: usize) -> Result<Lang, Error> {
        let max_rep = u64::from(self.cfg.get_max_repeat());
        let min = m.get("minItems").and_then(as_u64).unwrap_or(0);
        let mut max = m.get("maxItems").and_then(as_u64);
        if min > max_rep {
            return Err(Error::limit(ptr, "max_repeat", max_rep as usize, min as usize));
        }
        if max.is_some_and(|x| x > max_rep) {
            max = Some(max_rep);
            self.warn(
                WarningKind::Bounded,
                ptr,
                "maxItems",
                format!("maxItems lowered to `max_repeat` ({max_rep})"),
            );
        }
        if max.is_some_and(|x| x < min) {
            return Ok(None);
        }
        let prefix: Vec<Value> =
            m.get("prefixItems").and_then(Value::as_array).cloned().unwrap_or_default();
        let rest = m.get("items").cloned().unwrap_or(Value::Bool(true));
        if m.get("uniqueItems") == Some(&Value::Bool(true)) && max.is_none_or(|x| x > 1) {
            // Sound only where no two items can be equal.
            let distinct_prefix = prefix.len() >= 2
                && (rest == Value::Bool(false) || max.is_some_and(|x| x as usize <= prefix.len()))
                && self.prefix_distinct(&prefix);
            if !distinct_prefix {
                self.unsupported(
                    ptr,
                    "uniqueItems",
                    "uniqueItems over more than one item is not regular",
                )?;
            }
        }
        let mut contains: Option<Value> = m.get("contains").cloned();
        let min_contains = m.get("minContains").and_then(as_u64).unwrap_or(1);
        if min_contains == 0 && contains.is_some() {
            if m.contains_key("maxContains") {
                self.unsupported(ptr, "maxContains", "maxContains together with minContains 0")?;
            }
            contains = None;
        }
        if contains.is_some() {
            let max_c = m.get("maxContains").and_then(as_u64);
            if !prefix.is_empty() || max.is_some() || min_contains > 1 || max_c.is_some() {
                self.unsupported(
                    ptr,
                    "contains",
                    "contains together with prefixItems, maxItems, minContains or maxContains",
                )?;
                contains = None;
            }
        }
        // Item languages.
        let mut items: Vec<String> = Vec::new();
        let n_prefix = match max {
            Some(x) => prefix.len().min(x as usize),
            None => prefix.len(),
        };
        let mut prefix_len = n_prefix;
        for (i, s) in prefix.iter().take(n_prefix).enumerate() {
            match self.value(s, &format!("{ptr}/prefixItems/{i}"), depth + 1)? {
                Some(r) => items.push(r),
                None => {
                    prefix_len = i;
                    break;
                }
            }
        }
        if (prefix_len as u64) < min && prefix_len < n_prefix {
            return Ok(None);
        }
        let rest_re = if prefix_len < n_prefix {
            None
        } else {
            self.value(&rest, &format!("{ptr}/items"), depth + 1)?
        };
        let sep = self.ws.sep(depth);
        let open = self.ws.open('[', depth);
        let close = self.ws.close(']', depth);
        let empty = self.ws.empty('[', ']');
        if let Some(c) = contains {
            // (R SEP)* C (SEP R)* with at least `min` items: only min <= 1 supported above.
            let cm = all_of(vec![rest.clone(), c]);
            let Some(c_re) = self.value(&cm, &format!("{ptr}/contains"), depth + 1)? else {
                return Ok(None);
            };
            let body = match &rest_re {
                Some(r) => format!("(?:{r}{sep})*{c_re}(?:{sep}{r})*"),
                None => c_re,
            };
            if min > 1 {
                self.unsupported(ptr, "minItems", "minItems above 1 together with contains")?;
            }
            return Ok(Some(format!("{open}{body}{close}")));
        }
        // Tail: positions >= prefix_len use rest_re.
        let k = prefix_len as u64;
        let tail_min = min.saturating_sub(k);
        let tail_max = max.map(|x| x.saturating_sub(k));
        let tail: Lang = match &rest_re {
            None => {
                if tail_min > 0 {
                    None
                } else {
                    Some(String::new())
                }
            }
            Some(r) => Some(if tail_max == Some(0) {
                String::new()
            } else {
                re::rep(&format!("{sep}{r}"), tail_min, tail_max)
            }),
        };
        // Nested prefix: T_i = SEP L_i (T_{i+1})? or required.
        let mut t = tail;
        for i in (0..prefix_len).rev() {
            let next = match t {
                Some(t) if !t.is_empty() => {
                    if (i as u64 + 1) >= min {
                        // may stop after item i
                        Some(re::opt(&t))
                    } else {
                        Some(t)
                    }
                }
                Some(t) => Some(t),
                None => {
                    if (i as u64 + 1) >= min {
                        Some(String::new())
                    } else {
                        None
                    }
                }
            };
            t = next.map(|n| format!("{}{}{n}", if i == 0 { "" } else { sep.as_str() }, items[i]));
        }
        let nonempty: Lang = if prefix_len > 0 {
            t
        } else {
            // No prefix: R (SEP R){min-1, max-1}
            match &rest_re {
                None => None,
                Some(r) => {
                    if max == Some(0) {
                        None
                    } else {
                        let lo = min.max(1) - 1;
                        let hi = max.map(|x| x - 1);
                        Some(format!("{r}{}", re::rep(&format!("{sep}{r}"), lo, hi)))
                    }
                }
            }
        };
        let mut out = Vec::new();
        if min == 0 {
            out.push(Some(empty));
        }
        out.push(nonempty.map(|b| format!("{open}{b}{close}")));
        Ok(re::alt(out))
    }

    fn prefix_distinct(&mut self, prefix: &[Value]) -> bool {
        let mut maps = Vec::new();
        for p in prefix {
            let Ok((m, n)) = self.expand_value(p, "") else { return false };
            self.pop(n);
            maps.push(m);
        }
        for i in 0..maps.len() {
            for j in i + 1..maps.len() {
                let (a, b) = (maps[i].clone(), maps[j].clone());
                if !self.disjoint(&a, &b) {
                    return false;
                }
            }
        }
        true
    }

    // ---- objects

    #[allow(clippy::too_many_lines)]
    fn emit_object(&mut self, m: &Obj, ptr: &str, depth: usize) -> Result<Lang, Error> {
        // Dependencies split the object into "key absent" and "key present" alternatives.
        let mut m = m.clone();
        let required: Vec<String> = m
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        if let Some(Value::Object(dr)) = m.remove("dependentRequired") {
            let mut pending: Vec<(String, Vec<Value>)> = Vec::new();
            for (k, deps) in dr {
                let deps: Vec<Value> = deps.as_array().cloned().unwrap_or_default();
                if deps.is_empty() {
                    continue;
                }
                if required.contains(&k) {
                    let mut r =
                        m.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
                    for d in deps {
                        if !r.contains(&d) {
                            r.push(d);
                        }
                    }
                    m.insert("required".into(), Value::Array(r));
                } else {
                    pending.push((k, deps));
                }
            }
            if !pending.is_empty() {
                // absent | present with its dependencies; the others stay on both.
                let (k, deps) = pending.remove(0);
                if !pending.is_empty() {
                    let rest: Obj =
                        pending.into_iter().map(|(k, d)| (k, Value::Array(d))).collect();
                    m.insert("dependentRequired".into(), Value::Object(rest));
                }
                self.count_alternatives(2, ptr)?;
                let mut absent = m.clone();
                forbid(&mut absent, &k);
                let mut present = m.clone();
                let mut r =
                    present.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
                r.push(Value::String(k.clone()));
                for d in deps {
                    if !r.contains(&d) {
                        r.push(d);
                    }
                }
                present.insert("required".into(), Value::Array(r));
                let a = self.emit_object(&absent, ptr, depth)?;
                let b = self.emit_object(&present, ptr, depth)?;
                return Ok(re::alt([a, b]));
            }
        }
        if let Some(Value::Object(mut ds)) = m.remove("dependentSchemas") {
            let first = ds.keys().next().cloned();
            if let Some(k) = first {
                let s = ds.remove(&k).unwrap_or(Value::Bool(true));
                // The other dependencies stay on both alternatives.
                if !ds.is_empty() {
                    m.insert("dependentSchemas".into(), Value::Object(ds));
                }
                self.count_alternatives(2, ptr)?;
                let mut absent = m.clone();
                forbid(&mut absent, &k);
                let a = if required.contains(&k) {
                    None
                } else {
                    self.emit_object(&absent, ptr, depth)?
                };
                let mut present = m.clone();
                let mut r =
                    present.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
                if !r.contains(&Value::String(k.clone())) {
                    r.push(Value::String(k.clone()));
                }
                present.insert("required".into(), Value::Array(r));
                let p = format!("{ptr}/dependentSchemas/{}", escape_ptr(&k));
                let (e, n) = self.expand_value(&s, &p)?;
                let merged = self.merge(present, e, &p);
                let b = match merged {
                    Ok(mut mm) => {
                        let t = mm.get("type").map_or(Types::ALL, types_of);
                        let obj = Types(Types::bit("object").unwrap_or(0));
                        mm.insert("type".into(), t.and(obj).to_value());
                        self.map(mm, &p, depth)
                    }
                    Err(e) => Err(e),
                };
                self.pop(n);
                return Ok(re::alt([a, b?]));
            }
        }
        let required: Vec<String> = m
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let props: Obj =
            m.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        let pattern_props: Obj =
            m.get("patternProperties").and_then(Value::as_object).cloned().unwrap_or_default();
        let mut pats: Vec<(String, Node, Value)> = Vec::new();
        for (p, s) in &pattern_props {
            let node = ecma::parse(p).map_err(|e| {
                Error::new(
                    ErrorKind::Pattern { pattern: p.clone(), offset: e.offset, reason: e.reason },
                    &format!("{ptr}/patternProperties"),
                    Some("patternProperties"),
                )
            })?;
            pats.push((p.clone(), node, s.clone()));
        }
        let additional = m.get("additionalProperties").cloned();
        let closed = m.get("$closed") == Some(&Value::Bool(true));
        let property_names = m.get("propertyNames").cloned();
        let min_props = m.get("minProperties").and_then(as_u64).unwrap_or(0);
        let max_props = m.get("maxProperties").and_then(as_u64);

        // Declared entries in schema order, then required-but-undeclared ones.
        let mut names: Vec<(String, Value)> =
            props.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for r in &required {
            if !props.contains_key(r) {
                names.push((r.clone(), Value::Bool(true)));
            }
        }
        struct Entry {
            re: String,
            required: bool,
        }
        let mut entries: Vec<Entry> = Vec::new();
        let colon = self.ws.colon();
        // Without a member count to meet, every entry is in the object's regex: once their
        // lengths add up past `max_regex_len`, the object is too long whatever follows, and
        // the attempt fails before compiling (and concatenating) the rest.
        let every_entry_kept = max_props.is_none() && min_props == 0;
        let mut entries_len = 0usize;
        for (name, schema) in &names {
            let is_req = required.contains(name);
            let mut parts = Vec::new();
            if props.contains_key(name) {
                parts.push(schema.clone());
            }
            let mut matched = false;
            for (_, node, s) in &pats {
                match ecma::search(node, name) {
                    Some(false) => {}
                    Some(true) => {
                        matched = true;
                        parts.push(s.clone());
                    }
                    None => parts.push(s.clone()),
                }
            }
            if !props.contains_key(name) && !matched {
                match &additional {
                    Some(a) => parts.push(a.clone()),
                    None if closed => parts.push(Value::Bool(false)),
                    None => {}
                }
            }
            let mut allowed = true;
            if let Some(pn) = &property_names {
                if self.check_value(&Value::String(name.clone()), pn, 0) != Some(true) {
                    allowed = false;
                }
            }
            let p = ptr_join(&format!("{ptr}/properties"), name);
            let v = if allowed { self.value(&all_of(parts), &p, depth + 1)? } else { None };
            match v {
                Some(v) => {
                    let re = format!("{}{colon}{v}", re::lit(&python_string(name)));
                    entries_len += re.len();
                    if every_entry_kept {
                        self.check_sum(entries_len, ptr)?;
                    }
                    entries.push(Entry { re, required: is_req });
                }
                None => {
                    if is_req {
                        return Ok(None);
                    }
                }
            }
        }
        // Extra entries (patternProperties, additionalProperties).
        let mut extras: Vec<Lang> = Vec::new();
        let declared: Vec<&str> = names.iter().map(|(k, _)| k.as_str()).collect();
        let extras_allowed = property_names.is_none();
        if extras_allowed {
            let all_pat_schemas: Vec<Value> = pats.iter().map(|(_, _, s)| s.clone()).collect();
            for (i, (p, node, _)) in pats.iter().enumerate() {
                if declared.iter().any(|d| ecma::search(node, d) != Some(false)) {
                    continue; // a generated key could collide with a declared one
                }
                let key = match split_anchors(node) {
                    Ok(_) => ecma::to_json_content(node, self.cfg.get_max_repeat()).ok().flatten(),
                    Err(_) => None,
                };
                let Some(key) = key else { continue };
                // Raw characters only in keys would be stricter; escapes decode to the same
                // string and the pattern is matched on the decoded key, so this is exact.
                let vp = format!("{ptr}/patternProperties/{}", escape_ptr(p));
                let _ = i;
                if let Some(v) = self.value(&all_of(all_pat_schemas.clone()), &vp, depth + 1)? {
                    extras.push(Some(format!("\"{key}\"{colon}{v}")));
                }
            }
            let add_schema: Option<Value> = match &additional {
                Some(Value::Bool(false)) => None,
                Some(a) => Some(a.clone()),
                None if closed => None,
                None if self.cfg.get_additional_properties() => {
                    self.opened_by_default = true;
                    Some(Value::Bool(true))
                }
                // Nothing declared to close the object against: any members.
                None if props.is_empty() && pats.is_empty() && required.is_empty() => {
                    Some(Value::Bool(true))
                }
                None => None,
            };
            if let Some(a) = add_schema {
                if pats.is_empty() {
                    let key = not_in_names(&declared);
                    let vp = format!("{ptr}/additionalProperties");
                    if let Some(v) = self.value(&a, &vp, depth + 1)? {
                        extras.push(Some(format!("\"{key}\"{colon}{v}")));
                    }
                }
            }
        }
        let extra = re::alt(extras);
        // Counting constraints.
        let n_req = entries.iter().filter(|e| e.required).count() as u64;
        let n_all = entries.len() as u64;
        let mut extra = extra;
        let mut extra_max: Option<u64> = None;
        if let Some(mx) = max_props {
            if mx < n_req {
                return Ok(None);
            }
            if extra.is_some() {
                if mx >= n_all {
                    extra_max = Some(mx - n_all);
                    if mx == n_all {
                        extra = None;
                    }
                } else {
                    extra = None;
                }
            }
        }
        let count_opt = |lo: u64, hi: Option<u64>| -> (u64, Option<u64>) {
            (lo.saturating_sub(n_req), hi.map(|h| h.saturating_sub(n_req)))
        };
        let (opt_lo, opt_hi) = count_opt(min_props, max_props.filter(|mx| *mx < n_all));
        let n_opt = n_all - n_req;
        let sep = self.ws.sep(depth);
        let members: (Lang, bool) = if opt_lo == 0 && opt_hi.is_none() {
            linear_chain(
                &entries.iter().map(|e| (e.re.as_str(), e.required)).collect::<Vec<_>>(),
                &sep,
            )
        } else if opt_lo > n_opt && extra.is_none() {
            return Ok(None);
        } else if opt_lo == 1 && opt_hi.is_none() && n_req == 0 {
            // Non-empty is enough; emptiness is excluded below (after extras).
            linear_chain(
                &entries.iter().map(|e| (e.re.as_str(), e.required)).collect::<Vec<_>>(),
                &sep,
            )
        } else {
            if n_opt > 10 || opt_lo > n_opt {
                self.unsupported(
                    ptr,
                    "minProperties",
                    "property-count bounds over many optional properties",
                )?;
            }
            let lo = opt_lo.min(n_opt);
            let hi = opt_hi.unwrap_or(n_opt).min(n_opt);
            if lo > hi {
                return Ok(None);
            }
            counted_chain(
                &entries.iter().map(|e| (e.re.as_str(), e.required)).collect::<Vec<_>>(),
                &sep,
                lo,
                hi,
            )
        };
        let (mut nonempty, mut can_be_empty) = members;
        if let Some(x) = &extra {
            if extra_max != Some(0) {
                let tail = re::rep(&format!("{sep}{x}"), 0, extra_max);
                nonempty = match (nonempty, can_be_empty, extra_max) {
                    // `(?:n|x)(?:,x)*`: two copies of the extra member, not three.
                    (Some(n), true, None) => Some(format!("(?:{n}|{x}){tail}")),
                    (nonempty, can_be_empty, _) => {
                        let first = format!(
                            "{x}{}",
                            re::rep(
                                &format!("{sep}{x}"),
                                0,
                                extra_max.map(|v| v.saturating_sub(1))
                            )
                        );
                        re::alt([
                            nonempty.map(|n| format!("{n}{tail}")),
                            if can_be_empty { Some(first) } else { None },
                        ])
                    }
                };
            }
        }
        if min_props > 0 && can_be_empty {
            can_be_empty = false;
        }
        let mut out = Vec::new();
        if can_be_empty {
            out.push(Some(self.ws.empty('{', '}')));
        }
        out.push(
            nonempty
                .map(|b| format!("{}{b}{}", self.ws.open('{', depth), self.ws.close('}', depth))),
        );
        Ok(re::alt(out))
    }
}

const IN_PLACE: &[&str] = &["anyOf", "oneOf", "if", "not", "dependentSchemas"];

/// `unevaluated*` of a schema whose in-place applicators are all merged already: every
/// property/item it sees is declared in the map, so it acts as `additionalProperties` /
/// `items` (which keep their meaning when the map is merged with a parent or sibling).
fn convert_unevaluated(m: &mut Obj) {
    if IN_PLACE.iter().any(|k| m.contains_key(*k)) {
        return;
    }
    if let Some(u) = m.remove("unevaluatedProperties") {
        if !m.contains_key("additionalProperties") {
            m.insert("additionalProperties".into(), u);
        }
    }
    if m.contains_key("unevaluatedItems") && !m.contains_key("contains") {
        if let Some(u) = m.remove("unevaluatedItems") {
            if !m.contains_key("items") {
                m.insert("items".into(), u);
            }
        }
    }
}

/// Merging a map that still has `unevaluated*` (it has in-place applicators) with another
/// would let it see properties it must not see.
fn check_unevaluated_merge(a: &Obj, b: &Obj, ptr: &str) -> Result<(), Error> {
    for (x, y) in [(a, b), (b, a)] {
        for k in ["unevaluatedProperties", "unevaluatedItems"] {
            if x.contains_key(k) && !y.is_empty() {
                return Err(Error::unsupported(
                    ptr,
                    k,
                    "unevaluated keywords next to in-place applicators, under allOf or $ref",
                ));
            }
        }
    }
    Ok(())
}

/// The unconstrained JSON number.
pub(crate) const NUMBER: &str = "-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?";

fn types_of(v: &Value) -> Types {
    let mut bits = 0u8;
    match v {
        Value::String(s) => bits |= Types::bit(s).unwrap_or(0),
        Value::Array(a) => {
            for t in a.iter().filter_map(Value::as_str) {
                bits |= Types::bit(t).unwrap_or(0);
            }
        }
        _ => bits = Types::ALL.0,
    }
    Types(bits).norm()
}

fn infer_types(m: &Obj) -> Types {
    let mut bits = 0u8;
    let has = |kws: &[&str]| kws.iter().any(|k| m.contains_key(*k));
    if has(OBJECT_KW) {
        bits |= Types::bit("object").unwrap_or(0);
    }
    if has(ARRAY_KW) {
        bits |= Types::bit("array").unwrap_or(0);
    }
    if has(STRING_KW)
        || m.get("format")
            .and_then(Value::as_str)
            .is_some_and(|f| crate::format::pattern(f).is_some())
    {
        bits |= Types::bit("string").unwrap_or(0);
    }
    if has(NUMBER_KW) {
        bits |= Types::bit("number").unwrap_or(0);
    }
    if bits == 0 {
        Types::ALL.norm()
    } else {
        Types(bits).norm()
    }
}

fn pick_num(a: &Value, b: &Value, max: bool) -> Value {
    let (Some(x), Some(y)) =
        (a.as_number().and_then(Dec::from_number), b.as_number().and_then(Dec::from_number))
    else {
        return a.clone();
    };
    let greater = x.cmp(&y) == std::cmp::Ordering::Greater;
    if greater == max {
        a.clone()
    } else {
        b.clone()
    }
}

fn gcd(a: u128, b: u128) -> u128 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn lcm(a: u64, b: u64) -> u64 {
    let g = gcd(u128::from(a), u128::from(b)) as u64;
    a.checked_div(g).map_or(0, |x| x.saturating_mul(b))
}

fn merge_arrays(a: &mut Obj, b: &Obj) {
    let pa = a.get("prefixItems").and_then(Value::as_array).cloned().unwrap_or_default();
    let pb = b.get("prefixItems").and_then(Value::as_array).cloned().unwrap_or_default();
    let ia = a.get("items").cloned();
    let ib = b.get("items").cloned();
    let n = pa.len().max(pb.len());
    let mut prefix = Vec::new();
    for i in 0..n {
        let x = pa.get(i).cloned().or_else(|| ia.clone()).unwrap_or(Value::Bool(true));
        let y = pb.get(i).cloned().or_else(|| ib.clone()).unwrap_or(Value::Bool(true));
        prefix.push(all_of(vec![x, y]));
    }
    if !prefix.is_empty() {
        a.insert("prefixItems".into(), Value::Array(prefix));
    }
    match (ia, ib) {
        (Some(x), Some(y)) => {
            a.insert("items".into(), all_of(vec![x, y]));
        }
        (None, Some(y)) => {
            a.insert("items".into(), y);
        }
        _ => {}
    }
}

/// Regexes over the decoded value that every string instance of `m` matches (its
/// patterns read as widely as any validator does, and its length bounds when small);
/// formats and exclusions are left out, so the language is over-approximated, which is
/// what a disjointness proof may use. `None`
/// when a pattern does not parse.
fn string_regexes(m: &Obj, cache: &mut HashMap<String, Option<String>>) -> Option<Vec<String>> {
    const MAX_COUNTED: u64 = 128;
    let mut out = Vec::new();
    let patterns = m
        .get("pattern")
        .into_iter()
        .chain(m.get("$patterns").and_then(Value::as_array).into_iter().flatten());
    for p in patterns {
        let p = p.as_str()?;
        let regex = match cache.get(p) {
            Some(regex) => regex.clone(),
            None => {
                let regex = ecma::parse_wide(p).ok().and_then(|n| ecma::to_value_regex(&n).ok());
                cache.insert(p.to_owned(), regex.clone());
                regex
            }
        };
        out.push(regex?);
    }
    let min = m.get("minLength").and_then(as_u64).unwrap_or(0);
    let max = m.get("maxLength").and_then(as_u64);
    if min <= MAX_COUNTED && max.is_none_or(|x| x <= MAX_COUNTED) && (min > 0 || max.is_some()) {
        out.push(match max {
            Some(max) => format!("(?s:.){{{min},{max}}}"),
            None => format!("(?s:.){{{min},}}"),
        });
    }
    Some(out)
}

/// Whether `m` (an object schema) forbids property `name`.
fn forbids(m: &Obj, name: &str) -> bool {
    if let Some(s) = m.get("properties").and_then(|p| p.get(name)) {
        return *s == Value::Bool(false);
    }
    if m.get("additionalProperties") == Some(&Value::Bool(false)) {
        let pp = m.get("patternProperties").and_then(Value::as_object);
        return pp.is_none_or(|pp| {
            pp.keys()
                .all(|p| ecma::parse(p).ok().and_then(|n| ecma::search(&n, name)) == Some(false))
        });
    }
    false
}

fn forbid(m: &mut Obj, name: &str) {
    let mut p = m.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    p.insert(name.into(), Value::Bool(false));
    m.insert("properties".into(), Value::Object(p));
}

/// Refines branch `a` so that it cannot overlap `b`: if `b` only accepts objects that have
/// some property `x` (required, explicit `type: object`), forbid `x` in `a`.
fn refine_exclude(a: &Obj, b: &Obj) -> Option<Obj> {
    let tb = b.get("type").map(types_of)?;
    if tb.0 & !Types::bit("object").unwrap_or(0) != 0 {
        // b accepts non-objects too; a's non-object part would have to avoid them.
        let ta = a.get("type").map_or(Types::ALL, types_of);
        if ta.and(tb).0 & !Types::bit("object").unwrap_or(0) != 0 {
            return None;
        }
    }
    let req_a: Vec<&str> = a
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let req_b = b.get("required").and_then(Value::as_array)?;
    let x = req_b.iter().filter_map(Value::as_str).find(|x| !req_a.contains(x))?;
    let mut out = a.clone();
    forbid(&mut out, x);
    Some(out)
}

/// In-order members where optional ones may be skipped, in linear size. Returns the
/// non-empty language and whether the empty sequence is allowed.
///
/// Each member `e` turns the chain `a` so far into `(?:a(?:, e)?|e)` (or `(?:a, e|e)` when
/// required; the `|e` branch only while no required member came before). Written outward
/// in, that nests a group per member around the chain, so the string is built as the
/// count of groups to open plus a body appended in place: copying the chain at each member
/// would cost time quadratic in the regex (seconds for objects of hundreds of members).
fn linear_chain(entries: &[(&str, bool)], sep: &str) -> (Lang, bool) {
    let mut opens = 0usize;
    let mut body: Option<String> = None; // the non-empty sequences so far, less `opens` groups
    let mut can_empty = true;
    for (e, required) in entries {
        match &mut body {
            None => body = Some((*e).to_owned()),
            Some(b) => {
                if *required {
                    b.push_str(sep);
                    b.push_str(e);
                } else {
                    b.push_str(&re::opt(&format!("{sep}{e}")));
                }
                if can_empty {
                    opens += 1;
                    b.push('|');
                    b.push_str(e);
                    b.push(')');
                }
            }
        }
        can_empty &= !*required;
    }
    (body.map(|b| "(?:".repeat(opens) + &b), can_empty)
}

/// Like [`linear_chain`] but the number of optional members present is in `[lo, hi]`.
fn counted_chain(entries: &[(&str, bool)], sep: &str, lo: u64, hi: u64) -> (Lang, bool) {
    // state c -> (non-empty lang, empty allowed) for c optional members chosen so far.
    let hi = hi as usize;
    let mut states: Vec<(Lang, bool)> = vec![(None, false); hi + 1];
    states[0] = (None, true);
    for (e, required) in entries {
        let mut next: Vec<(Lang, bool)> = vec![(None, false); hi + 1];
        for c in 0..=hi {
            let (acc, empty) = &states[c];
            if *required {
                let a = acc.as_ref().map(|a| format!("{a}{sep}{e}"));
                let f = if *empty { Some((*e).to_owned()) } else { None };
                let (na, _) = &next[c];
                next[c] = (re::alt([na.clone(), a, f]), false);
            } else {
                // skip
                let (na, ne) = &next[c];
                next[c] = (re::alt([na.clone(), acc.clone()]), *ne || *empty);
                // take
                if c < hi {
                    let a = acc.as_ref().map(|a| format!("{a}{sep}{e}"));
                    let f = if *empty { Some((*e).to_owned()) } else { None };
                    let (na, ne) = &next[c + 1];
                    next[c + 1] = (re::alt([na.clone(), a, f]), *ne);
                }
            }
        }
        states = next;
    }
    let mut langs = Vec::new();
    let mut empty = false;
    for (c, (l, e)) in states.into_iter().enumerate() {
        if (c as u64) >= lo {
            langs.push(l);
            empty |= e;
        }
    }
    (re::alt(langs), empty)
}

/// JSON string contents (raw characters only, no escapes) different from every name.
///
/// A trie of the names, each node an alternation of: the end (unless a name ends there), a
/// character no name continues with and then anything, and each continuing character. The
/// classes are written negated (`[^"\\\x00-\x1Fab]`, the same scalar values as the ranges
/// they stand for): an open object's key carries one per trie node, and the short form
/// keeps the regex, its parse and its compile small.
fn not_in_names(names: &[&str]) -> String {
    #[derive(Default)]
    struct Trie {
        end: bool,
        kids: std::collections::BTreeMap<char, Trie>,
    }
    /// What a raw string character is not: a quote, a backslash or a control character.
    const NOT_RAW: &str = r#""\\\x00-\x1F"#;
    fn go(t: &Trie, out: &mut String) {
        let kids: Vec<(&char, &Trie)> =
            t.kids.iter().filter(|(&c, _)| c >= ' ' && c != '"' && c != '\\').collect();
        let alternatives = usize::from(!t.end) + 1 + kids.len();
        if alternatives > 1 {
            out.push_str("(?:");
        }
        if !t.end {
            out.push('|');
        }
        // A character no name continues with here, then any raw characters.
        out.push_str("[^");
        out.push_str(NOT_RAW);
        for (&c, _) in &kids {
            out.push_str(&ecma::class_char(u32::from(c)));
        }
        out.push_str("][^");
        out.push_str(NOT_RAW);
        out.push_str("]*");
        for (&c, kid) in kids {
            out.push('|');
            let mut buf = [0; 4];
            out.push_str(&re::lit(c.encode_utf8(&mut buf)));
            go(kid, out);
        }
        if alternatives > 1 {
            out.push(')');
        }
    }
    let mut root = Trie::default();
    for n in names {
        let mut t = &mut root;
        for c in n.chars() {
            t = t.kids.entry(c).or_default();
        }
        t.end = true;
    }
    let mut out = String::new();
    go(&root, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_not_in_names_are_every_other_raw_string() {
        use regex_automata::{hybrid::regex::Regex, Input};
        let names = ["a", "ab", "c-d", "é", "x\"y"];
        let re = Regex::new(&format!("^(?:{})$", not_in_names(&names))).unwrap();
        let mut cache = re.create_cache();
        let mut matches = |s: &str| re.try_search(&mut cache, &Input::new(s)).unwrap().is_some();
        for name in ["a", "ab", "c-d", "é"] {
            assert!(!matches(name), "{name:?} is a declared name");
        }
        for other in
            ["", "b", "abc", "aa", "c", "c-", "c-dd", "-", "ée", "e", "x", "\u{10FFFF}", "日本"]
        {
            assert!(matches(other), "{other:?} is no declared name");
        }
        for raw_only in ["\"", "a\\", "\n", "b\u{1F}"] {
            assert!(!matches(raw_only), "{raw_only:?} is not raw string content");
        }
    }

    /// The chain as first written: one alternation per member, copying the chain.
    fn linear_chain_reference(entries: &[(&str, bool)], sep: &str) -> (Lang, bool) {
        let mut acc: Lang = None;
        let mut can_empty = true;
        for (e, required) in entries {
            let with_prev = acc.as_ref().map(|a| format!("{a}{sep}{e}"));
            let first = if can_empty { Some((*e).to_owned()) } else { None };
            if *required {
                acc = re::alt([with_prev, first]);
                can_empty = false;
            } else {
                let skip_or_add =
                    acc.as_ref().map(|a| format!("{a}{}", re::opt(&format!("{sep}{e}"))));
                acc = re::alt([skip_or_add, first]);
            }
        }
        (acc, can_empty)
    }

    #[test]
    fn chains_are_written_as_alternations_would_be() {
        // Every mix of required and optional members up to 7 long.
        for n in 0..=7usize {
            for mask in 0..(1u32 << n) {
                let names: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
                let entries: Vec<(&str, bool)> = names
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (m.as_str(), mask >> i & 1 == 1))
                    .collect();
                assert_eq!(
                    linear_chain(&entries, ","),
                    linear_chain_reference(&entries, ","),
                    "{entries:?}"
                );
            }
        }
    }

    #[test]
    fn chains() {
        let e = |s: &'static str, r: bool| (s, r);
        let (l, empty) = linear_chain(&[e("a", false), e("b", false)], ",");
        assert!(empty);
        assert_eq!(l.unwrap(), "(?:a(?:,b)?|b)");
        let (l, empty) = linear_chain(&[e("a", false), e("b", true), e("c", false)], ",");
        assert!(!empty);
        assert_eq!(l.unwrap(), "(?:a,b|b)(?:,c)?");
    }

    #[test]
    fn lengths() {
        let n = ecma::parse("^[a-z]+$").unwrap();
        let b = split_anchors(&n).unwrap();
        let f = fit_length(&b[0].1, 3, Some(5)).unwrap();
        assert_eq!(len_range(&f), (3, Some(5)));
    }
}
