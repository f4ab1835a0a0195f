//! Digit-level regexes for numeric ranges: exact integer ranges of any size and exact
//! decimal ranges (numbers written without an exponent), both on decimal strings so no
//! bound ever overflows.

use crate::re::{self, Lang};

/// A finite decimal: sign, integer digits (canonical, `"0"` for zero) and fraction digits
/// (no trailing zeros).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dec {
    pub neg: bool,
    pub int: String,
    pub frac: String,
}

impl Dec {
    /// From a JSON number.
    pub(crate) fn from_number(n: &serde_json::Number) -> Option<Dec> {
        if let Some(u) = n.as_u64() {
            return Some(Dec { neg: false, int: u.to_string(), frac: String::new() });
        }
        if let Some(i) = n.as_i64() {
            return Some(Dec {
                neg: i < 0,
                int: i.unsigned_abs().to_string(),
                frac: String::new(),
            });
        }
        let f = n.as_f64()?;
        if !f.is_finite() {
            return None;
        }
        Dec::parse(&format!("{f}"))
    }

    /// Parses `-?\d+(\.\d+)?` (the output of `f64`'s `Display`).
    pub(crate) fn parse(s: &str) -> Option<Dec> {
        let (neg, s) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let (i, f) = s.split_once('.').unwrap_or((s, ""));
        if i.is_empty()
            || !i.bytes().all(|b| b.is_ascii_digit())
            || !f.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let int = i.trim_start_matches('0');
        let int = if int.is_empty() { "0" } else { int };
        let frac = f.trim_end_matches('0');
        let zero = int == "0" && frac.is_empty();
        Some(Dec { neg: neg && !zero, int: int.to_string(), frac: frac.to_string() })
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.int == "0" && self.frac.is_empty()
    }

    pub(crate) fn is_integer(&self) -> bool {
        self.frac.is_empty()
    }

    fn abs(&self) -> Dec {
        Dec { neg: false, ..self.clone() }
    }

    /// Total order.
    pub(crate) fn cmp(&self, o: &Dec) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match (self.neg, o.neg) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => cmp_mag(self, o),
            (true, true) => cmp_mag(o, self),
        }
    }
}

fn cmp_mag(a: &Dec, b: &Dec) -> std::cmp::Ordering {
    a.int.len().cmp(&b.int.len()).then_with(|| a.int.cmp(&b.int)).then_with(|| a.frac.cmp(&b.frac))
}

/// A signed integer on a decimal string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SInt {
    pub neg: bool,
    pub mag: String,
}

impl SInt {
    fn zero() -> SInt {
        SInt { neg: false, mag: "0".into() }
    }
    fn as_dec(&self) -> Dec {
        Dec { neg: self.neg, int: self.mag.clone(), frac: String::new() }
    }
    pub(crate) fn cmp(&self, o: &SInt) -> std::cmp::Ordering {
        self.as_dec().cmp(&o.as_dec())
    }
    pub(crate) fn inc(&self) -> SInt {
        if self.neg {
            let m = mag_sub1(&self.mag);
            SInt { neg: m != "0", mag: m }
        } else {
            SInt { neg: false, mag: mag_add1(&self.mag) }
        }
    }
    pub(crate) fn dec(&self) -> SInt {
        if self.neg {
            SInt { neg: true, mag: mag_add1(&self.mag) }
        } else if self.mag == "0" {
            SInt { neg: true, mag: "1".into() }
        } else {
            SInt { neg: false, mag: mag_sub1(&self.mag) }
        }
    }
    pub(crate) fn to_i128(&self) -> Option<i128> {
        let m: i128 = self.mag.parse().ok()?;
        Some(if self.neg { -m } else { m })
    }
    pub(crate) fn from_i128(v: i128) -> SInt {
        SInt { neg: v < 0, mag: v.unsigned_abs().to_string() }
    }
}

fn mag_add1(s: &str) -> String {
    let mut d: Vec<u8> = s.bytes().collect();
    let mut i = d.len();
    loop {
        if i == 0 {
            d.insert(0, b'1');
            break;
        }
        i -= 1;
        if d[i] == b'9' {
            d[i] = b'0';
        } else {
            d[i] += 1;
            break;
        }
    }
    String::from_utf8(d).unwrap_or_default()
}

