//! HuggingFace `tokenizer.json` files from arbitrary bytes.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use maskwell_index::Index;
use maskwell_vocab::{encode_continuation, load_tokenizer, ErrorKind, TokenId, Vocabulary};

use crate::regex::small_index_config;

/// Loads the input as a `tokenizer.json` through maskwell's file entry points and checks
/// that no panic escapes them: the `tokenizers` crate may panic on malformed files, and
/// maskwell must turn that into an error.
///
/// The bytes are written to a temporary file because the vocabulary loaders take a path,
/// and the path is what the CLI and the Python binding call. When the file loads (with the
/// end-of-sequence token detected or, failing that, id 0), a small index is built over the
/// vocabulary and a short text is tokenized as a continuation, the two uses a loaded
/// tokenizer gets.
pub fn tokenizer_file(data: &[u8]) {
    let file = TempFile::new(data);
    let vocab = match Vocabulary::builder().build_from_file(&file.0) {
        Err(e) if e.kind() == ErrorKind::NoEos => {
            Vocabulary::builder().eos([TokenId::new(0)]).build_from_file(&file.0)
        }
        other => other,
    };
    let Ok(vocab) = vocab else { return };
    if vocab.width() <= 4096 {
        let _ = Index::builder().configure(small_index_config()).build("[a-z ]{1,4}", &vocab);
    }
    if let Ok(tokenizer) = load_tokenizer(&file.0) {
        let _ = encode_continuation(&tokenizer, &vocab, "ab 12");
    }
}

/// Lets panics raised inside the `tokenizers` crate unwind instead of aborting.
///
/// libFuzzer's panic hook aborts on every panic, even one that is caught later, but
/// maskwell deliberately catches the tokenizer library's panics and reports them as
/// errors. The fuzz target installs this filter over that hook: a panic whose location is in
/// the `tokenizers` sources unwinds (to maskwell's guard, or, if maskwell has no guard there,
/// to the fuzzer's own `catch_unwind`, which reports it as a crash); every other panic goes
/// to the previous hook as before.
pub fn unwinds_inside_tokenizers() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let inside = info.location().is_some_and(|l| l.file().contains("/tokenizers-"));
        if inside {
            // Said once per panic, so that a panic maskwell fails to catch can be read.
            eprintln!("unwinding from a panic inside tokenizers: {info}");
        } else {
            previous(info);
        }
    }));
}

/// A uniquely named file holding the input, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(data: &[u8]) -> TempFile {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("maskwell-fuzz-{}-{n}.tokenizer.json", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, data).expect("the temporary directory is writable");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
