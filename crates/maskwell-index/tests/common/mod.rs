//! What the property tests share: the regexes they draw.

use proptest::prelude::*;

/// Small regexes over `a`, `b`, `c`, some of which (`[^a]`) use every other byte too.
pub fn regex() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("a".to_owned()),
        Just("b".to_owned()),
        Just("c".to_owned()),
        Just("[ab]".to_owned()),
        Just("[^a]".to_owned()),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(x, y)| format!("{x}{y}")),
            (inner.clone(), inner.clone()).prop_map(|(x, y)| format!("(?:{x}|{y})")),
            inner.clone().prop_map(|x| format!("(?:{x})*")),
            inner.clone().prop_map(|x| format!("(?:{x})?")),
            (inner, 0u8..3, 0u8..3)
                .prop_map(|(x, lo, extra)| format!("(?:{x}){{{lo},{}}}", lo + extra)),
        ]
    })
}