fn mag_sub1(s: &str) -> String {
    // s > 0
    let mut d: Vec<u8> = s.bytes().collect();
    let mut i = d.len();
    while i > 0 {
        i -= 1;
        if d[i] == b'0' {
            d[i] = b'9';
        } else {
            d[i] -= 1;
            break;
        }
    }
    let out = String::from_utf8(d).unwrap_or_default();
    let t = out.trim_start_matches('0');
    if t.is_empty() {
        "0".into()
    } else {
        t.to_string()
    }
}

/// Smallest integer allowed by a lower bound.
pub(crate) fn int_lower(d: &Dec, exclusive: bool) -> SInt {
    let floor = floor(d);
    if exclusive || !d.is_integer() {
        floor.inc()
    } else {
        floor
    }
}

/// Largest integer allowed by an upper bound.
pub(crate) fn int_upper(d: &Dec, exclusive: bool) -> SInt {
    let ceil = ceil(d);
    if exclusive || !d.is_integer() {
        ceil.dec()
    } else {
        ceil
    }
}

fn floor(d: &Dec) -> SInt {
    if d.is_integer() || !d.neg {
        SInt { neg: d.neg && d.int != "0", mag: d.int.clone() }
    } else {
        SInt { neg: true, mag: mag_add1(&d.int) }
    }
}

fn ceil(d: &Dec) -> SInt {
    if d.is_integer() {
        SInt { neg: d.neg && d.int != "0", mag: d.int.clone() }
    } else if d.neg {
        SInt { neg: d.int != "0", mag: d.int.clone() }
    } else {
        SInt { neg: false, mag: mag_add1(&d.int) }
    }
}

/// Canonical JSON integers in `[lo, hi]` (either side unbounded).
pub(crate) fn int_range(lo: Option<&SInt>, hi: Option<&SInt>) -> Lang {
    if let (Some(l), Some(h)) = (lo, hi) {
        if l.cmp(h) == std::cmp::Ordering::Greater {
            return None;
        }
    }
    let zero = SInt::zero();
    let mut parts = Vec::new();
    // Non-negative part.
    if hi.is_none_or(|h| !h.neg) {
        let a = match lo {
            Some(l) if !l.neg => l.mag.clone(),
            _ => "0".into(),
        };
        parts.push(uint_range(&a, hi.map(|h| h.mag.as_str())));
    }
    // Negative part.
    if lo.is_none_or(|l| l.neg) {
        let a = match hi {
            Some(h) if h.neg => h.mag.clone(),
            _ => "1".into(),
        };
        let b = lo.map(|l| l.mag.clone());
        if b.as_deref().is_none_or(|b| cmp_uint(&a, b) != std::cmp::Ordering::Greater) {
            parts.push(re::cat([Some("-".into()), uint_range(&a, b.as_deref())]));
        }
    }
    let _ = zero;
    re::alt(parts)
}

fn cmp_uint(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Canonical unsigned integers in `[a, b]` (`b = None`: unbounded).
pub(crate) fn uint_range(a: &str, b: Option<&str>) -> Lang {
    if let Some(b) = b {
        if cmp_uint(a, b) == std::cmp::Ordering::Greater {
            return None;
        }
    }
    let mut parts: Vec<Lang> = Vec::new();
    let mut a = a.to_string();
    if a == "0" {
        parts.push(Some("0".into()));
        if b == Some("0") {
            return re::alt(parts);
        }
        a = "1".into();
    }
    let la = a.len();
    match b {
        Some(b) if b.len() == la => parts.push(Some(between(&a, b))),
        _ => {
            parts.push(Some(between(&a, &"9".repeat(la))));
            match b {
                None => parts.push(Some(format!("[1-9][0-9]{{{la},}}"))),
                Some(b) => {
                    let lb = b.len();
                    if lb >= la + 2 {
                        let (x, y) = (la, lb - 2);
                        parts.push(Some(if x == y {
                            format!("[1-9][0-9]{{{x}}}")
                        } else {
                            format!("[1-9][0-9]{{{x},{y}}}")
                        }));
                    }
                    let lo = format!("1{}", "0".repeat(lb - 1));
                    parts.push(Some(between(&lo, b)));
                }
            }
        }
    }
    re::alt(parts)
}

fn digit_class(lo: u8, hi: u8) -> String {
    if lo == hi {
        (lo as char).to_string()
    } else if lo == b'0' && hi == b'9' {
        "[0-9]".into()
    } else {
        format!("[{}-{}]", lo as char, hi as char)
    }
}

fn any_digits(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => "[0-9]".into(),
        n => format!("[0-9]{{{n}}}"),
    }
}

