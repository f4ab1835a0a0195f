//! `format` values, each translated to an anchored ECMA-262 pattern that only matches
//! strings every common validator accepts (a sound subset where the full grammar is too
//! large, e.g. no leap seconds and only `T`/`Z` in upper case).
//!
//! Besides the JSON Schema formats, three OpenAPI ones are known (`byte`: padded base64,
//! `binary` and `password`: any string) and `url` is read as `uri`. The internationalized
//! formats (`iri`, `iri-reference`, `idn-email`, `idn-hostname`) are generated as their
//! ASCII forms, which every validator accepts as internationalized ones too.

const DATE: &str = r"\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|02-(?:0[1-9]|1\d|2[0-8]))|(?:\d\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29";
const TIME: &str =
    r"(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)";
// No `-` at the third position, so no `--` at positions 3-4 (IDNA A-labels, `xn--`).
const LABEL: &str =
    r"[A-Za-z0-9](?:[A-Za-z0-9]|[A-Za-z0-9-][A-Za-z0-9](?:[A-Za-z0-9-]{0,59}[A-Za-z0-9])?)?";
const TLD: &str =
    r"[A-Za-z](?:[A-Za-z0-9]|[A-Za-z0-9-][A-Za-z0-9](?:[A-Za-z0-9-]{0,59}[A-Za-z0-9])?)?";
const SEG_CHAR: &str = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})";
const QF_CHAR: &str = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})";
const H16: &str = "[0-9a-fA-F]{1,4}";
const POINTER: &str = "(?:/(?:[^~/]|~[01])*)*";

/// The anchored pattern for a known string `format` (empty for a format that allows any
/// string), or `None` if it is unknown.
pub(crate) fn pattern(format: &str) -> Option<String> {
    let host = format!("(?:{LABEL}\\.){{0,2}}{TLD}");
    let uri = format!(
        "[A-Za-z][A-Za-z0-9+.-]*://{host}(?::\\d{{1,5}})?(?:/{SEG_CHAR}*)*(?:\\?{QF_CHAR}*)?(?:#{QF_CHAR}*)?"
    );
    let ipv4_octet = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)";
    let h = H16;
    let p = match format {
        "date" => format!("^(?:{DATE})$"),
        "time" => format!("^{TIME}$"),
        "date-time" => format!("^(?:{DATE})T{TIME}$"),
        "duration" => {
            let t = r"T(?:\d+H(?:\d+M(?:\d+S)?)?|\d+M(?:\d+S)?|\d+S)";
            format!(r"^P(?:(?:\d+D|\d+M(?:\d+D)?|\d+Y(?:\d+M(?:\d+D)?)?)(?:{t})?|{t}|\d+W)$")
        }
        "email" => format!(
            r"^[A-Za-z0-9_+-]{{1,32}}(?:\.[A-Za-z0-9_+-]{{1,15}})?@(?:{LABEL}\.){{1,2}}{TLD}$"
        ),
        "hostname" => format!("^{host}$"),
        "ipv4" => format!(r"^{ipv4_octet}(?:\.{ipv4_octet}){{3}}$"),
        "ipv6" => format!(
            "^(?:(?:{h}:){{7}}{h}|(?:{h}:){{1,7}}:|(?:{h}:){{1,6}}:{h}|(?:{h}:){{1,5}}(?::{h}){{1,2}}|(?:{h}:){{1,4}}(?::{h}){{1,3}}|(?:{h}:){{1,3}}(?::{h}){{1,4}}|(?:{h}:){{1,2}}(?::{h}){{1,5}}|{h}:(?::{h}){{1,6}}|:(?:(?::{h}){{1,7}}|:))$"
        ),
        "uuid" => "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$".into(),
        "uri" => format!("^{uri}$"),
        "uri-reference" => format!(
            "^(?:{uri}|/?[A-Za-z0-9._~!$&'()*+,;=@-]+(?:/{SEG_CHAR}*)*(?:\\?{QF_CHAR}*)?(?:#{QF_CHAR}*)?|#{QF_CHAR}*)$"
        ),
        "json-pointer" => format!("^{POINTER}$"),
        "relative-json-pointer" => format!("^(?:0|[1-9][0-9]{{0,8}})(?:#|{POINTER})$"),
        // RFC 6570: literals (no `'`, `%` only as an escape) and `{name}` expressions
        // with an optional operator and comma-separated variables.
        "uri-template" => {
            let var = "[A-Za-z0-9_]+(?:\\*|:[1-9][0-9]{0,3})?";
            format!(
                "^(?:[A-Za-z0-9._~!$&()*+,;=:@/?#\\[\\]-]|%[0-9A-Fa-f]{{2}}|\\{{[+#./;?&]?{var}(?:,{var})*\\}})*$"
            )
        }
        // OpenAPI: base64 with padding, and two formats that are hints about any string.
        "byte" => "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$".into(),
        "binary" | "password" => String::new(),
        // A common spelling of `uri`, asserted by no validator.
        "url" => format!("^{uri}$"),
        "iri" => return pattern("uri"),
        "iri-reference" => return pattern("uri-reference"),
        "idn-email" => return pattern("email"),
        "idn-hostname" => return pattern("hostname"),
        _ => return None,
    };
    Some(p)
}

