//! Arbitrary-precision decimal numbers, as Terraform's `number` type carries them.
//!
//! Terraform stores numbers as 512-bit binary floats parsed from decimal text and sends them
//! as msgpack integers, exact floats or decimal strings. Converting through `f64` would
//! change values such as `0.1` or `2^-30` and then fail Terraform's "planned value does not
//! match config" check, so numbers here are exact decimals: a digit string and a power of
//! ten, kept in a normal form so that equal numbers compare equal.

use std::fmt;

/// Largest exponent rendered in plain positional notation; beyond it scientific notation
/// keeps the text short (both parse back to the same value).
const PLAIN_NOTATION_LIMIT: i64 = 64;

/// An exact decimal number: `(-1)^negative × digits × 10^exponent`.
///
/// Normal form: `digits` has no leading or trailing zeros, and zero is the empty digit
/// string with a zero exponent. The derived ordering is a canonical order (for sets), not
/// numeric order.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Number {
    negative: bool,
    digits: String,
    exponent: i64,
}

/// Text that is not a decimal number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseNumberError {
    text: String,
}

impl fmt::Display for ParseNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a decimal number", self.text)
    }
}

impl std::error::Error for ParseNumberError {}

impl Number {
    /// Zero.
    pub fn zero() -> Self {
        Self {
            negative: false,
            digits: String::new(),
            exponent: 0,
        }
    }

    fn normalized(negative: bool, digits: &str, exponent: i64) -> Self {
        let digits = digits.trim_start_matches('0');
        let trimmed = digits.trim_end_matches('0');
        if trimmed.is_empty() {
            return Self::zero();
        }
        let moved = (digits.len() - trimmed.len()) as i64;
        Self {
            negative,
            digits: trimmed.to_owned(),
            exponent: exponent.saturating_add(moved),
        }
    }

    /// Parses decimal text such as `-12`, `0.25`, `1e-7` or `6.02E+23`.
    pub fn parse(text: &str) -> Result<Self, ParseNumberError> {
        let error = || ParseNumberError {
            text: text.to_owned(),
        };
        let (negative, rest) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(at) => {
                let exp_text = &rest[at + 1..];
                let digits_only = exp_text.strip_prefix(['+', '-']).unwrap_or(exp_text);
                if digits_only.is_empty() || !digits_only.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(error());
                }
                (&rest[..at], exp_text.parse::<i64>().map_err(|_| error())?)
            }
            None => (rest, 0),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.len() + frac_part.len() == 0 || !all_digits(int_part) || !all_digits(frac_part)
        {
            return Err(error());
        }
        let exponent = exponent
            .checked_sub(i64::try_from(frac_part.len()).map_err(|_| error())?)
            .ok_or_else(error)?;
        Ok(Self::normalized(
            negative,
            &format!("{int_part}{frac_part}"),
            exponent,
        ))
    }

    /// The exact value of a finite float; `None` for NaN and infinities.
    pub fn from_f64(value: f64) -> Option<Self> {
        if !value.is_finite() {
            return None;
        }
        if value == 0.0 {
            return Some(Self::zero());
        }
        let bits = value.to_bits();
        let negative = bits >> 63 == 1;
        let biased = ((bits >> 52) & 0x7ff) as i64;
        let fraction = bits & ((1 << 52) - 1);
        let (mut mantissa, mut exp2) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1 << 52), biased - 1075)
        };
        while mantissa % 2 == 0 && exp2 < 0 {
            mantissa /= 2;
            exp2 += 1;
        }
        let mut big = BigDecimalDigits::from_u64(mantissa);
        let exponent = if exp2 >= 0 {
            for _ in 0..exp2 {
                big.mul_small(2);
            }
            0
        } else {
            // m × 2^-k = m × 5^k × 10^-k
            for _ in 0..-exp2 {
                big.mul_small(5);
            }
            exp2
        };
        Some(Self::normalized(negative, &big.to_decimal(), exponent))
    }

    /// The value as an `i64`, if it is an integer in range.
    pub fn to_i64(&self) -> Option<i64> {
        if self.digits.is_empty() {
            return Some(0);
        }
        let length = i64::try_from(self.digits.len()).unwrap_or(i64::MAX);
        if self.exponent < 0 || length.saturating_add(self.exponent) > 19 {
            return None;
        }
        let zeros = "0".repeat(usize::try_from(self.exponent).ok()?);
        let magnitude: i128 = format!("{}{zeros}", self.digits).parse().ok()?;
        let signed = if self.negative { -magnitude } else { magnitude };
        i64::try_from(signed).ok()
    }

    /// The nearest `f64` (infinite when out of range).
    pub fn to_f64(&self) -> f64 {
        if self.digits.is_empty() {
            return 0.0;
        }
        let sign = if self.negative { "-" } else { "" };
        format!("{sign}{}e{}", self.digits, self.exponent)
            .parse()
            .unwrap_or(f64::NAN)
    }
}

impl From<i64> for Number {
    fn from(value: i64) -> Self {
        Self::normalized(value < 0, &value.unsigned_abs().to_string(), 0)
    }
}

