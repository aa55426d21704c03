//! Checking and decoding of the AUTH initial response: standard base64 with canonical
//! padding (RFC 4648 section 4), exactly what the `base64` crate's `STANDARD` engine
//! accepts, eight symbols (six bytes) at a time. The parser only checks; the bytes are
//! decoded when the application asks for them.

/// Value of each base64 symbol; [`INVALID`] for every other byte (`=` included).
static VALUES: [u8; 256] = values();

const INVALID: u8 = 0xFF;

const fn values() -> [u8; 256] {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
}

/// Splits `input` into its groups of four symbols before the last and the last group,
/// with the number of bytes that group stands for, if `input` is a whole number of
/// groups and padding leaves only zero bits over. The symbols are not checked here.
#[inline(always)]
fn groups(input: &[u8]) -> Option<(&[u8], [u8; 4], usize)> {
    if !input.len().is_multiple_of(4) {
        return None;
    }
    let (body, last) = input.split_last_chunk::<4>()?;
    let kept = match *last {
        // One byte: the low four bits of the second symbol are padding.
        [_, b, b'=', b'='] => (VALUES[usize::from(b)] & 0x0F == 0).then_some(1)?,
        // Two bytes: the low two bits of the third symbol are padding.
        [_, _, c, b'='] => (VALUES[usize::from(c)] & 0x03 == 0).then_some(2)?,
        _ => 3,
    };
    let [a, b, c, d] = *last;
    // The padding replaced by a symbol of value zero.
    let padded = [
        a,
        b,
        if kept > 1 { c } else { b'A' },
        if kept > 2 { d } else { b'A' },
    ];
    Some((body, padded, kept))
}

/// Whether `input` is what [`decode`] accepts: groups of four symbols, the last of which
/// may end in `=` or `==`, with the bits that padding leaves over set to zero (empty
/// input included). Nothing is decoded.
pub(crate) fn is_canonical(input: &[u8]) -> bool {
    let Some((body, last, _)) = groups(input) else {
        return input.is_empty();
    };
    // Symbol values have six bits; INVALID has the top two set, so OR-ing all values
    // together tells whether there was an invalid byte. Eight at a time, independently.
    let mut all = [0; 8];
    let mut symbols = body.chunks_exact(8);
    for eight in (&mut symbols).filter_map(<[u8]>::first_chunk::<8>) {
        for (all, &s) in all.iter_mut().zip(eight) {
            *all |= VALUES[usize::from(s)];
        }
    }
    for (all, &s) in all.iter_mut().zip(symbols.remainder().iter().chain(&last)) {
        *all |= VALUES[usize::from(s)];
    }
    all.iter().fold(0, |a, &b| a | b) < 0x40
}

/// Decodes `input`: groups of four symbols, the last of which may end in `=` or `==`,
/// with the bits that padding leaves over set to zero. `None` for anything else.
pub(crate) fn decode(input: &[u8]) -> Option<Vec<u8>> {
    let Some((body, last, kept)) = groups(input) else {
        return input.is_empty().then(Vec::new);
    };
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + kept);
    // Symbol values have six bits; INVALID has the top two set, so OR-ing all values
    // together tells whether there was an invalid byte.
    let mut all = 0;
    let mut symbols = body.chunks_exact(8);
    for eight in (&mut symbols).filter_map(<[u8]>::first_chunk::<8>) {
        let (bits, or) = bits(eight);
        all |= or;
        out.extend_from_slice(&bits.to_be_bytes()[2..]);
    }
    if let [a, b, c, d] = *symbols.remainder() {
        let (bits, or) = bits(&[a, b, c, d]);
        all |= or;
        out.extend_from_slice(&bits.to_be_bytes()[5..]);
    }
    let (bits, or) = bits(&last);
    out.extend_from_slice(&bits.to_be_bytes()[5..5 + kept]);
    (all | or < 0x40).then_some(out)
}

/// The bits that up to eight symbols stand for, right-aligned, and the OR of their
/// values (from 0x40 if one of them is not a symbol).
#[inline(always)]
fn bits<const N: usize>(symbols: &[u8; N]) -> (u64, u8) {
    let mut bits = 0;
    let mut all = 0;
    // Each symbol shifted to its place on its own, not `bits << 6 | value` in turn, so
    // that the processor need not do them one after the other.
    for (i, &s) in symbols.iter().enumerate() {
        let value = VALUES[usize::from(s)];
        all |= value;
        bits |= u64::from(value) << (6 * (N - 1 - i));
    }
    (bits, all)
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use proptest::prelude::*;

    use super::{decode, is_canonical};

    /// Every string of up to five symbols from a set that covers each case: symbols
    /// with and without low bits set, padding, and bytes outside the alphabet.
    #[test]
    fn matches_the_base64_crate_on_all_short_inputs() {
        const SYMBOLS: &[u8] = b"AQgw/+=9*\r";
        let mut inputs: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..5 {
            let longer: Vec<Vec<u8>> = inputs
                .iter()
                .filter(|s| s.len() == inputs.last().map_or(0, Vec::len))
                .flat_map(|s| SYMBOLS.iter().map(move |&c| [&s[..], &[c]].concat()))
                .collect();
            inputs.extend(longer);
        }
        assert!(inputs.len() > 100_000);
        for input in inputs {
            let expected = STANDARD.decode(&input).ok();
            let shown = String::from_utf8_lossy(&input);
            assert_eq!(is_canonical(&input), expected.is_some(), "{shown:?}");
            assert_eq!(decode(&input), expected, "{shown:?}");
        }
    }

    proptest! {
        #[test]
        fn matches_the_base64_crate(
            bytes in prop::collection::vec(any::<u8>(), 0..64),
            damage in prop::option::of((any::<prop::sample::Index>(), any::<u8>())),
            padding in 0..3usize,
        ) {
            let mut input = STANDARD.encode(&bytes).into_bytes();
            if let Some((at, byte)) = damage {
                let at = at.index(input.len() + 1);
                input.insert(at, byte);
            }
            input.extend(std::iter::repeat_n(b'=', padding));
            let expected = STANDARD.decode(&input).ok();
            prop_assert_eq!(is_canonical(&input), expected.is_some());
            prop_assert_eq!(decode(&input), expected);
        }
    }
}
