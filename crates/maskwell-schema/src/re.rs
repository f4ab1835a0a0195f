//! Small helpers that build regex-syntax strings.
//!
//! A language is `Option<String>`: `None` is the empty language (nothing matches), which
//! lets unsatisfiable branches disappear from alternations instead of being emitted.

/// A language: `None` matches nothing.
pub(crate) type Lang = Option<String>;

/// Alternation; `None` branches are dropped, duplicates removed.
pub(crate) fn alt<I: IntoIterator<Item = Lang>>(parts: I) -> Lang {
    let mut v: Vec<String> = Vec::new();
    for p in parts.into_iter().flatten() {
        if !v.contains(&p) {
            v.push(p);
        }
    }
    match v.len() {
        0 => None,
        1 => v.pop(),
        _ => Some(format!("(?:{})", v.join("|"))),
    }
}

/// Concatenation; any `None` makes the whole `None`.
pub(crate) fn cat<I: IntoIterator<Item = Lang>>(parts: I) -> Lang {
    let mut s = String::new();
    for p in parts {
        s.push_str(&p?);
    }
    Some(s)
}

/// Wraps `s` in a group if it is not obviously atomic, so a quantifier can follow.
pub(crate) fn group(s: &str) -> String {
    if is_atomic(s) {
        s.to_string()
    } else {
        format!("(?:{s})")
    }
}

fn is_atomic(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() {
        return false;
    }
    if b.len() == 1 {
        return !matches!(b[0], b'|' | b'(' | b')' | b'*' | b'+' | b'?' | b'{' | b'}' | b'\\');
    }
    if b.len() == 2 && b[0] == b'\\' {
        return true;
    }
    // A single bracketed class or a single group.
    if (b[0] == b'[' && b[b.len() - 1] == b']') || (b[0] == b'(' && b[b.len() - 1] == b')') {
        let (open, close) = if b[0] == b'[' { (b'[', b']') } else { (b'(', b')') };
        let mut depth = 0i32;
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\\' => {
                    i += 2;
                    continue;
                }
                c if c == open => depth += 1,
                c if c == close => {
                    depth -= 1;
                    if depth == 0 && i != b.len() - 1 {
                        return false;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        return depth == 0;
    }
    false
}

/// A regex that matches no string.
pub(crate) const NOTHING: &str = "[a&&b]";

/// `s{min,max}` (`max = None` is unbounded; `min > max` matches nothing).
pub(crate) fn rep(s: &str, min: u64, max: Option<u64>) -> String {
    if s.is_empty() {
        return String::new();
    }
    let g = group(s);
    match (min, max) {
        // Fewer than `min` allowed: nothing matches (an empty class intersection).
        (a, Some(b)) if a > b => NOTHING.to_owned(),
        (_, Some(0)) => String::new(),
        (0, None) => format!("{g}*"),
        (1, None) => format!("{g}+"),
        (0, Some(1)) => format!("{g}?"),
        (1, Some(1)) => s.to_string(),
        (a, Some(b)) if a == b => format!("{g}{{{a}}}"),
        (a, None) => format!("{g}{{{a},}}"),
        (a, Some(b)) => format!("{g}{{{a},{b}}}"),
    }
}

/// Optional `s`.
pub(crate) fn opt(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    format!("{}?", group(s))
}

/// Escapes a literal string for regex-syntax.
pub(crate) fn lit(s: &str) -> String {
    regex_syntax::escape(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repetitions() {
        assert_eq!(rep("a", 0, Some(0)), "");
        assert_eq!(rep("a", 2, Some(1)), NOTHING);
        assert_eq!(rep("a", 1, Some(0)), NOTHING);
        assert_eq!(rep("a", 2, Some(3)), "a{2,3}");
    }

    #[test]
    fn atomic() {
        assert!(is_atomic("[a-z]"));
        assert!(is_atomic("(?:a|b)"));
        assert!(!is_atomic("(?:a)(?:b)"));
        assert!(!is_atomic("[a][b]"));
        assert!(is_atomic("\\d"));
        assert!(!is_atomic("ab"));
        assert_eq!(rep("ab", 0, None), "(?:ab)*");
        assert_eq!(alt([Some("a".into()), None, Some("a".into())]), Some("a".into()));
        assert_eq!(cat([Some("a".into()), None]), None);
    }
}
