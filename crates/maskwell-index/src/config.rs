use std::time::Duration;

/// Settings and limits for building an [`Index`](crate::Index).
///
/// Every limit turns a schema or regex that would take unbounded memory or time into an
/// [`Error`](crate::Error) naming the limit. Defaults suit a server that compiles untrusted
/// schemas on a machine with a few GiB to spare; raise them for precompiling large indexes
/// offline.
///
/// ```
/// use maskwell_index::Config;
///
/// let config = Config::new().dfa_size_limit(64 << 20).parallel(false);
/// assert_eq!(config.get_dfa_size_limit(), 64 << 20);
/// assert!(!config.get_parallel());
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    regex_len_limit: usize,
    nest_limit: u32,
    nfa_size_limit: usize,
    dfa_size_limit: usize,
    determinize_size_limit: usize,
    max_dfa_states: usize,
    max_index_states: usize,
    index_size_limit: usize,
    minimize: bool,
    minimize_limit: usize,
    parallel: bool,
    build_mode: BuildMode,
    time_limit: Option<Duration>,
}

/// When the token-level rows of an [`Index`](crate::Index) are computed.
///
/// An eager index walks every reachable state over the vocabulary before it is returned:
/// every later look-up is a table read, and the index can be saved. On a 128k-token
/// vocabulary that costs a fraction of a millisecond per state, so a schema with thousands of
/// states keeps the first request waiting. A lazy index walks only the start state up front
/// and every other state the first time any guide reaches it; the row is then cached and
/// shared by every guide of the index (a cached row costs one atomic load to find). The
/// results are identical: the same tokens are allowed in the same states.
///
/// ```
/// use maskwell_index::{BuildMode, Config, Index};
/// use maskwell_vocab::{TokenId, Vocabulary};
///
/// let vocab = Vocabulary::builder().eos([TokenId::new(0)]).build_from_tokens(
///     std::iter::once(b"</s>".to_vec()).chain((0..=255u8).map(|b| vec![b])),
/// )?;
/// let index = Index::builder()
///     .configure(Config::new().build_mode(BuildMode::Lazy))
///     .build("[0-9]{1,3}", &vocab)?;
/// assert!(index.is_lazy());
/// assert_eq!(index.stats().states, 1); // only the start state so far
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BuildMode {
    /// Walk every reachable state before returning (in parallel when
    /// [`Config::parallel`] is set). Needed to save the index.
    #[default]
    Eager,
    /// Walk the start state now and every other state when a guide first reaches it.
    Lazy,
    /// As [`BuildMode::Lazy`], and complete the rest on a background thread (its own rayon
    /// pool work when [`Config::parallel`] is set) while decoding already runs.
    Background,
}

impl BuildMode {
    /// The mode's name as the CLI and Python spell it: `eager`, `lazy`, `background`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            BuildMode::Eager => "eager",
            BuildMode::Lazy => "lazy",
            BuildMode::Background => "background",
        }
    }
}

impl std::str::FromStr for BuildMode {
    type Err = String;

    fn from_str(s: &str) -> Result<BuildMode, String> {
        match s {
            "eager" => Ok(BuildMode::Eager),
            "lazy" => Ok(BuildMode::Lazy),
            "background" => Ok(BuildMode::Background),
            other => {
                Err(format!("unknown build mode {other:?}: expected eager, lazy or background"))
            }
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            regex_len_limit: 4 << 20,
            nest_limit: 1024,
            nfa_size_limit: 64 << 20,
            dfa_size_limit: 256 << 20,
            determinize_size_limit: 256 << 20,
            max_dfa_states: 1 << 20,
            max_index_states: 1 << 20,
            index_size_limit: 1 << 30,
            minimize: true,
            minimize_limit: 10_000,
            parallel: std::env::var("MASKWELL_PARALLEL").map_or(true, |v| v != "0"),
            build_mode: BuildMode::Eager,
            time_limit: None,
        }
    }
}

impl Config {
    /// The default configuration.
    #[must_use]
    pub fn new() -> Config {
        Config::default()
    }

    /// The longest regex accepted, in bytes. Default: 4 MiB.
    #[must_use]
    pub fn regex_len_limit(mut self, bytes: usize) -> Config {
        self.regex_len_limit = bytes;
        self
    }

    /// The deepest nesting of groups, repetitions and classes the regex may have (the
    /// parser and the NFA compiler recurse on it, so it bounds their stack use; 1,024 levels
    /// fit a 2 MiB thread stack with room to spare). Default: 1,024, the most the schema
    /// compiler emits by default.
    #[must_use]
    pub fn nest_limit(mut self, depth: u32) -> Config {
        self.nest_limit = depth;
        self
    }

    /// See [`Config::nest_limit`].
    #[must_use]
    pub fn get_nest_limit(&self) -> u32 {
        self.nest_limit
    }

    /// Heap memory the regex's NFA may use. Default: 64 MiB.
    #[must_use]
    pub fn nfa_size_limit(mut self, bytes: usize) -> Config {
        self.nfa_size_limit = bytes;
        self
    }

    /// Heap memory the byte DFA may use. Default: 256 MiB.
    #[must_use]
    pub fn dfa_size_limit(mut self, bytes: usize) -> Config {
        self.dfa_size_limit = bytes;
        self
    }

    /// Extra heap memory determinization may use while building the DFA. Default: 256 MiB.
    #[must_use]
    pub fn determinize_size_limit(mut self, bytes: usize) -> Config {
        self.determinize_size_limit = bytes;
        self
    }

