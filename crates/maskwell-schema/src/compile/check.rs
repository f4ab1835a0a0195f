//! A small validator for literal values (enum filtering, property names, disjointness
//! proofs). `None` means "cannot tell", and callers treat it conservatively.

use serde_json::Value;

use super::{as_u64, json_eq, types_of, Ctx, Obj};
use crate::config::UnknownFormat;
use crate::ecma;
use crate::number::Dec;

impl Ctx<'_, '_> {
    // -----------------------------------------------------------------------------------
    // A small validator, for literal values (enum filtering, property names, disjointness).
    // `None` means "cannot tell".

    pub(super) fn check_value(&mut self, v: &Value, s: &Value, depth: usize) -> Option<bool> {
        match s {
            Value::Bool(b) => Some(*b),
            Value::Object(m) => {
                if depth > 32 {
                    return None;
                }
                let (e, n) = self.expand(m, "").ok()?;
                let r = self.check_map(v, &e, depth + 1);
                self.pop(n);
                r
            }
            _ => None,
        }
    }

    #[allow(clippy::too_many_lines)]
    pub(super) fn check_map(&mut self, v: &Value, m: &Obj, depth: usize) -> Option<bool> {
        if let Some(t) = m.get("type") {
            if !types_of(t).admits(v) {
                return Some(false);
            }
        }
        if let Some(Value::Array(e)) = m.get("enum") {
            if !e.iter().any(|x| json_eq(x, v)) {
                return Some(false);
            }
        }
        let mut unknown = false;
        for (k, kv) in m {
            let ok: Option<bool> = match (k.as_str(), v) {
                ("type" | "enum", _) => Some(true),
                ("minLength", Value::String(s)) => Some(s.chars().count() as u64 >= as_u64(kv)?),
                ("maxLength", Value::String(s)) => Some(s.chars().count() as u64 <= as_u64(kv)?),
                ("pattern", Value::String(s)) => {
                    ecma::parse(kv.as_str()?).ok().and_then(|n| ecma::search(&n, s))
                }
                ("$patterns", Value::String(s)) => {
                    let mut all = Some(true);
                    for p in kv.as_array()? {
                        match ecma::parse(p.as_str()?).ok().and_then(|n| ecma::search(&n, s)) {
                            Some(true) => {}
                            Some(false) => return Some(false),
                            None => all = None,
                        }
                    }
                    all
                }
                ("format", Value::String(s)) => match crate::format::pattern(kv.as_str()?) {
                    Some(p) => ecma::parse(&p).ok().and_then(|n| ecma::search(&n, s)),
                    None => {
                        let f = kv.as_str()?;
                        if (self.cfg.get_unknown_format() == UnknownFormat::Ignore
                            && !crate::format::is_asserted_elsewhere(f))
                            || crate::format::is_numeric_format(f)
                        {
                            Some(true)
                        } else {
                            None
                        }
                    }
                },
                (
                    "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum",
                    Value::Number(n),
                ) => {
                    let x = Dec::from_number(n)?;
                    let b = Dec::from_number(kv.as_number()?)?;
                    let c = x.cmp(&b);
                    use std::cmp::Ordering::{Equal, Greater, Less};
                    Some(
                        match k.as_str() {
                            "minimum" => c != Less,
                            "maximum" => c != Greater,
                            "exclusiveMinimum" => c == Greater,
                            _ => c == Less,
                        } || (c == Equal && (k == "minimum" || k == "maximum")),
                    )
                }
                ("multipleOf", Value::Number(n)) => {
                    let x = n.as_f64()?;
                    let d = kv.as_f64()?;
                    let q = x / d;
                    Some(q.is_finite() && (q - q.round()).abs() < 1e-9)
                }
                ("required", Value::Object(o)) => Some(
                    kv.as_array()?.iter().all(|r| r.as_str().is_some_and(|r| o.contains_key(r))),
                ),
                ("minProperties", Value::Object(o)) => Some(o.len() as u64 >= as_u64(kv)?),
                ("maxProperties", Value::Object(o)) => Some(o.len() as u64 <= as_u64(kv)?),
                ("properties" | "patternProperties" | "additionalProperties", Value::Object(o)) => {
                    if k != "properties" {
                        Some(true) // checked with "properties" below
                    } else {
                        self.check_props(o, m, depth)
                    }
                }
                ("propertyNames", Value::Object(o)) => {
                    let mut r = Some(true);
                    for key in o.keys() {
                        match self.check_value(&Value::String(key.clone()), kv, depth) {
                            Some(true) => {}
                            Some(false) => return Some(false),
                            None => r = None,
                        }
                    }
                    r
                }
                ("dependentRequired", Value::Object(o)) => {
                    Some(kv.as_object()?.iter().all(|(dk, dv)| {
                        !o.contains_key(dk)
                            || dv.as_array().is_some_and(|a| {
                                a.iter().all(|x| x.as_str().is_some_and(|x| o.contains_key(x)))
                            })
                    }))
                }
                ("dependentSchemas", Value::Object(o)) => {
                    let mut r = Some(true);
                    for (dk, ds) in kv.as_object()? {
                        if o.contains_key(dk) {
                            match self.check_value(v, ds, depth) {
                                Some(true) => {}
                                Some(false) => return Some(false),
                                None => r = None,
                            }
                        }
                    }
                    r
                }
                ("minItems", Value::Array(a)) => Some(a.len() as u64 >= as_u64(kv)?),
                ("maxItems", Value::Array(a)) => Some(a.len() as u64 <= as_u64(kv)?),
                ("uniqueItems", Value::Array(a)) => Some(
                    kv != &Value::Bool(true)
                        || (0..a.len()).all(|i| (i + 1..a.len()).all(|j| !json_eq(&a[i], &a[j]))),
                ),
                ("prefixItems" | "items", Value::Array(a)) => {
                    let prefix =
                        m.get("prefixItems").and_then(Value::as_array).cloned().unwrap_or_default();
                    if k == "items" && m.contains_key("prefixItems") {
                        Some(true) // handled with prefixItems
                    } else {
                        let rest = m.get("items").cloned();
                        let mut r = Some(true);
                        for (i, x) in a.iter().enumerate() {
                            let s = prefix
                                .get(i)
                                .cloned()
                                .or_else(|| rest.clone())
                                .unwrap_or(Value::Bool(true));
                            match self.check_value(x, &s, depth) {
                                Some(true) => {}
                                Some(false) => return Some(false),
                                None => r = None,
                            }
                        }
                        r
                    }
                }
                ("contains", Value::Array(a)) => {
                    let mut any = Some(false);
                    for x in a {
                        match self.check_value(x, kv, depth) {
                            Some(true) => {
                                any = Some(true);
                                break;
                            }
                            Some(false) => {}
                            None => any = None,
                        }
                    }
                    any
                }
                ("anyOf", _) => {
                    let mut r = Some(false);
                    for b in kv.as_array()? {
                        match self.check_value(v, b, depth) {
                            Some(true) => return Some(true),
                            Some(false) => {}
                            None => r = None,
                        }
                    }
                    r
                }
                ("oneOf", _) => {
                    let mut count = 0;
                    for b in kv.as_array()? {
                        match self.check_value(v, b, depth) {
                            Some(true) => count += 1,
                            Some(false) => {}
                            None => return None,
                        }
                    }
                    Some(count == 1)
                }
                ("not", _) => self.check_value(v, kv, depth).map(|b| !b),
                ("if", _) => {
                    let c = self.check_value(v, kv, depth)?;
                    let branch = if c { m.get("then") } else { m.get("else") };
                    match branch {
                        Some(b) => self.check_value(v, &b.clone(), depth),
                        None => Some(true),
                    }
                }
                ("then" | "else", _) => Some(true),
                (
                    "unevaluatedProperties" | "unevaluatedItems" | "$dynamicRef" | "$recursiveRef",
                    _,
                ) => None,
                // Keyword does not apply to this instance type.
                _ => Some(true),
            };
            match ok {
                Some(true) => {}
                Some(false) => return Some(false),
                None => unknown = true,
            }
        }
        if unknown {
            None
        } else {
            Some(true)
        }
    }

    fn check_props(&mut self, o: &Obj, m: &Obj, depth: usize) -> Option<bool> {
        let props = m.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        let pp = m.get("patternProperties").and_then(Value::as_object).cloned().unwrap_or_default();
        let ad = m.get("additionalProperties").cloned();
        let mut r = Some(true);
        for (k, x) in o {
            let mut schemas = Vec::new();
            let mut matched = props.contains_key(k);
            if let Some(s) = props.get(k) {
                schemas.push(s.clone());
            }
            for (pat, s) in &pp {
                match ecma::parse(pat).ok().and_then(|n| ecma::search(&n, k)) {
                    Some(true) => {
                        matched = true;
                        schemas.push(s.clone());
                    }
                    Some(false) => {}
                    None => return None,
                }
            }
            if !matched {
                if let Some(a) = &ad {
                    schemas.push(a.clone());
                }
            }
            for s in schemas {
                match self.check_value(x, &s, depth) {
                    Some(true) => {}
                    Some(false) => return Some(false),
                    None => r = None,
                }
            }
        }
        // Also `properties`-less maps with patternProperties/additionalProperties only.
        r
    }
}
