//! Shared test harness for the maskwell workspace.
//!
//! - **Paths**: [`fixture`] (files in `vocab-fixtures/`, always present), [`schemas_dir`],
//!   [`workspace_root`].
//! - **Shared data** beside the repository (`../shared`, or `$MASKWELL_SHARED`):
//!   [`shared_dir`], the [`require_shared!`] macro that skips a test with a printed reason
//!   when the folder is absent, and [`shared_vocabs`], the real tokenizers listed in
//!   `vocab/index.json` with their end-of-sequence ids.
//! - **Fixtures**: [`FIXTURES`] (file, kind, width, end-of-sequence and special ids of each
//!   tokenizer in `vocab-fixtures/`).
//! - **Tokenization**: [`load_tokenizer`], [`encode_continuation`] (the ids a model emits to
//!   produce exactly a given text), [`TokenBytes`] and [`tokens_bytes`] (token → bytes read
//!   from the tokenizer independently of `maskwell-vocab`, to check it against),
//!   [`vocab_kind`], [`unicode_normalize`]. The `tokenizers` crate is re-exported.
//! - **Text**: [`corpus`], varied texts for round-trip tests.
//!
//! Helpers panic with a clear message on broken fixtures or malformed shared files: they are
//! for tests only.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
pub use tokenizers;
use tokenizers::normalizers::{NFC, NFD, NFKC, NFKD};
use tokenizers::{Model, NormalizedString, Normalizer, Tokenizer};

/// The environment variable that points at the shared data folder, overriding `../shared`.
pub const SHARED_ENV: &str = "MASKWELL_SHARED";

/// When this environment variable is set (to anything but `0` or empty), a missing shared
/// folder fails the test instead of skipping it, so a CI job that has the data cannot pass
/// without running the tests that need it.
pub const REQUIRE_SHARED_ENV: &str = "MASKWELL_REQUIRE_SHARED";

/// The message printed when a test skips for want of the shared folder.
pub const SKIP_MESSAGE: &str = "skipping: ../shared not found (set MASKWELL_SHARED)";

/// The workspace root (the folder of the root `Cargo.toml`).
#[must_use]
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| manifest.to_path_buf(), Path::to_path_buf)
}

/// The path of a file in `vocab-fixtures/`, such as [`SP32000`].
///
/// # Panics
///
/// When the file does not exist (the fixtures are part of the repository).
#[must_use]
pub fn fixture(name: &str) -> PathBuf {
    let path = workspace_root().join("vocab-fixtures").join(name);
    assert!(path.is_file(), "fixture {} not found (see vocab-fixtures/README.md)", path.display());
    path
}

/// The `schemas/` folder of example schemas and curated cases (it may not exist yet).
#[must_use]
pub fn schemas_dir() -> PathBuf {
    workspace_root().join("schemas")
}

/// The shared data folder: `$MASKWELL_SHARED` when set, else `../shared` beside the
/// workspace root; `None` when that folder does not exist.
#[must_use]
pub fn shared_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os(SHARED_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("..").join("shared"),
    };
    dir.is_dir().then_some(dir)
}