/// Same-length digit strings in `[a, b]`.
fn between(a: &str, b: &str) -> String {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    if ab.is_empty() {
        return String::new();
    }
    if a == b {
        return a.to_string();
    }
    let n = ab.len() - 1;
    let (a0, b0) = (ab[0], bb[0]);
    if a0 == b0 {
        return format!("{}{}", a0 as char, between(&a[1..], &b[1..]));
    }
    let mut parts: Vec<Lang> = Vec::new();
    let a_rest_min = a[1..].bytes().all(|c| c == b'0');
    let b_rest_max = b[1..].bytes().all(|c| c == b'9');
    let mut lo_d = a0;
    let mut hi_d = b0;
    if !a_rest_min {
        parts.push(Some(format!("{}{}", a0 as char, between(&a[1..], &"9".repeat(n)))));
        lo_d = a0 + 1;
    }
    if !b_rest_max {
        hi_d = b0 - 1;
    }
    if lo_d <= hi_d {
        parts.push(Some(format!("{}{}", digit_class(lo_d, hi_d), any_digits(n))));
    }
    if !b_rest_max {
        parts.push(Some(format!("{}{}", b0 as char, between(&"0".repeat(n), &b[1..]))));
    }
    re::alt(parts).unwrap_or_default()
}

/// A bound on a decimal: value and exclusivity.
pub(crate) type Bound = (Dec, bool);

/// JSON numbers without exponent in the range; `max_frac` limits fraction digits.
pub(crate) fn dec_range(lo: Option<&Bound>, hi: Option<&Bound>, max_frac: Option<usize>) -> Lang {
    if let (Some((l, le)), Some((h, he))) = (lo, hi) {
        match l.cmp(h) {
            std::cmp::Ordering::Greater => return None,
            std::cmp::Ordering::Equal if *le || *he => return None,
            _ => {}
        }
    }
    let zero = Dec { neg: false, int: "0".into(), frac: String::new() };
    let mut parts = Vec::new();
    // Non-negative part: [max(lo, 0), hi].
    if hi.is_none_or(|(h, e)| !(h.neg || h.is_zero() && *e)) {
        let l: Bound = match lo {
            Some((l, e)) if !l.neg => (l.clone(), *e),
            _ => (zero.clone(), false),
        };
        parts.push(mag_range(&l, hi, max_frac));
    }
    // Negative part: magnitude in (max(0, -hi), -lo].
    if lo.is_none_or(|(l, _)| l.neg) {
        let l: Bound = match hi {
            Some((h, e)) if h.neg => (h.abs(), *e),
            _ => (zero, true),
        };
        let h: Option<Bound> = lo.map(|(l, e)| (l.abs(), *e));
        parts.push(re::cat([Some("-".into()), mag_range(&l, h.as_ref(), max_frac)]));
    }
    re::alt(parts)
}

/// Non-negative `I(.F)?` in `[lo, hi]` (with exclusivity).
fn mag_range(lo: &Bound, hi: Option<&Bound>, mf: Option<usize>) -> Lang {
    let (a, ea) = lo;
    if let Some((b, eb)) = hi {
        match a.cmp(b) {
            std::cmp::Ordering::Greater => return None,
            std::cmp::Ordering::Equal if *ea || *eb => return None,
            _ => {}
        }
        if a.int == b.int {
            return re::cat([
                Some(a.int.clone()),
                frac_part(Some((&a.frac, *ea)), Some((&b.frac, *eb)), mf),
            ]);
        }
    }
    let mut parts = Vec::new();
    parts.push(re::cat([Some(a.int.clone()), frac_part(Some((&a.frac, *ea)), None, mf)]));
    let next = mag_add1(&a.int);
    let any_frac = frac_part(None, None, mf);
    match hi {
        None => parts.push(re::cat([uint_range(&next, None), any_frac])),
        Some((b, eb)) => {
            if cmp_uint(&next, &b.int) == std::cmp::Ordering::Less {
                parts.push(re::cat([uint_range(&next, Some(&mag_sub1(&b.int))), any_frac]));
            }
            parts.push(re::cat([Some(b.int.clone()), frac_part(None, Some((&b.frac, *eb)), mf)]));
        }
    }
    re::alt(parts)
}

