//! Decoding of the AUTH initial response: standard base64 with canonical padding (RFC
//! 4648 section 4), exactly what the `base64` crate's `STANDARD` engine accepts, in one
//! pass that also finds where the word ends.

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

/// Decodes `input`: groups of four symbols, the last of which may end in `=` or `==`,
/// with the bits that padding leaves over set to zero. `None` for anything else.
pub(crate) fn decode(input: &[u8]) -> Option<Vec<u8>> {
    if input.len() % 4 != 0 {
        return None;
    }
    let Some((body, last)) = input.split_last_chunk::<4>() else {
        return Some(Vec::new());
    };
    let kept = match *last {
        // One byte: the low four bits of the second symbol are padding.
        [_, b, b'=', b'='] => (VALUES[usize::from(b)] & 0x0F == 0).then_some(1)?,
        // Two bytes: the low two bits of the third symbol are padding.
        [_, _, c, b'='] => (VALUES[usize::from(c)] & 0x03 == 0).then_some(2)?,
        _ => 3,
    };
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 3);
    for quad in body.chunks_exact(4) {
        out.extend_from_slice(&quad_bytes([quad[0], quad[1], quad[2], quad[3]])?);
    }
    let [a, b, c, d] = *last;
    let tail = quad_bytes([
        a,
        b,
        if kept > 1 { c } else { b'A' },
        if kept > 2 { d } else { b'A' },
    ])?;
    out.extend_from_slice(&tail[..kept]);
    Some(out)
}

/// The three bytes four symbols stand for.
#[inline]
fn quad_bytes(quad: [u8; 4]) -> Option<[u8; 3]> {
    let value = |s: u8| VALUES[usize::from(s)];
    let (a, b, c, d) = (
        value(quad[0]),
        value(quad[1]),
        value(quad[2]),
        value(quad[3]),
    );
    // Symbol values have six bits; INVALID has the top two set.
    if (a | b | c | d) & 0xC0 != 0 {
        return None;
    }
    let n = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
    let [_, x, y, z] = n.to_be_bytes();
    Some([x, y, z])
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use proptest::prelude::*;

    use super::decode;

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
            assert_eq!(
                decode(&input),
                STANDARD.decode(&input).ok(),
                "{:?}",
                String::from_utf8_lossy(&input)
            );
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
            prop_assert_eq!(decode(&input), STANDARD.decode(&input).ok());
        }
    }
}
