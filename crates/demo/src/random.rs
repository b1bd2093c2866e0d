//! Randomness: a seeded generator and synthetic identifiers.

use super::*;

/// SplitMix64: tiny, fast and fully determined by its seed, which is all demo
/// data needs (it is not for anything secret).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` by multiply-and-shift; the bias is below 2^-40 for the
    /// small `n` used here. `n` = 0 gives 0.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    pub fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub(super) fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut x = self.below(total);
        for (item, w) in items {
            if x < u64::from(*w) {
                return *item;
            }
            x -= u64::from(*w);
        }
        items[items.len() - 1].0
    }

    pub(super) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// A synthetic resident ID number in region 371799 with a valid check character.
/// `seq` is the 3-digit sequence (odd for men).
pub fn synthetic_id_number(birth: Date, seq: u16) -> String {
    let first17 = format!(
        "{ZONE_CODE}{:04}{:02}{:02}{:03}",
        birth.year(),
        birth.month() as u8,
        birth.day(),
        seq % 1000
    );
    let check = id_check_char(first17.as_bytes());
    format!("{first17}{check}")
}

/// A synthetic unified social credit code registered in region 371799, with
/// valid check characters for both the embedded organisation code (GB 11714)
/// and the whole code (GB 32100). `prefix` is the registration authority and
/// type: 91 company, 92 individual business, 51 association.
pub(super) fn credit_code(prefix: &str, n: u32) -> Option<String> {
    pub(super) const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let org8 = format!("MA{:06}", n % 1_000_000);
    let mut sum = 0;
    for (c, w) in org8.bytes().zip(ORG_WEIGHTS) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            _ => u32::from(c - b'A') + 10,
        };
        sum += v * w;
    }
    let org_check = match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from(b'0' + d as u8),
    };
    let first17 = format!("{prefix}{ZONE_CODE}{org8}{org_check}");
    let check = credit_check_char(first17.as_bytes())?;
    Some(format!("{first17}{check}"))
}