/// The optional `\.D+` part, with `0.D` constrained.
fn frac_part(lo: Option<(&str, bool)>, hi: Option<(&str, bool)>, mf: Option<usize>) -> Lang {
    let empty_ok = empty_ok(lo, hi);
    let nonempty = if mf == Some(0) {
        None
    } else {
        re::cat([Some("\\.".into()), frac_digits(lo, hi, mf, false)])
    };
    re::alt([if empty_ok { Some(String::new()) } else { None }, nonempty])
}

fn empty_ok(lo: Option<(&str, bool)>, hi: Option<(&str, bool)>) -> bool {
    let lo_ok = lo.is_none_or(|(l, e)| l.bytes().all(|c| c == b'0') && !e);
    let hi_ok = hi.is_none_or(|(h, e)| !(e && h.bytes().all(|c| c == b'0')));
    lo_ok && hi_ok
}

/// Digit strings `d` (length within `rem`) with `0.d` in range.
fn frac_digits(
    lo: Option<(&str, bool)>,
    hi: Option<(&str, bool)>,
    rem: Option<usize>,
    allow_empty: bool,
) -> Lang {
    if lo.is_none() && hi.is_none() {
        let min = usize::from(!allow_empty);
        return Some(match rem {
            None => {
                if min == 0 {
                    "[0-9]*".into()
                } else {
                    "[0-9]+".into()
                }
            }
            Some(r) if r < min => return None,
            Some(r) => re::rep("[0-9]", min as u64, Some(r as u64)),
        });
    }
    let lo = match lo {
        Some(("", false)) => None,
        x => x,
    };
    let min = u64::from(!allow_empty);
    if let Some((h, e)) = hi {
        if h.is_empty() {
            // The rest must have value <= 0 (or < 0): only zeros, if the lower bound allows.
            if e || lo.is_some() {
                return None;
            }
            return match rem {
                None => Some(if allow_empty { "0*".into() } else { "0+".into() }),
                Some(r) if (r as u64) < min => None,
                Some(r) => Some(re::rep("0", min, Some(r as u64))),
            };
        }
    }
    if lo.is_some_and(|(l, _)| l.is_empty()) && hi.is_none() {
        // Value must be > 0: some non-zero digit.
        return match rem {
            None => Some("0*[1-9][0-9]*".into()),
            Some(r) => re::alt((0..r).map(|k| {
                Some(format!(
                    "{}[1-9]{}",
                    re::rep("0", k as u64, Some(k as u64)),
                    re::rep("[0-9]", 0, Some((r - 1 - k) as u64))
                ))
            })),
        };
    }
    let mut parts: Vec<Lang> = Vec::new();
    if allow_empty && empty_ok(lo, hi) {
        parts.push(Some(String::new()));
    }
    if rem == Some(0) {
        return re::alt(parts);
    }
    let rem1 = rem.map(|r| r - 1);
    // Group digits by the resulting state.
    type St<'a> = Option<(Option<(&'a str, bool)>, Option<(&'a str, bool)>)>;
    let state = |c: u8| -> St<'_> {
        let lo2 = match lo {
            None => None,
            Some((l, e)) => {
                let l0 = l.as_bytes().first().copied().unwrap_or(b'0');
                if c > l0 {
                    None
                } else if c < l0 {
                    return None;
                } else {
                    Some((l.get(1..).unwrap_or(""), e))
                }
            }
        };
        let hi2 = match hi {
            None => None,
            Some((h, e)) => {
                let h0 = h.as_bytes().first().copied().unwrap_or(b'0');
                if c < h0 {
                    None
                } else if c > h0 {
                    return None;
                } else {
                    Some((h.get(1..).unwrap_or(""), e))
                }
            }
        };
        Some((lo2, hi2))
    };
    let mut c = b'0';
    while c <= b'9' {
        let st = state(c);
        let mut d = c;
        while d < b'9' && state(d + 1) == st {
            d += 1;
        }
        if let Some((l2, h2)) = st {
            let rest = frac_digits(l2, h2, rem1, true);
            parts.push(re::cat([Some(digit_class(c, d)), rest]));
        }
        c = d + 1;
    }
    re::alt(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(re_s: &str) -> regex_syntax::hir::Hir {
        regex_syntax::parse(&format!("^(?:{re_s})$")).unwrap()
    }

    // A tiny backtracking-free checker: compile with regex-syntax and test via brute force
    // over a matcher built from the pattern AST is overkill here; instead we use the ECMA
    // matcher from this crate on the generated pattern (it is ECMA-compatible).
    fn accepts(pattern: &str, s: &str) -> bool {
        let _ = full(pattern);
        let p = pattern.replace("(?:", "(");
        let n = crate::ecma::parse(&format!("^(?:{p})$")).unwrap();
        crate::ecma::search(&n, s).unwrap()
    }

    fn si(v: i128) -> SInt {
        SInt::from_i128(v)
    }

    #[test]
    fn int_ranges_brute() {
        let cases: &[(Option<i128>, Option<i128>)] = &[
            (Some(0), Some(0)),
            (Some(-5), Some(17)),
            (Some(3), Some(1234)),
            (Some(-1234), Some(-3)),
            (Some(10), Some(99)),
            (Some(7), None),
            (None, Some(-7)),
            (Some(-20), None),
            (Some(100), Some(100)),
            (Some(199), Some(2001)),
        ];
        for &(lo, hi) in cases {
            let l = lo.map(si);
            let h = hi.map(si);
            let r = int_range(l.as_ref(), h.as_ref()).unwrap();
            for v in -2100i128..2100 {
                let want = lo.is_none_or(|l| v >= l) && hi.is_none_or(|h| v <= h);
                assert_eq!(accepts(&r, &v.to_string()), want, "{lo:?} {hi:?} {v} {r}");
            }
            assert!(!accepts(&r, "01"));
            assert!(!accepts(&r, "-0"));
        }
    }

    #[test]
    fn bounds_to_ints() {
        let d = Dec::parse("1.5").unwrap();
        assert_eq!(int_lower(&d, false), si(2));
        assert_eq!(int_upper(&d, false), si(1));
        let d = Dec::parse("-1.5").unwrap();
        assert_eq!(int_lower(&d, false), si(-1));
        assert_eq!(int_upper(&d, false), si(-2));
        let d = Dec::parse("3").unwrap();
        assert_eq!(int_lower(&d, true), si(4));
        assert_eq!(int_upper(&d, true), si(2));
        let d = Dec::parse("-0.5").unwrap();
        assert_eq!(int_lower(&d, false), si(0));
        assert_eq!(int_upper(&d, false), si(-1));
    }

    #[test]
    fn dec_ranges_brute() {
        type Case<'a> = (Option<(&'a str, bool)>, Option<(&'a str, bool)>, Option<usize>);
        let cases: &[Case] = &[
            (Some(("0", false)), Some(("1", false)), None),
            (Some(("0", true)), Some(("1", true)), None),
            (Some(("-1.5", false)), Some(("2.25", true)), None),
            (Some(("0.05", false)), None, None),
            (None, Some(("-0.3", false)), None),
            (Some(("-10", false)), Some(("10", false)), Some(2)),
            (Some(("1.5", true)), Some(("1.75", false)), None),
        ];
        for &(lo, hi, mf) in cases {
            let l = lo.map(|(s, e)| (Dec::parse(s).unwrap(), e));
            let h = hi.map(|(s, e)| (Dec::parse(s).unwrap(), e));
            let r = dec_range(l.as_ref(), h.as_ref(), mf).unwrap();
            for i in -300i64..300 {
                for s in [
                    format!("{}", i as f64 / 100.0),
                    format!("{}.{:03}", i / 100, (i % 100).abs() * 10),
                ] {
                    if s.starts_with("-0.") && i / 100 == 0 && !s.contains('e') {
                        // "-0.x" spelled by format! for small negatives is fine
                    }
                    let Some(d) = Dec::parse(&s) else { continue };
                    let ok_lo = l.as_ref().is_none_or(|(b, e)| {
                        let c = d.cmp(b);
                        c == std::cmp::Ordering::Greater || (!e && c == std::cmp::Ordering::Equal)
                    });
                    let ok_hi = h.as_ref().is_none_or(|(b, e)| {
                        let c = d.cmp(b);
                        c == std::cmp::Ordering::Less || (!e && c == std::cmp::Ordering::Equal)
                    });
                    let digits = s.split_once('.').map_or(0, |(_, f)| f.len());
                    let ok_mf = mf.is_none_or(|m| digits <= m);
                    // "-0" style strings only when negative.
                    let neg_zero = s.starts_with('-') && d.is_zero();
                    if neg_zero {
                        continue;
                    }
                    assert_eq!(
                        accepts(&r, &s),
                        ok_lo && ok_hi && ok_mf,
                        "{lo:?} {hi:?} {mf:?} {s} {r}"
                    );
                }
            }
        }
    }
}