/// [`shared_dir`], or `None` after printing [`SKIP_MESSAGE`] to stderr (with `context`, a
/// test or file name, in front when it is not empty; when `$MASKWELL_SHARED` is set, the
/// message names it instead).
///
/// # Panics
///
/// When the folder is absent and `$MASKWELL_REQUIRE_SHARED` is set.
#[must_use]
pub fn shared_dir_or_skip(context: &str) -> Option<PathBuf> {
    let dir = shared_dir();
    if dir.is_none() {
        let required = std::env::var(REQUIRE_SHARED_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
        assert!(
            !required,
            "{REQUIRE_SHARED_ENV} is set but ../shared was not found (set {SHARED_ENV})"
        );
        let message = match std::env::var_os(SHARED_ENV) {
            Some(dir) if !dir.is_empty() => {
                format!("skipping: {SHARED_ENV}={} is not a directory", Path::new(&dir).display())
            }
            _ => SKIP_MESSAGE.to_owned(),
        };
        if context.is_empty() {
            eprintln!("{message}");
        } else {
            eprintln!("{context}: {message}");
        }
    }
    dir
}

/// Evaluates to the shared data folder ([`shared_dir`]), or prints
/// `skipping: ../shared not found (set MASKWELL_SHARED)` and returns from the enclosing
/// function when it is absent.
///
/// `require_shared!()` returns `()`; `require_shared!(value)` returns `value` (for tests
/// that return a `Result`, say `require_shared!(Ok(()))`).
///
/// ```
/// fn a_test() {
///     let shared = maskwell_test::require_shared!();
///     assert!(shared.is_dir());
/// }
/// # a_test();
/// ```
#[macro_export]
macro_rules! require_shared {
    () => {
        $crate::require_shared!(())
    };
    ($ret:expr) => {
        match $crate::shared_dir_or_skip(module_path!()) {
            ::std::option::Option::Some(dir) => dir,
            ::std::option::Option::None => return $ret,
        }
    };
}

/// One real tokenizer of the shared `vocab/` folder, as `vocab/index.json` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedVocab {
    /// The file name, such as `llama3.tokenizer.json`.
    pub file: String,
    /// The full path of the file.
    pub path: PathBuf,
    /// The model family, in words.
    pub family: String,
    /// The ids a decoder stops on, as listed (not sorted).
    pub eos_ids: Vec<u32>,
    /// The beginning-of-sequence id, when the tokenizer has one.
    pub bos_id: Option<u32>,
    /// Largest id + 1: the width a logits row needs (o200k has gaps, so this exceeds the
    /// number of entries there).
    pub width: usize,
    /// The number of vocabulary entries (ids in use).
    pub entries: usize,
    /// The file's sha256, lowercase hex.
    pub sha256: String,
}

/// The tokenizers listed in the shared `vocab/index.json`, in its order; empty when the
/// shared folder is absent (use [`require_shared!`] first to print why a test skips).
///
/// # Panics
///
/// When the shared folder exists but `vocab/index.json` is missing or malformed.
#[must_use]
pub fn shared_vocabs() -> Vec<SharedVocab> {
    let Some(shared) = shared_dir() else { return Vec::new() };
    let dir = shared.join("vocab");
    let index = dir.join("index.json");
    let text = std::fs::read_to_string(&index)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", index.display()));
    let value: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", index.display()));
    let entries =
        value.as_array().unwrap_or_else(|| panic!("{}: expected an array", index.display()));
    entries
        .iter()
        .map(|entry| {
            let field = |name: &str| {
                entry
                    .get(name)
                    .unwrap_or_else(|| panic!("{}: entry without {name:?}", index.display()))
            };
            let uint = |name: &str| {
                field(name)
                    .as_u64()
                    .unwrap_or_else(|| panic!("{}: {name:?} is not a number", index.display()))
            };
            let string = |name: &str| {
                field(name)
                    .as_str()
                    .unwrap_or_else(|| panic!("{}: {name:?} is not a string", index.display()))
                    .to_owned()
            };
            let file = string("file");
            let eos_ids = field("eos_ids")
                .as_array()
                .and_then(|ids| ids.iter().map(|id| id.as_u64().map(|id| id as u32)).collect())
                .unwrap_or_else(|| panic!("{}: bad eos_ids for {file}", index.display()));
            SharedVocab {
                path: dir.join(&file),
                family: string("family"),
                eos_ids,
                bos_id: field("bos_id").as_u64().map(|id| id as u32),
                width: uint("max_id_plus_1") as usize,
                entries: uint("vocab_entries") as usize,
                sha256: string("sha256"),
                file,
            }
        })
        .collect()
}

/// How a tokenizer's model tokens are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VocabKind {
    /// Byte-level BPE: each byte is one character of the GPT-2 alphabet (`Ġ` = space).
    ByteLevel,
    /// SentencePiece: `▁` for a space, `<0xNN>` byte-fallback tokens, a `▁` dummy prefix
    /// added by the normalizer.
    SentencePiece,
}

/// A tokenizer file of `vocab-fixtures/` and the facts tests check about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixtureVocab {
    /// The file name, for [`fixture`].
    pub file: &'static str,
    /// How its tokens are written.
    pub kind: VocabKind,
    /// Largest id + 1.
    pub width: usize,
    /// The end-of-sequence ids, increasing.
    pub eos_ids: &'static [u32],
    /// Every special added token's id, increasing (the end-of-sequence ones included).
    pub special_ids: &'static [u32],
    /// The beginning-of-sequence id, when the tokenizer has one.
    pub bos_id: Option<u32>,
}