/// Formats that validators assert but this crate cannot generate: never ignored, even with
/// `UnknownFormat::Ignore`.
pub(crate) fn is_asserted_elsewhere(format: &str) -> bool {
    matches!(format, "regex" | "date-time-local" | "color")
}

/// Formats that only describe non-string instances (OpenAPI numeric formats): they never
/// constrain a string and validators ignore them.
pub(crate) fn is_numeric_format(format: &str) -> bool {
    matches!(
        format,
        "int8"
            | "int16"
            | "int32"
            | "int64"
            | "uint8"
            | "uint16"
            | "uint32"
            | "uint64"
            | "float"
            | "double"
            | "decimal"
            | "integer"
            | "number"
    )
}

/// The integer range an OpenAPI integer format implies (tightening integers is sound).
pub(crate) fn int_format_range(format: &str) -> Option<(i128, i128)> {
    Some(match format {
        "int8" => (-128, 127),
        "int16" => (-32768, 32767),
        "int32" => (i128::from(i32::MIN), i128::from(i32::MAX)),
        "int64" => (i128::from(i64::MIN), i128::from(i64::MAX)),
        "uint8" => (0, 255),
        "uint16" => (0, 65535),
        "uint32" => (0, i128::from(u32::MAX)),
        "uint64" => (0, i128::from(u64::MAX)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecma;

    fn ok(f: &str, s: &str) -> bool {
        ecma::search(&ecma::parse(&pattern(f).unwrap()).unwrap(), s).unwrap()
    }

    #[test]
    fn formats() {
        assert!(ok("date", "2024-02-29"));
        assert!(!ok("date", "2023-02-29"));
        assert!(!ok("date", "2023-04-31"));
        assert!(ok("date-time", "2023-04-30T12:00:00Z"));
        assert!(ok("date-time", "2023-04-30T12:00:00.123+02:00"));
        assert!(!ok("date-time", "2023-04-30 12:00:00Z"));
        assert!(ok("email", "john.doe@example.com"));
        assert!(!ok("email", "john..doe@example.com"));
        assert!(ok("ipv4", "192.168.0.1"));
        assert!(!ok("ipv4", "192.168.0.01"));
        assert!(ok("ipv6", "::1"));
        assert!(ok("ipv6", "2001:db8::8a2e:370:7334"));
        assert!(!ok("ipv6", "2001:db8:::1"));
        assert!(ok("uuid", "123e4567-e89b-12d3-a456-426614174000"));
        assert!(ok("uri", "https://example.com/a/b?x=1#f"));
        assert!(!ok("uri", "example.com"));
        assert!(ok("duration", "P1Y2M3DT4H5M6S"));
        assert!(ok("duration", "P4W"));
        assert!(!ok("duration", "P"));
        assert!(!ok("duration", "PT"));
        assert!(ok("json-pointer", "/a~1b/c"));
        assert!(!ok("json-pointer", "a"));
        assert!(ok("hostname", "www.example.com"));
        assert!(!ok("hostname", "-a.com"));
        assert!(!ok("hostname", "xn--hello-txk"));
        assert!(ok("hostname", "a-b.c-d.com"));
        assert!(ok("time", "12:00:00Z"));
        assert!(ok("relative-json-pointer", "0"));
        assert!(ok("relative-json-pointer", "1/a~0b"));
        assert!(ok("relative-json-pointer", "2#"));
        assert!(!ok("relative-json-pointer", "01/a"));
        assert!(!ok("relative-json-pointer", "-1"));
        assert!(!ok("relative-json-pointer", "0##"));
        assert!(ok("uri-template", "http://example.com/{user}/items{?page,limit}"));
        assert!(ok("uri-template", "/search{?q*}"));
        assert!(!ok("uri-template", "http://example.com/{term"));
        assert!(!ok("uri-template", "it's"));
        assert!(ok("byte", "U3dhZ2dlciByb2Nrcw=="));
        assert!(ok("byte", ""));
        assert!(!ok("byte", "U3dhZ2dlciByb2Nrcw="));
        assert!(ok("binary", "\u{0}anything"));
        assert!(ok("url", "https://example.com/x"));
        assert!(ok("iri", "https://example.com/x"));
        assert!(ok("idn-hostname", "example.com"));
    }
}
