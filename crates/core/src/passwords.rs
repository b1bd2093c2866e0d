//! Passwords too easy to guess: the most common ones (a short list compiled
//! into the binary) and those derived from the account or the product.
//!
//! "Derived" means equal once case, digits and punctuation are set aside, so
//! `Password12`, `P@ssw0rd!` and `Wangge2026!` are refused while a passphrase
//! that merely contains a word (`Wangge-demo-2026`) is not: the length and
//! character-class rules in `auth::check_password` do the rest.

use crate::error::{Error, Result};
use std::collections::HashSet;
use std::sync::OnceLock;

const LIST: &str = include_str!("common_passwords.txt");

/// Names that a guesser tries with any account on this system.
const PRODUCT: &[&str] = &["wangge", "网格"];

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        LIST.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// The forms a password is compared in: as typed (lower case), its letters
/// alone, and its letters alone after undoing common look-alike substitutions
/// inside the word (`@`→a, `0`→o, `$`→s, `3`→e, `4`→a, `5`→s).
fn forms(password: &str) -> Vec<String> {
    let lower = password.to_lowercase();
    let letters: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
    // Digits and symbols around the word are set aside first, so that only
    // those inside it are read as letters (`P@ssw0rd-2026` → password).
    let unleet: String = lower
        .trim_matches(|c: char| !c.is_alphabetic())
        .chars()
        .map(|c| match c {
            '@' | '4' => 'a',
            '0' => 'o',
            '$' | '5' => 's',
            '3' => 'e',
            other => other,
        })
        .filter(|c| c.is_alphabetic())
        .collect();
    vec![lower, letters, unleet]
}

/// Refuses a common password or one derived from `username` or the product.
pub fn check_not_guessable(password: &str, username: &str) -> Result<()> {
    let forms = forms(password);
    let name: String = username
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphabetic())
        .collect();
    let hit = |f: &str| !f.is_empty() && common().contains(f);
    if forms.iter().any(|f| hit(f)) {
        return Err(Error::invalid(
            "password",
            "password_common",
            "这是最常见的密码之一(或只是在其上加了数字、符号),很容易被猜中,请换一个",
            "this is one of the most common passwords (or one with only digits or symbols added); it is easy to guess, choose another",
        ));
    }
    let derived = |w: &str| forms.iter().any(|f| !w.is_empty() && f == w);
    if derived(&name) || PRODUCT.iter().any(|w| derived(w)) {
        return Err(Error::invalid(
            "password",
            "password_common",
            "密码不能只是用户名或“wangge”加上数字、符号",
            "a password must not be the user name or 'wangge' with only digits or symbols added",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_not_guessable as check;

    #[test]
    fn common_and_derived_passwords_are_refused() {
        for bad in [
            "password123",
            "Password12",
            "P@ssw0rd!!",
            "P@ssw0rd-2026",
            "Qwerty123456",
            "1qaz@WSX2026",
            "Admin@123456",
            "woaini1314!",
            "Wangge2026!",
            "WANGGE-2026-01",
            "Zhangsan-2026",
            "1234567890",
        ] {
            let e = check(bad, "zhangsan").unwrap_err();
            assert_eq!(e.code(), "password_common", "{bad}");
        }
    }

    #[test]
    fn passphrases_that_contain_a_word_are_kept() {
        for good in [
            "Wangge-demo-2026",
            "Wangge-zone-2026",
            "Gridworker-2026!",
            "Lantern-river-2026",
            "Another-pass-2026",
            "Changed-secret-pass-9025",
            "correct horse 9",
            "网格管理员密码2026",
        ] {
            assert!(check(good, "zhangsan").is_ok(), "{good}");
        }
    }

    #[test]
    fn the_list_is_lower_case_and_has_no_blank_entries() {
        for w in super::common() {
            assert_eq!(*w, w.to_lowercase());
            assert!(!w.is_empty());
        }
        assert!(super::common().len() > 150);
    }
}