    /// The most DFA states that may reach an accepting state. Default: 1,048,576.
    #[must_use]
    pub fn max_dfa_states(mut self, states: usize) -> Config {
        self.max_dfa_states = states;
        self
    }

    /// The most token-level states the index may hold. Default: 1,048,576.
    #[must_use]
    pub fn max_index_states(mut self, states: usize) -> Config {
        self.max_index_states = states;
        self
    }

    /// Heap memory the finished index may use (token lists, transitions, bitmasks).
    /// Default: 1 GiB.
    #[must_use]
    pub fn index_size_limit(mut self, bytes: usize) -> Config {
        self.index_size_limit = bytes;
        self
    }

    /// Whether to minimize the DFA. A minimal DFA has fewer states, so the index walks the
    /// vocabulary fewer times and stores fewer states; minimizing costs time proportional to
    /// the DFA's size. Default: `true`.
    #[must_use]
    pub fn minimize(mut self, yes: bool) -> Config {
        self.minimize = yes;
        self
    }

    /// The largest DFA (in states that can reach a match) that [`Config::minimize`]
    /// minimizes. Minimizing takes time superlinear in the DFA's size (minutes for a DFA of
    /// a few hundred thousand states, longer than walking it), and it cannot be interrupted;
    /// a bigger DFA is used as determinized. Small DFAs are determinized twice (once to
    /// count, once minimized), which costs little next to walking their states. Default:
    /// 10,000.
    #[must_use]
    pub fn minimize_limit(mut self, states: usize) -> Config {
        self.minimize_limit = states;
        self
    }

    /// See [`Config::minimize_limit`].
    #[must_use]
    pub fn get_minimize_limit(&self) -> usize {
        self.minimize_limit
    }

    /// Whether to walk the states of one breadth-first level in parallel on the current
    /// rayon pool. The result is identical either way. Default: `true`, unless the
    /// environment variable `MASKWELL_PARALLEL` is `0`.
    #[must_use]
    pub fn parallel(mut self, yes: bool) -> Config {
        self.parallel = yes;
        self
    }

    /// When the index's rows are computed; see [`BuildMode`]. A lazy mode needs every
    /// byte the language uses to exist as a one-byte token (true of byte-level BPE and of
    /// SentencePiece with byte fallback), so that every state the automaton reaches can be
    /// finished with tokens; otherwise the index is built eagerly, which prunes token-level
    /// dead ends, and [`Stats::mode`](crate::Stats) says so. Default: [`BuildMode::Eager`].
    ///
    /// In the lazy modes, [`Config::index_size_limit`] bounds the background completion
    /// (it stops at the limit); rows walked on demand are always kept, so their memory is
    /// bounded by the states decoding actually visits.
    #[must_use]
    pub fn build_mode(mut self, mode: BuildMode) -> Config {
        self.build_mode = mode;
        self
    }

    /// The longest an eager token-level walk may take: a build (or
    /// [`Index::to_eager`](crate::Index::to_eager)) still walking states when it runs out
    /// fails with [`Error::Limit`](crate::Error) naming `time_limit`, instead of keeping a
    /// caller waiting for minutes on a schema with tens of thousands of states. The clock
    /// starts when the walk does; the DFA before it is bounded by its size limits. It is
    /// checked before each state's walk, so it is overrun by at most one walk (about a
    /// millisecond on a 128k vocabulary). Lazy rows, walked one at a time on demand, are not
    /// limited by it. Default: `None` (no limit: precompiling offline may take long).
    ///
    /// ```
    /// use std::time::Duration;
    /// use maskwell_index::Config;
    ///
    /// let config = Config::new().time_limit(Some(Duration::from_secs(10)));
    /// assert_eq!(config.get_time_limit(), Some(Duration::from_secs(10)));
    /// ```
    #[must_use]
    pub fn time_limit(mut self, limit: Option<Duration>) -> Config {
        self.time_limit = limit;
        self
    }

    /// See [`Config::time_limit`].
    #[must_use]
    pub fn get_time_limit(&self) -> Option<Duration> {
        self.time_limit
    }

    /// See [`Config::build_mode`].
    #[must_use]
    pub fn get_build_mode(&self) -> BuildMode {
        self.build_mode
    }

    /// See [`Config::regex_len_limit`].
    #[must_use]
    pub fn get_regex_len_limit(&self) -> usize {
        self.regex_len_limit
    }

    /// See [`Config::nfa_size_limit`].
    #[must_use]
    pub fn get_nfa_size_limit(&self) -> usize {
        self.nfa_size_limit
    }

    /// See [`Config::dfa_size_limit`].
    #[must_use]
    pub fn get_dfa_size_limit(&self) -> usize {
        self.dfa_size_limit
    }

    /// See [`Config::determinize_size_limit`].
    #[must_use]
    pub fn get_determinize_size_limit(&self) -> usize {
        self.determinize_size_limit
    }

    /// See [`Config::max_dfa_states`].
    #[must_use]
    pub fn get_max_dfa_states(&self) -> usize {
        self.max_dfa_states
    }

    /// See [`Config::max_index_states`].
    #[must_use]
    pub fn get_max_index_states(&self) -> usize {
        self.max_index_states
    }

    /// See [`Config::index_size_limit`].
    #[must_use]
    pub fn get_index_size_limit(&self) -> usize {
        self.index_size_limit
    }

    /// See [`Config::minimize`].
    #[must_use]
    pub fn get_minimize(&self) -> bool {
        self.minimize
    }

    /// See [`Config::parallel`].
    #[must_use]
    pub fn get_parallel(&self) -> bool {
        self.parallel
    }
}