/// SentencePiece BPE, 32,000 tokens, byte fallback at ids 3..=258 (Mistral 7B v0.1 style).
pub const SP32000: &str = "sp32000.tokenizer.json";
/// Byte-level BPE reduced from Qwen3: 256 bytes + 4,000 tokens + 3 special tokens, NFC.
pub const BYTELEVEL4K: &str = "bytelevel4k.tokenizer.json";
/// Byte-level BPE reduced from Qwen3: 256 bytes + 44 tokens + 3 special tokens, NFC.
pub const BYTELEVEL300: &str = "bytelevel300.tokenizer.json";

/// Every tokenizer of `vocab-fixtures/`, smallest first.
pub const FIXTURES: &[FixtureVocab] = &[
    FixtureVocab {
        file: BYTELEVEL300,
        kind: VocabKind::ByteLevel,
        width: 303,
        eos_ids: &[300, 302],
        special_ids: &[300, 301, 302],
        bos_id: None,
    },
    FixtureVocab {
        file: BYTELEVEL4K,
        kind: VocabKind::ByteLevel,
        width: 4259,
        eos_ids: &[4256, 4258],
        special_ids: &[4256, 4257, 4258],
        bos_id: None,
    },
    FixtureVocab {
        file: SP32000,
        kind: VocabKind::SentencePiece,
        width: 32000,
        eos_ids: &[2],
        special_ids: &[0, 1, 2],
        bos_id: Some(1),
    },
];

/// Loads a `tokenizer.json` for tests, with special-token strings in input text encoded as
/// plain text (`set_encode_special_tokens(true)`): constrained output never contains special
/// tokens, so text that spells one is made of ordinary tokens.
///
/// # Panics
///
/// When the file cannot be loaded.
#[must_use]
pub fn load_tokenizer(path: impl AsRef<Path>) -> Tokenizer {
    let path = path.as_ref();
    let mut tokenizer = Tokenizer::from_file(path)
        .unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()));
    tokenizer.set_encode_special_tokens(true);
    tokenizer
}