impl From<u64> for Number {
    fn from(value: u64) -> Self {
        Self::normalized(false, &value.to_string(), 0)
    }
}

/// Positional notation for moderate exponents (`1200`, `0.015`), scientific beyond
/// (`1.5e300`). Either form parses back to the same number in Terraform.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.digits.is_empty() {
            return f.write_str("0");
        }
        if self.negative {
            f.write_str("-")?;
        }
        let len = i64::try_from(self.digits.len()).unwrap_or(i64::MAX);
        if (0..=PLAIN_NOTATION_LIMIT).contains(&self.exponent) {
            f.write_str(&self.digits)?;
            return f.write_str(&"0".repeat(self.exponent as usize));
        }
        // Zeros between the point and the digits, in i128: the exponent may be i64::MIN.
        let leading_zeros = -i128::from(self.exponent) - i128::from(len);
        if self.exponent < 0 && leading_zeros <= i128::from(PLAIN_NOTATION_LIMIT) {
            let point = len + self.exponent;
            return if point > 0 {
                let (int, frac) = self.digits.split_at(point as usize);
                write!(f, "{int}.{frac}")
            } else {
                write!(f, "0.{}{}", "0".repeat((-point) as usize), self.digits)
            };
        }
        let (first, rest) = self.digits.split_at(1);
        let scientific_exponent = self.exponent.saturating_add(len - 1);
        if rest.is_empty() {
            write!(f, "{first}e{scientific_exponent}")
        } else {
            write!(f, "{first}.{rest}e{scientific_exponent}")
        }
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A non-negative integer in base 10^9 limbs (least significant first), just enough
/// arithmetic to expand a float exactly.
struct BigDecimalDigits {
    limbs: Vec<u32>,
}

impl BigDecimalDigits {
    const BASE: u64 = 1_000_000_000;

    fn from_u64(mut value: u64) -> Self {
        let mut limbs = Vec::new();
        while value > 0 {
            limbs.push((value % Self::BASE) as u32);
            value /= Self::BASE;
        }
        Self { limbs }
    }

    fn mul_small(&mut self, factor: u32) {
        let mut carry = 0u64;
        for limb in &mut self.limbs {
            let product = u64::from(*limb) * u64::from(factor) + carry;
            *limb = (product % Self::BASE) as u32;
            carry = product / Self::BASE;
        }
        while carry > 0 {
            self.limbs.push((carry % Self::BASE) as u32);
            carry /= Self::BASE;
        }
    }

    fn to_decimal(&self) -> String {
        let mut limbs = self.limbs.iter().rev();
        let mut text = limbs.next().map(u32::to_string).unwrap_or_default();
        for limb in limbs {
            text.push_str(&format!("{limb:09}"));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exponents at the ends of `i64` render and convert without overflow.
    #[test]
    fn extreme_exponents_render() {
        for text in [
            "1e-9223372036854775808",
            "12e-9223372036854775808",
            "1e9223372036854775807",
            "10e9223372036854775807",
            "0.5e-9223372036854775807",
        ] {
            let number = Number::parse(text).expect(text);
            let shown = number.to_string();
            assert!(!shown.is_empty(), "{text}");
            assert_eq!(number.to_i64(), None, "{text}");
            let _ = number.to_f64();
        }
    }

    fn n(text: &str) -> Number {
        Number::parse(text).unwrap()
    }

    #[test]
    fn parses_into_normal_form() {
        assert_eq!(n("1200"), n("1.2e3"));
        assert_eq!(n("0.500"), n("5E-1"));
        assert_eq!(n("-0"), Number::zero());
        assert_eq!(n("+7"), Number::from(7i64));
        for bad in [
            "", "-", ".", "1e", "1e+", "abc", "1.2.3", "NaN", "Infinity", " 1",
        ] {
            assert!(Number::parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn displays_plain_or_scientific() {
        assert_eq!(n("1200").to_string(), "1200");
        assert_eq!(n("-0.015").to_string(), "-0.015");
        assert_eq!(n("12.5").to_string(), "12.5");
        assert_eq!(n("1.5e300").to_string(), "1.5e300");
        assert_eq!(n("3e-200").to_string(), "3e-200");
        assert_eq!(n("0").to_string(), "0");
    }

    #[test]
    fn keeps_integers_beyond_f64() {
        let big = n("123456789012345678901234567890");
        assert_eq!(big.to_string(), "123456789012345678901234567890");
        assert_eq!(big.to_i64(), None);
        assert_eq!(n("-9223372036854775808").to_i64(), Some(i64::MIN));
        assert_eq!(n("9223372036854775808").to_i64(), None);
        assert_eq!(n("2.5").to_i64(), None);
    }

    #[test]
    fn expands_floats_exactly() {
        assert_eq!(Number::from_f64(0.5).unwrap(), n("0.5"));
        assert_eq!(
            Number::from_f64(2f64.powi(-30)).unwrap(),
            n("9.31322574615478515625e-10")
        );
        assert_eq!(
            Number::from_f64(-3.0e20).unwrap(),
            n("-300000000000000000000")
        );
        assert_eq!(Number::from_f64(f64::NAN), None);
        assert_eq!(n("0.1").to_f64(), 0.1);
    }
}
