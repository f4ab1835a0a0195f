//! JSON serialization as Python's `json.dumps(..., ensure_ascii=False)` writes it, and the
//! structural tokens of each whitespace policy.

use crate::config::Whitespace;
use crate::re;

/// The JSON text of a string, escaped the way `json.dumps(s, ensure_ascii=False)` does.
pub fn python_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Python's `repr(float)`.
pub fn python_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    let e = format!("{:e}", f.abs()); // e.g. "1.2345e3", "1e-7"
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let body = if exp >= 0 {
            let e = exp as usize;
            if digits.len() > e + 1 {
                format!("{}.{}", &digits[..=e], &digits[e + 1..])
            } else {
                format!("{}{}.0", digits, "0".repeat(e + 1 - digits.len()))
            }
        } else {
            format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
        };
        format!("{sign}{body}")
    } else {
        let m =
            if digits.len() > 1 { format!("{}.{}", &digits[..1], &digits[1..]) } else { digits };
        let es = if exp < 0 { "-" } else { "+" };
        format!("{sign}{m}e{es}{:02}", exp.abs())
    }
}

/// Serializes a value like `json.dumps(v, ensure_ascii=False)` (separators `", "` and
/// `": "`, keys in stored order, numbers as stored).
pub fn python_dumps(v: &serde_json::Value) -> String {
    let mut s = String::new();
    dumps_into(v, &mut s);
    s
}

fn dumps_into(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if n.is_f64() {
                out.push_str(&python_float(n.as_f64().unwrap_or(0.0)));
            } else {
                out.push_str(&n.to_string());
            }
        }
        Value::String(s) => out.push_str(&python_string(s)),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                dumps_into(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&python_string(k));
                out.push_str(": ");
                dumps_into(x, out);
            }
            out.push('}');
        }
    }
}

/// Structural tokens (as regex fragments) for one whitespace policy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ws(pub Whitespace);

impl Ws {
    fn w(self) -> String {
        match self.0 {
            Whitespace::Flexible { max_run } if max_run > 0 => {
                re::rep("[ \\t\\n\\r]", 0, Some(u64::from(max_run)))
            }
            _ => String::new(),
        }
    }

    fn indent(self, depth: usize) -> String {
        match self.0 {
            Whitespace::Pretty { indent } => {
                format!("\\n{}", " ".repeat(indent as usize * depth))
            }
            _ => String::new(),
        }
    }

    /// Opening bracket of a non-empty container at `depth`.
    pub(crate) fn open(self, bracket: char, depth: usize) -> String {
        let b = re::lit(&bracket.to_string());
        format!("{b}{}{}", self.w(), self.indent(depth + 1))
    }

    /// Closing bracket of a non-empty container at `depth`.
    pub(crate) fn close(self, bracket: char, depth: usize) -> String {
        let b = re::lit(&bracket.to_string());
        format!("{}{}{b}", self.w(), self.indent(depth))
    }

    /// Separator between members of a container at `depth`.
    pub(crate) fn sep(self, depth: usize) -> String {
        let w = self.w();
        match self.0 {
            Whitespace::Spaced => ", ".into(),
            Whitespace::Pretty { .. } => format!(",{}", self.indent(depth + 1)),
            _ => format!("{w},{w}"),
        }
    }

    /// Between a key and its value.
    pub(crate) fn colon(self) -> String {
        let w = self.w();
        match self.0 {
            Whitespace::Spaced | Whitespace::Pretty { .. } => ": ".into(),
            _ => format!("{w}:{w}"),
        }
    }

    /// An empty container.
    pub(crate) fn empty(self, open: char, close: char) -> String {
        format!("{}{}{}", re::lit(&open.to_string()), self.w(), re::lit(&close.to_string()))
    }

    /// Around the whole value.
    pub(crate) fn outer(self) -> String {
        self.w()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        assert_eq!(python_float(1.0), "1.0");
        assert_eq!(python_float(0.1), "0.1");
        assert_eq!(python_float(1e16), "1e+16");
        assert_eq!(python_float(1.5e-7), "1.5e-07");
        assert_eq!(python_float(123.456), "123.456");
        assert_eq!(python_float(-0.0001), "-0.0001");
        assert_eq!(python_float(0.00001), "1e-05");
        assert_eq!(python_float(1234567890123456.0), "1234567890123456.0");
        assert_eq!(python_float(-2.5), "-2.5");
    }

    #[test]
    fn strings() {
        assert_eq!(python_string("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\u0001é\"");
        let v: serde_json::Value =
            serde_json::from_str(r#"{"a": [1, 2.0, "x"], "b": {}}"#).unwrap();
        assert_eq!(python_dumps(&v), r#"{"a": [1, 2.0, "x"], "b": {}}"#);
    }
}