/// How `tokenizer` writes bytes in its model tokens, read from its decoder: `ByteLevel` for
/// a `ByteLevel` decoder, `SentencePiece` for `Metaspace`, `ByteFallback` or a `▁`
/// replacement, `None` (plain UTF-8 text tokens) otherwise.
#[must_use]
pub fn vocab_kind(tokenizer: &Tokenizer) -> Option<VocabKind> {
    let decoder = tokenizer.get_decoder()?;
    let json = serde_json::to_string(decoder).unwrap_or_default();
    if json.contains(r#""type":"ByteLevel""#) {
        Some(VocabKind::ByteLevel)
    } else if json.contains(r#""type":"Metaspace""#)
        || json.contains(r#""type":"ByteFallback""#)
        || json.contains('\u{2581}')
    {
        Some(VocabKind::SentencePiece)
    } else {
        None
    }
}

/// GPT-2's `bytes_to_unicode`: printable bytes stand for themselves, the other bytes, in
/// order, for U+0100 onwards. Returns the inverse, character → byte.
fn gpt2_decoder() -> HashMap<char, u8> {
    let mut printable: Vec<u32> = (u32::from(b'!')..=u32::from(b'~')).collect();
    printable.extend(0xa1..=0xac);
    printable.extend(0xae..=0xff);
    let mut map = HashMap::with_capacity(256);
    let mut next = 0x100;
    for b in 0..=255u8 {
        let c = if printable.contains(&u32::from(b)) {
            u32::from(b)
        } else {
            next += 1;
            next - 1
        };
        map.insert(char::from_u32(c).expect("a valid char"), b);
    }
    map
}

/// Token id → the bytes it emits, computed from the tokenizer alone (token strings and
/// decoder type), independently of `maskwell-vocab`, so tests can check one against the
/// other: byte-level tokens through the GPT-2 alphabet, SentencePiece tokens with `▁` as a
/// space and `<0xNN>` as one byte, added tokens as their literal text.
///
/// Build one per tokenizer and reuse it; [`tokens_bytes`] is the one-off form.
#[derive(Debug)]
pub struct TokenBytes<'a> {
    tokenizer: &'a Tokenizer,
    kind: Option<VocabKind>,
    gpt2: HashMap<char, u8>,
}

impl<'a> TokenBytes<'a> {
    /// Reads the tokenizer's scheme ([`vocab_kind`]).
    #[must_use]
    pub fn new(tokenizer: &'a Tokenizer) -> TokenBytes<'a> {
        TokenBytes { tokenizer, kind: vocab_kind(tokenizer), gpt2: gpt2_decoder() }
    }

    /// The scheme read from the decoder.
    #[must_use]
    pub fn kind(&self) -> Option<VocabKind> {
        self.kind
    }

    /// The bytes token `id` emits; `None` when the id is unused or a byte-level token has a
    /// character outside the alphabet.
    #[must_use]
    pub fn bytes(&self, id: u32) -> Option<Vec<u8>> {
        if let Some(content) = self.tokenizer.get_added_vocabulary().simple_id_to_token(id) {
            return Some(content.into_bytes());
        }
        let token = self.tokenizer.get_model().id_to_token(id)?;
        match self.kind {
            None => Some(token.into_bytes()),
            Some(VocabKind::ByteLevel) => {
                token.chars().map(|c| self.gpt2.get(&c).copied()).collect()
            }
            Some(VocabKind::SentencePiece) => {
                let hex = token.strip_prefix("<0x").and_then(|t| t.strip_suffix('>'));
                if let Some(byte) = hex
                    .filter(|h| h.len() == 2 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    return Some(vec![byte]);
                }
                Some(token.replace('\u{2581}', " ").into_bytes())
            }
        }
    }

    /// The bytes of `ids`, concatenated; `None` when one has none.
    #[must_use]
    pub fn concat(&self, ids: &[u32]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for &id in ids {
            out.extend(self.bytes(id)?);
        }
        Some(out)
    }
}

/// The bytes that the tokens `ids` emit, concatenated, computed as [`TokenBytes`] does.
/// `None` when an id is unused or a byte-level token has a character outside the alphabet.
#[must_use]
pub fn tokens_bytes(tokenizer: &Tokenizer, ids: &[u32]) -> Option<Vec<u8>> {
    TokenBytes::new(tokenizer).concat(ids)
}

/// Whether any of `ids` is a special added token.
fn has_special(tokenizer: &Tokenizer, ids: &[u32]) -> bool {
    let added = tokenizer.get_added_vocabulary();
    ids.iter().any(|&id| added.simple_id_to_token(id).is_some_and(|t| added.is_special_token(&t)))
}

/// The token ids a model emits to produce exactly `text` as a continuation of its output:
/// no BOS or other post-processing (`add_special_tokens = false`), and for SentencePiece
/// tokenizers, whose normalizer prepends a `▁` dummy prefix to the input, the tokens of
/// `"\n" + text` after the newline's (the text as it is tokenized in mid-output).
///
/// Returns `None` unless the tokens' bytes ([`tokens_bytes`]) concatenate to exactly
/// `text` and none of them is special. That fails when the tokenizer's normalizer rewrites
/// the text (Qwen's NFC: pass [`unicode_normalize`]'s result instead) or when the text
/// spells a special token and the tokenizer was not loaded with [`load_tokenizer`].
///
/// # Panics
///
/// When the tokenizer fails to encode (its pre-tokenizer regex erred).
#[must_use]
pub fn encode_continuation(tokenizer: &Tokenizer, text: &str) -> Option<Vec<u32>> {
    let map = TokenBytes::new(tokenizer);
    let encode = |input: &str| -> Vec<u32> {
        tokenizer
            .encode_fast(input, false)
            .unwrap_or_else(|e| panic!("cannot encode {input:?}: {e}"))
            .get_ids()
            .to_vec()
    };
    let accept = |ids: Vec<u32>| -> Option<Vec<u32>> {
        (map.concat(&ids)?.as_slice() == text.as_bytes() && !has_special(tokenizer, &ids))
            .then_some(ids)
    };
    let direct = encode(text);
    if map.concat(&direct).is_some_and(|b| b == text.as_bytes()) {
        return accept(direct);
    }
    if map.kind != Some(VocabKind::SentencePiece) {
        return None;
    }
    // The dummy prefix lands before the newline; the text after it is tokenized as it is
    // anywhere else in a document. Cut after the token that ends the prefix's bytes.
    let prefix = map.concat(&encode("\n"))?;
    let ids = encode(&format!("\n{text}"));
    let mut len = 0;
    for (i, &id) in ids.iter().enumerate() {
        if len == prefix.len() {
            let head = map.concat(&ids[..i])?;
            return (head == prefix).then(|| accept(ids[i..].to_vec())).flatten();
        }
        len += map.bytes(id)?.len();
        if len > prefix.len() {
            return None;
        }
    }
    (len == prefix.len() && text.is_empty()).then(Vec::new)
}

/// `text` under the Unicode normalization the tokenizer's normalizer applies (NFC for Qwen,
/// looked for inside a normalizer sequence too); `text` unchanged when it applies none.
/// Other normalizer steps (SentencePiece's prefix and space replacement) are not applied.
#[must_use]
pub fn unicode_normalize(tokenizer: &Tokenizer, text: &str) -> String {
    let json = tokenizer
        .get_normalizer()
        .map(|n| serde_json::to_string(n).unwrap_or_default())
        .unwrap_or_default();
    let mut normalized = NormalizedString::from(text);
    let result = if json.contains(r#""type":"NFC""#) {
        NFC.normalize(&mut normalized)
    } else if json.contains(r#""type":"NFKC""#) {
        NFKC.normalize(&mut normalized)
    } else if json.contains(r#""type":"NFD""#) {
        NFD.normalize(&mut normalized)
    } else if json.contains(r#""type":"NFKD""#) {
        NFKD.normalize(&mut normalized)
    } else {
        return text.to_owned();
    };
    result.unwrap_or_else(|e| panic!("cannot normalize {text:?}: {e}"));
    normalized.get().to_owned()
}

/// One text of the [`corpus`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorpusText {
    /// A short name for messages.
    pub name: &'static str,
    /// The text.
    pub text: String,
}

/// Varied texts for round-trip tests: prose, code, JSON with escapes, many scripts, CJK
/// (astral too), emoji with ZWJ sequences, skin tones, flags and tag sequences, whitespace
/// runs, every ASCII and C1 control character, NBSP and other spaces, line separators,
/// combining marks (some texts are not in NFC on purpose), strings that spell special
/// tokens, long runs and the empty text.
///
/// No text contains `▁` (U+2581): a SentencePiece tokenizer reads it as a space, so such
/// text has no exact encoding there.
#[must_use]
pub fn corpus() -> Vec<CorpusText> {
    let mut texts: Vec<(&'static str, String)> =
        STATIC_CORPUS.iter().map(|&(n, t)| (n, t.to_owned())).collect();
    texts.push(("ascii_all", (0u8..0x80).map(char::from).collect()));
    texts.push(("c1_controls", (0x80u32..0xa0).filter_map(char::from_u32).collect()));
    texts.push(("latin1_upper", (0xa0u32..=0xff).filter_map(char::from_u32).collect()));
    texts.push(("space_runs", (1..=40).map(|n| format!("w{n}{}", " ".repeat(n))).collect()));
    texts.push((
        "tab_newline_runs",
        (1..=12).map(|n| format!("{}x{}", "\t".repeat(n), "\n".repeat(n))).collect(),
    ));
    texts.push(("crlf_runs", (1..=8).map(|n| format!("line{}", "\r\n".repeat(n))).collect()));
    texts.push(("long_letter_run", "a".repeat(300)));
    texts.push((
        "long_symbol_runs",
        format!("{}\n{}\n{}", "=".repeat(120), "-".repeat(77), "*".repeat(33)),
    ));
    texts.push(("long_digits", "1234567890".repeat(20)));
    texts.push(("long_cjk", "的一是不了人我在有他这为之大来以个中上们".repeat(10)));
    texts.into_iter().map(|(name, text)| CorpusText { name, text }).collect()
}

const STATIC_CORPUS: &[(&str, &str)] = &[
    ("empty", ""),
    ("single_letter", "a"),
    ("single_space", " "),
    ("single_newline", "\n"),
    (
        "english",
        "The quick brown fox jumps over the lazy dog. It's 9 o'clock; we'll see, won't we? \
         “Smart quotes” and ‘single ones’ — dashes – and ellipses…",
    ),
    ("leading_space", " leading space and trailing space "),
    ("leading_newlines", "\n\nstarts with two newlines"),
    (
        "python",
        "def fib(n: int) -> int:\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n\n\nif __name__ == \"__main__\":\n\tprint(fib(10))  # 55\n",
    ),
    (
        "rust",
        "fn main() {\n    let v: Vec<u32> = (0..10).map(|x| x * x).collect();\n    println!(\"{v:?} {}\", v.iter().sum::<u32>());\n    // r#\"raw\"# &'static str\n}\n",
    ),
    (
        "json_escapes",
        r#"{"name": "Ann \"the\" Coder", "path": "C:\\Users\\ann\\file.txt", "text": "line1\nline2\ttab\r\n", "uni": "\u00e9\u4e2d\ud83d\ude00", "ctrl": "\u0000\u001f", "n": [0, -1, 2.5e-10, 1E+3, true, false, null], "empty": {}, "arr": [[], [[]]]}"#,
    ),
    (
        "json_pretty",
        "{\n  \"id\": 12345,\n  \"tags\": [\n    \"a\",\n    \"b c\"\n  ],\n  \"nested\": {\n    \"deep\": {\n      \"value\": \"naïve café\"\n    }\n  }\n}",
    ),
    ("json_raw_unicode", "{\"emoji\":\"😀\",\"cjk\":\"中文\",\"nbsp\":\"a\u{a0}b\",\"rtl\":\"שלום\"}"),
    ("greek_cyrillic", "Ελληνικά: γειά σου κόσμε. Русский: Съешь же ещё этих мягких французских булок."),
    ("arabic_hebrew", "العربية: مرحبًا بالعالم. עברית: שָׁלוֹם עוֹלָם."),
    ("indic_thai", "हिन्दी: नमस्ते दुनिया। ไทย: สวัสดีชาวโลก தமிழ்"),
    ("chinese", "中文：你好，世界！这是一个测试。繁體字：書畫。"),
    ("japanese", "日本語：こんにちは世界。カタカナとひらがな、漢字。ｈａｌｆ－ｗｉｄｔｈ ｶﾀｶﾅ"),
    ("korean", "한국어: 안녕하세요 세계"),
    ("astral_cjk", "𠀀𠀁𠜎𡃁𪚥 CJK Ext B 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math 𝟘𝟙𝟚"),
    ("vietnamese", "Tiếng Việt: Xin chào thế giới, đường phố Hà Nội."),
    ("emoji_zwj", "family 👨\u{200d}👩\u{200d}👧\u{200d}👦 coder 👩🏽\u{200d}💻 heart ❤\u{fe0f}\u{200d}🔥 rainbow 🏳\u{fe0f}\u{200d}🌈"),
    ("emoji_skin_keycap", "👍🏻👍🏼👍🏽👍🏾👍🏿 1\u{fe0f}\u{20e3} #\u{fe0f}\u{20e3} ✌\u{fe0e}"),
    ("flags", "🇯🇵🇺🇸🇫🇷🇺🇦 🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f} 🇦"),
    ("nbsp_spaces", "a\u{a0}b\u{2007}c\u{202f}d\u{3000}e\u{2003}f\u{200b}g\u{feff}h \u{a0} \u{a0}\u{a0}"),
    ("line_separators", "one\u{2028}two\u{2029}three\u{85}four\u{b}five\u{c}six\rseven"),
    ("combining_nfc_stable", "q\u{307}\u{323} x\u{308} Z\u{336}\u{334}\u{335}a\u{33e}\u{33f}l\u{346}g\u{34a}o"),
    ("combining_not_nfc", "cafe\u{301} A\u{30a}ngstro\u{308}m \u{212b} \u{1100}\u{1161}\u{11a8} \u{f900} e\u{301}\u{302}"),
    ("unicode_edges", "\u{fffd}\u{ffff}\u{e000}\u{f8ff}\u{10ffff}\u{1f600}\u{7f}"),
    ("special_token_strings", "<|endoftext|> <|im_start|>user\n<|im_end|> <s> </s> <unk> [INST] <0x0A> ĠĊ"),
    ("url_markdown", "# Title\n\n* [link](https://example.com/a?b=c&d=%20e#frag)\n* `code` **bold** _it_\n\n| a | b |\n|---|---|\n"),
    ("sql_shell", "SELECT id, name FROM users WHERE name LIKE '%o''neil%';\n$ ls -la | grep \"*.rs\" && echo $HOME 2>&1 >/dev/null\n"),
    ("mixed_scripts", "Hello世界мир🌍 ١٢٣ ½ ² Ⅻ ﬁ"),
];

/// A seeded xorshift generator for the tests' random walks: reproducible from the seed, no
/// dependency.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator for `seed` (any value; zero is mapped away from the fixed point).
    #[must_use]
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// One of `items`, uniformly enough for a test.
    ///
    /// # Panics
    ///
    /// When `items` is empty.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        items[(self.0 % items.len() as u64) as usize]
    }
}
